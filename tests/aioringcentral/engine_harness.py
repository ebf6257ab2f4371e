"""Record simulator scenarios as parsed notifications and feed them to a `CallStateEngine`.

A scenario runs in the simulator's step mode (no event loop, no timers); every `SimEvent` it
publishes is turned into what a subscriber would parse: a detailed presence with sipData, or a
telephony-session event. The recording also keeps the simulator's ground truth and the REST views a
resync would read, so tests can compare the engine's final state with them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Literal

from custom_components.ringcentral.aioringcentral.engine import CallEvent, CallStateEngine
from custom_components.ringcentral.aioringcentral.engine.phases import snake
from custom_components.ringcentral.aioringcentral.models import (
    Presence,
    TelephonySessionEvent,
    parse_presence,
    parse_telephony_session,
)
from rcsim.app import assemble
from rcsim.config import SimConfig
from rcsim.events import SimEvent
from rcsim.model import populate

START = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)

# How a live telephony party shows in presence, and presence's aggregate precedence (highest first).
_PRESENCE_OF_PARTY = {
    "Setup": "Ringing",
    "Proceeding": "Ringing",
    "Answered": "CallConnected",
    "Hold": "OnHold",
    "Parked": "ParkedCall",
}
_PRECEDENCE = ("CallConnected", "OnHold", "Ringing", "ParkedCall")

Source = Literal["both", "presence", "telephony"]
CallId = tuple[str, str, str]  # extension id, telephonySessionId, partyId


@dataclass(frozen=True)
class Input:
    """One notification as the engine receives it."""

    index: int
    kind: Literal["presence", "telephony"]
    extension_id: str
    payload: Presence | TelephonySessionEvent

    def label(self) -> str:
        seq = self.payload.sequence
        return f"{self.index}:{self.kind[0]}{self.extension_id[-4:]}#{seq}"


@dataclass(frozen=True)
class Recording:
    """A scenario's notifications, and what RingCentral would say once they were all sent."""

    scenario: str
    steps: int
    extension_ids: tuple[str, ...]
    prologue: tuple[Input, ...]
    inputs: tuple[Input, ...]
    truth: dict[str, dict[str, object]]
    # `truth` as the engine shows it: a call presence hides for a moment (the flicker, an
    # intermediate NoCall) while its telephony party is live stays shown with telephony's status.
    shown: dict[str, dict[str, object]]
    rest_presences: dict[str, Presence]
    rest_sessions: dict[str, TelephonySessionEvent | None]

    def only(self, source: Source) -> tuple[Input, ...]:
        """The scenario's inputs a subscriber to `source` receives."""
        return tuple(i for i in self.inputs if source in ("both", i.kind))

    def prologue_for(self, source: Source) -> tuple[Input, ...]:
        return tuple(i for i in self.prologue if source in ("both", i.kind))


def _parse(index: int, event: SimEvent) -> Input:
    if event.kind == "presence":
        payload: Presence | TelephonySessionEvent = parse_presence(event.body, detailed=True)
    else:
        payload = parse_telephony_session(event.body)
    return Input(index, event.kind, event.extension_id, payload)


@cache
def record(scenario: str, cut: int | None = None) -> Recording:
    """Run `scenario` on extension 1 (extension 2 as the other party), stopping after `cut` steps."""
    state = assemble(SimConfig(seed=7))
    extensions = populate(state.account, 3)
    published: list[SimEvent] = []
    state.bus.subscribe(published.append)
    me, other = extensions[0].id, extensions[1].id
    # A queue scenario creates its Department extension on first use; create it up front so the
    # prologue covers it too.
    state.account.add_extension("Support Queue", ext_type="Department")
    # Prologue: a presence change and back, and one short call, on every extension, so the engine
    # knows where each presence and telephony stream starts (a running engine would, from earlier
    # traffic).
    for ext in list(state.account.extensions.values()):
        state.calls.set_presence(ext.id, user_status="Busy")
        state.calls.set_presence(ext.id, user_status="Available")
        warm_up = state.calls.start("inbound_missed", ext.id, step=True)
        while state.calls.step(warm_up):
            pass
    prologue = len(published)
    run_id = state.calls.start(scenario, me, other_extension_id=other, step=True)
    steps = 0
    while (cut is None or steps < cut) and state.calls.step(run_id):
        steps += 1
    parsed = [_parse(index, event) for index, event in enumerate(published)]
    truth = state.calls.ground_truth()
    tsids = {i.payload.telephony_session_id for i in parsed if isinstance(i.payload, TelephonySessionEvent)}
    sessions: dict[str, TelephonySessionEvent | None] = {}
    for tsid in sorted(tsids):
        body = state.calls.telephony_session(tsid)
        sessions[tsid] = None if body is None else parse_telephony_session(body)
    return Recording(
        scenario=scenario,
        steps=steps,
        extension_ids=tuple(state.account.extensions),
        prologue=tuple(parsed[:prologue]),
        inputs=tuple(parsed[prologue:]),
        truth=truth,
        shown=_shown(truth, parsed, sessions),
        rest_presences={
            ext_id: parse_presence(state.calls.presence(ext_id)) for ext_id in state.account.extensions
        },
        rest_sessions=sessions,
    )


def _shown(
    truth: dict[str, dict[str, object]],
    parsed: list[Input],
    sessions: dict[str, TelephonySessionEvent | None],
) -> dict[str, dict[str, object]]:
    """The ground truth with calls hidden by a flicker put back, as telephony shows them."""
    last: dict[str, Presence] = {}
    for item in parsed:
        if isinstance(item.payload, Presence):
            last[item.extension_id] = item.payload
    shown = dict(truth)
    for ext_id, presence in last.items():
        restored: list[dict[str, object]] = []
        for entry in presence.active_calls:
            session = sessions.get(entry.telephony_session_id or "")
            party = None if session is None else session.party(entry.party_id or "")
            code = None if party is None or party.status is None else party.status.code
            if entry.termination_type == "intermediate" and code in _PRESENCE_OF_PARTY:
                restored.append(
                    {
                        "telephonySessionId": entry.telephony_session_id,
                        "partyId": entry.party_id,
                        "telephonyStatus": _PRESENCE_OF_PARTY[code],
                    }
                )
        if restored:
            active = [*truth[ext_id]["activeCalls"], *restored]  # type: ignore[misc]
            statuses = {str(c["telephonyStatus"]) for c in active}
            status = next((s for s in _PRECEDENCE if s in statuses), "NoCall")
            shown[ext_id] = {**truth[ext_id], "activeCalls": active, "telephonyStatus": status}
    return shown


def scenario_steps(scenario: str) -> int:
    return record(scenario).steps


def new_engine(recording: Recording, source: Source, *, settle_seconds: float = 3.0) -> CallStateEngine:
    engine = CallStateEngine(settle_seconds=settle_seconds)
    ids = recording.extension_ids
    engine.set_monitored(
        ids,
        presence=ids if source != "telephony" else (),
        telephony=ids if source != "presence" else (),
    )
    return engine


def feed(
    engine: CallStateEngine, inputs: Iterable[Input], *, start: datetime = START, step: float = 0.1
) -> tuple[list[CallEvent], datetime]:
    """Apply inputs in the given order, `step` seconds apart; returns the events and the last time."""
    events: list[CallEvent] = []
    now = start
    for item in inputs:
        now += timedelta(seconds=step)
        if isinstance(item.payload, Presence):
            update = engine.apply_presence(item.payload, now)
        else:
            update = engine.apply_telephony(item.payload, now)
        events.extend(update.events)
    return events, now


def per_call(events: Sequence[CallEvent]) -> dict[CallId, list[str]]:
    """Event types per call, in emission order."""
    calls: dict[CallId, list[str]] = {}
    for event in events:
        key = (event.extension_id, event.telephony_session_id, event.party_id)
        calls.setdefault(key, []).append(event.type)
    return calls


def state_mismatches(engine: CallStateEngine, recording: Recording, source: Source) -> list[str]:
    """Differences between the engine's state and the simulator's ground truth (empty if none)."""
    problems: list[str] = []
    # Presence alone cannot know that telephony still rings through a flicker.
    reference = recording.truth if source == "presence" else recording.shown
    for ext_id, truth in reference.items():
        state = engine.state(ext_id)
        want_status = snake(str(truth["telephonyStatus"]))
        if (state.telephony_status or "no_call") != want_status:
            problems.append(f"{ext_id}: telephony_status {state.telephony_status} != {want_status}")
        active = truth["activeCalls"]
        assert isinstance(active, list)
        want_calls = {(c["telephonySessionId"], c["partyId"], snake(c["telephonyStatus"])) for c in active}
        got_calls = {(c.telephony_session_id, c.party_id, c.status) for c in state.calls}
        if got_calls != want_calls:
            problems.append(f"{ext_id}: calls {sorted(got_calls)} != {sorted(want_calls)}")
        if source != "telephony":
            for field, key in (
                ("user_status", "userStatus"),
                ("dnd_status", "dndStatus"),
                ("presence_status", "presenceStatus"),
            ):
                want = snake(str(truth[key]))
                if getattr(state, field) != want:
                    problems.append(f"{ext_id}: {field} {getattr(state, field)} != {want}")
    return problems
