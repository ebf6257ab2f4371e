"""What the simulator did (its ground truth and every call it published) and the checks against it.

`SimLog` listens on the simulator's event bus, so it knows every call (extension, telephonySessionId,
partyId) that existed and when each ended. `check_events` and `compare_state` hold an observer (the
library pipeline or Home Assistant) to the chaos suite's promises:

- every extension's state equals the simulator's ground truth once the run is quiet;
- per call, the emitted event types are a valid path of the call lifecycle (no repeated transition,
  nothing backwards, at most one terminal event, nothing after it);
- no event names a call the simulator never had;
- a call that ended, and whose whole life passed while continuity held, has exactly one terminal
  event; a call still live at the end has none.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rcsim import Simulator
from rcsim.events import SimEvent

CallKey = tuple[str, str, str]  # extension id, telephonySessionId, partyId

START_EVENTS = frozenset({"ringing", "dialing"})
TERMINAL_EVENTS = frozenset({"missed", "ended"})
AWAY_EVENTS = {"on_hold": "hold", "parked": "parked"}
_ENDED_CODES = frozenset({"Disconnected", "Gone"})
# A REST read of one telephony session, as the simulator's request log records its path.
_SESSION_PATH = re.compile(r"/telephony/sessions/([^/]+)$")


def snake(value: str | None) -> str | None:
    """RingCentral's CamelCase status as the integration shows it."""
    if value is None:
        return None
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in value).lstrip("_")


@dataclass
class ObservedEvent:
    """One call event an observer emitted, stamped with the simulator's event count at the time."""

    type: str
    key: CallKey
    at: int
    epoch: int = 0  # which observer instance emitted it (a Home Assistant restart starts a new one)


@dataclass
class SimLog:
    """Every call the simulator published, in publication order (an index per `SimEvent`)."""

    count: int = 0
    first_seen: dict[CallKey, int] = field(default_factory=dict)
    ended_at: dict[CallKey, int] = field(default_factory=dict)
    # Indices at which continuity may have broken, and where it was restored, as (start, end) pairs.
    breaks: list[tuple[int, int | None]] = field(default_factory=list)
    _index: dict[tuple[str, str, Any], int] = field(default_factory=dict)
    _latest: dict[str, int] = field(default_factory=dict)
    _watched: set[str] = field(default_factory=set)
    _unheard: set[int] = field(default_factory=set)
    # (telephonySessionId, partyId) of every party a heard telephony notification was about.
    _told: set[tuple[str, str]] = field(default_factory=set)
    _sim: Simulator | None = None

    def latest(self, extension_ids: Iterable[str]) -> int:
        """The index of the newest event about any of these extensions (0: none yet)."""
        return max((self._latest.get(ext_id, 0) for ext_id in extension_ids), default=0)

    def index_of(self, body: Mapping[str, Any]) -> int:
        """The event index of a delivered notification body (0 when it is not a call event)."""
        kind = "telephony" if "telephonySessionId" in body else "presence"
        return self._index.get((kind, str(body.get("extensionId")), body.get("sequence")), 0)

    def attach(self, sim: Simulator, watched: Iterable[str]) -> None:
        """Listen to `sim`; events about `watched` extensions are expected to reach the observer."""
        self._watched = set(watched)
        self._sim = sim
        sim.state.bus.subscribe(self._on_event)

    # -- what the observer has heard --------------------------------------------------------------

    def heard(self, body: Mapping[str, Any]) -> None:
        """A notification with this body reached the observer."""
        self._unheard.discard(self.index_of(body))
        if "telephonySessionId" in body:
            for party in body.get("parties") or ():
                if isinstance(party, dict):
                    self._told.add((str(body["telephonySessionId"]), str(party.get("id"))))

    def telephony_told(self, telephony_session_id: str, party_id: str) -> bool:
        """Whether telephony ever told the observer about this party: a telephony notification about
        it was heard, or its session was read over REST. Without that, the observer knows only what
        presence shows (engine/display.py)."""
        if (telephony_session_id, party_id) in self._told:
            return True
        log = self._sim.state.log if self._sim is not None else []
        return any(
            entry.get("kind") == "request"
            and entry.get("method") == "GET"
            and entry.get("status") == 200
            and (match := _SESSION_PATH.search(str(entry.get("path", "")))) is not None
            and match.group(1) == telephony_session_id
            for entry in log
        )

    def forgive(self) -> None:
        """A resync covers everything published so far: nothing older is awaited any more."""
        self._unheard.clear()

    def watermark(self) -> int:
        """The newest event index up to which every event about a watched extension was heard."""
        return min(self._unheard) - 1 if self._unheard else self.count

    def _on_event(self, event: SimEvent) -> None:
        self.count += 1
        body = event.body
        self._index[(event.kind, event.extension_id, body.get("sequence"))] = self.count
        self._latest[event.extension_id] = self.count
        if event.extension_id in self._watched:
            self._unheard.add(self.count)
        if event.kind == "telephony":
            tsid = str(body.get("telephonySessionId"))
            for party in body.get("parties", []):
                key = (event.extension_id, tsid, str(party.get("id")))
                self.first_seen.setdefault(key, self.count)
                if (party.get("status") or {}).get("code") in _ENDED_CODES:
                    self.ended_at.setdefault(key, self.count)
        else:
            for call in body.get("activeCalls", []):
                if not call.get("telephonySessionId") or not call.get("partyId"):
                    continue
                key = (event.extension_id, str(call["telephonySessionId"]), str(call["partyId"]))
                self.first_seen.setdefault(key, self.count)

    # -- continuity -----------------------------------------------------------------------------

    def break_starts(self, at: int | None = None) -> None:
        """Something that may lose notifications happened: anything after event index `at` (default:
        the watermark, as published-but-unheard events can be lost too) may be lost."""
        start = self.watermark() if at is None else at
        if not self.breaks or self.breaks[-1][1] is not None:
            self.breaks.append((start, None))
        elif start < self.breaks[-1][0]:
            self.breaks[-1] = (start, None)

    def break_ends(self) -> None:
        """State was re-read from REST after the break: events are trustworthy again."""
        if self.breaks and self.breaks[-1][1] is None:
            self.breaks[-1] = (self.breaks[-1][0], self.count)

    def continuity_held(self, key: CallKey) -> bool:
        """Whether no break overlapped the call's life (from its first event to its end)."""
        start = self.first_seen.get(key, 0)
        end = self.ended_at.get(key, self.count)
        for b_start, b_end in self.breaks:
            if b_start <= end and (b_end is None or b_end >= start):
                return False
        return True


def truth_view(truth: Mapping[str, Any]) -> dict[str, Any]:
    """One extension's ground truth as the integration would show it."""
    calls = sorted(
        (str(c["telephonySessionId"]), str(c["partyId"]), snake(c["telephonyStatus"]))
        for c in truth.get("activeCalls", [])
        if c.get("telephonyStatus") != "NoCall"
    )
    return {
        "telephony_status": snake(truth.get("telephonyStatus")),
        "presence_status": snake(truth.get("presenceStatus")),
        "user_status": snake(truth.get("userStatus")),
        "dnd_status": snake(truth.get("dndStatus")),
        "calls": calls,
        "on_call": any(status in ("call_connected", "on_hold") for _, _, status in calls),
    }


def compare_state(
    observed: Mapping[str, dict[str, Any]], truth: Mapping[str, Mapping[str, Any]]
) -> list[str]:
    """Differences between what the observer shows and the ground truth, per monitored extension."""
    problems = []
    for ext_id, shown in observed.items():
        expected = truth_view(truth[ext_id])
        for name, want in expected.items():
            if shown.get(name) != want:
                problems.append(f"extension {ext_id}: {name} is {shown.get(name)!r}, truth {want!r}")
    return problems


def lifecycle_problems(types: list[str]) -> list[str]:
    """Why a call's sequence of event types is not a valid lifecycle path (empty when it is).

    Across Home Assistant restarts too: the restarted integration is handed where each announced
    call's history stood, so its events continue the path. Only a call's first event may follow a
    silent baseline (a `resumed` of a call first found on hold).
    """
    problems: list[str] = []
    answered = away_seen = voicemail = over = False
    away: str | None = None
    for index, event in enumerate(types):
        where = f"{event!r} at {index} of {types}"
        if over:
            problems.append(f"{where}: after the terminal event")
        if event in START_EVENTS:
            if index:
                problems.append(f"{where}: a start event after the call had started")
        elif event == "answered":
            if answered or away_seen:
                problems.append(f"{where}: answered twice or after hold/park (backwards)")
            if voicemail:
                problems.append(f"{where}: answered after voicemail")
            answered = True
        elif event in AWAY_EVENTS:
            if AWAY_EVENTS[event] == away:
                problems.append(f"{where}: the same transition twice")
            if voicemail:
                problems.append(f"{where}: after voicemail")
            away, away_seen = AWAY_EVENTS[event], True
        elif event == "resumed":
            if away is None and index:
                problems.append(f"{where}: resumed without being on hold or parked")
            away = None
        elif event == "voicemail":
            if voicemail:
                problems.append(f"{where}: voicemail twice")
            voicemail = True
        elif event in TERMINAL_EVENTS:
            over = True
        else:
            problems.append(f"{where}: unknown event type")
    return problems


def check_events(
    events: Iterable[ObservedEvent],
    log: SimLog,
    *,
    monitored: Iterable[str],
    live_at_end: set[CallKey],
    exempt: set[CallKey] | None = None,
    since: int = 0,
) -> list[str]:
    """Every event check of the suite; `exempt` calls may miss their terminal (e.g. across a restart)."""
    by_call: dict[CallKey, list[str]] = {}
    epochs: dict[CallKey, list[int]] = {}
    stamps: dict[CallKey, list[str]] = {}
    problems: list[str] = []
    for event in events:
        by_call.setdefault(event.key, []).append(event.type)
        epochs.setdefault(event.key, []).append(event.epoch)
        stamps.setdefault(event.key, []).append(f"{event.type}@{event.at}")
        if event.key not in log.first_seen:
            problems.append(f"{event.type!r} for {event.key}, a call the simulator never had")
    for key, types in by_call.items():
        found = lifecycle_problems(types)
        problems += [f"{key}: {p}" for p in found]
        if found:
            problems.append(
                f"  timeline: first seen @{log.first_seen.get(key)}, ended @{log.ended_at.get(key)}, "
                f"events {stamps[key]}, epochs {epochs[key]}, breaks {log.breaks}"
            )
        terminals = sum(1 for t in types if t in TERMINAL_EVENTS)
        if key in live_at_end and terminals:
            problems.append(f"{key}: {types} ended, but the call is still live")
    wanted = set(monitored)
    for key, ended in log.ended_at.items():
        if key[0] not in wanted or log.first_seen[key] <= since or key in (exempt or set()):
            continue
        if not log.continuity_held(key):
            continue
        types = by_call.get(key, [])
        terminals = sum(1 for t in types if t in TERMINAL_EVENTS)
        if terminals != 1:
            problems.append(
                f"{key}: ended (event {ended}, first seen {log.first_seen[key]}) while continuity held, "
                f"but its events are {types}; breaks {log.breaks}"
            )
    return problems
