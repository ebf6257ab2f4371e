"""What the units share: the per-extension record, the engine-wide settings and counters, and the
one place a call event is made (`Context.emit`), where the lifecycle table gates it."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from struct import Struct

from ..models import Presence
from . import lifecycle
from .calls import CallKey, TrackedCall
from .deadlines import Deadlines
from .display import compute_state
from .ordering import PresenceStream, TelephonyNumbering
from .records import CallEvent, EngineUpdate, ExtensionState
from .restart import UNKNOWN, RestartMemory

_NOTHING = EngineUpdate()

# Ended calls remembered per extension, so late notifications cannot revive them.
ENDED_MEMORY = 16
# Calls that ended silently (never shown) kept per extension, in case late news shows they were calls.
SILENT_MEMORY = 4
_HASH = Struct("<q")  # a call key's hash, as `ExtensionRecord.ended` stores it


class ExtensionRecord:
    """Everything the engine remembers about one extension (kept small: many extensions are idle)."""

    __slots__ = (
        "calls",
        "detailed",
        "dnd_status",
        "ended",
        "id",
        "known",
        "meeting_status",
        "p_op",
        "presence_status",
        "pstream",
        "queued",
        "silent",
        "telephony",
        "telephony_status",
        "user_status",
        "view",
        "wait_from",
    )

    def __init__(self, extension_id: str) -> None:
        self.id = extension_id
        # The ExtensionState last computed; None once an entry point touches the extension.
        self.view: ExtensionState | None = None
        self.known = False
        self.telephony_status: str | None = None
        self.presence_status: str | None = None
        self.user_status: str | None = None
        self.dnd_status: str | None = None
        self.meeting_status: str | None = None
        self.detailed = False
        # The newest engine operation a presence of this extension arrived in.
        self.p_op = 0
        self.pstream: PresenceStream[Presence] = PresenceStream()
        self.telephony = TelephonyNumbering()
        self.calls: dict[CallKey, TrackedCall] = {}
        # Hashes of the last ended call keys, packed 8 bytes each (not a set of tuples of strings):
        # searched as bytes, which is several times faster than `in` on an array of 16 integers.
        self.ended: bytearray | None = None
        # The last calls that ended silently, never shown (`settlement.terminate`): a late telephony
        # update saying the party was on one still fires its terminal (`telephony.revive`).
        self.silent: dict[CallKey, TrackedCall] | None = None
        # When its earliest wait began (None: nothing waits), as of the last `Deadlines.refresh`, and
        # the deadline it has on the heap there (None: none).
        self.wait_from: datetime | None = None
        self.queued: datetime | None = None

    def is_ended(self, key: CallKey) -> bool:
        return self.ended is not None and _holds(self.ended, _HASH.pack(hash(key)))

    def remember_ended(self, key: CallKey) -> None:
        if self.ended is None:
            self.ended = bytearray()
        packed = _HASH.pack(hash(key))
        if not _holds(self.ended, packed):
            self.ended += packed
            if len(self.ended) > ENDED_MEMORY * _HASH.size:
                del self.ended[: _HASH.size]

    def remember_silent(self, call: TrackedCall) -> None:
        if self.silent is None:
            self.silent = {}
        self.silent[call.key] = call
        if len(self.silent) > SILENT_MEMORY:
            del self.silent[next(iter(self.silent))]


def _holds(packed_hashes: bytearray, packed: bytes) -> bool:
    """Whether one of the 8-byte entries is `packed` (a match must start on an entry's boundary)."""
    index = packed_hashes.find(packed)
    while index > 0 and index % _HASH.size:
        index = packed_hashes.find(packed, index + 1)
    return index >= 0


class Batch:
    """One entry point's effects: the state of each touched extension before it, events, losses."""

    __slots__ = ("before", "events", "lost")

    def __init__(self) -> None:
        self.before: dict[str, ExtensionState] = {}
        self.events: list[CallEvent] = []
        self.lost: set[str] = set()


class Context:
    """Engine-wide settings, counters and extensions, and the entry point under way (`batch`)."""

    def __init__(self, settle: timedelta) -> None:
        self.settle = settle
        self.exts: dict[str, ExtensionRecord] = {}
        self.monitored: frozenset[str] | None = None
        self.presence_sources: frozenset[str] | None = None
        self.telephony_sources: frozenset[str] | None = None
        # Engine operations (each entry point and each snapshot start is one) and call creation order.
        self.op = 0
        self.order = 0
        self.deadlines = Deadlines(settle)
        # Extensions with a deadline (a gap, a settling terminal, a call waiting for presence).
        self.pending = self.deadlines.pending
        self.restart = RestartMemory()
        # Events the lifecycle table refused, by "state->event".
        self.absorbed: Counter[str] = Counter()
        self.batch: Batch | None = None

    # -- extensions and sources

    def monitors(self, extension_id: str) -> bool:
        return self.monitored is None or extension_id in self.monitored

    def extension(self, extension_id: str) -> ExtensionRecord | None:
        """The record of a monitored extension (created on first use); None if not monitored."""
        if not self.monitors(extension_id):
            return None
        ext = self.exts.get(extension_id)
        if ext is None:
            ext = self.exts[extension_id] = ExtensionRecord(extension_id)
        return ext

    def expects(self, extension_id: str, *, telephony: bool) -> bool:
        """Whether that source is subscribed for the extension."""
        sources = self.telephony_sources if telephony else self.presence_sources
        return sources is None or extension_id in sources

    # -- entry points

    def begin(self) -> Batch:
        self.op += 1
        self.batch = Batch()
        return self.batch

    def _current(self) -> Batch:
        if self.batch is None:
            raise RuntimeError("no engine entry point under way")
        return self.batch

    def touch(self, ext: ExtensionRecord) -> None:
        """An entry point is about to change `ext`: remember its state before."""
        batch = self.batch
        if batch is None:
            raise RuntimeError("no engine entry point under way")
        self.deadlines.stale.add(ext.id)
        if ext.id not in batch.before:
            batch.before[ext.id] = ext.view or compute_state(ext)
            ext.view = None

    def refresh_waits(self) -> None:
        """Recompute the waits of the extensions touched since (every change goes through `touch`)."""
        self.deadlines.refresh(self.exts)

    def lose(self, ext: ExtensionRecord) -> None:
        """Notifications about `ext` were lost: the caller should re-read it."""
        self._current().lost.add(ext.id)

    def state(self, extension_id: str) -> ExtensionState:
        """The extension's state (cached between entry points)."""
        ext = self.exts.get(extension_id)
        if ext is None:
            return ExtensionState(extension_id)
        if ext.view is not None:
            return ext.view
        view = compute_state(ext)
        if self.batch is None:
            ext.view = view
        return view

    def result(self) -> EngineUpdate:
        """End the entry point: which touched extensions' states differ from before, the events, losses.

        Each touched extension's state is computed once and cached (from its state before, so an
        unchanged one is that very object: see `display.compute_state`)."""
        batch = self._current()
        self.batch = None
        changed: list[str] = []
        exts = self.exts
        for ext_id, before in batch.before.items():
            ext = exts.get(ext_id)
            after: ExtensionState
            if ext is None:
                after = ExtensionState(ext_id)
            elif ext.view is not None:
                after = ext.view
            else:
                after = ext.view = compute_state(ext, before)
            if after is not before and after != before:
                changed.append(ext_id)
        if not changed and not batch.events and not batch.lost:
            return _NOTHING
        return EngineUpdate(frozenset(changed), tuple(batch.events), frozenset(batch.lost))

    # -- calls

    def new_call(self, ext: ExtensionRecord, key: CallKey, now: datetime) -> TrackedCall:
        """Track a call met for the first time (continuing its history if a restart handed it over)."""
        self.order += 1
        call = TrackedCall(key, now, self.order)
        ext.calls[key] = call
        remembered = self.restart.claim(ext.id, *key)
        if remembered == UNKNOWN:
            call.restored = True
        elif remembered is not None:
            # Announced before the restart: it stands where its history stood.
            call.rebase(remembered)
            call.announced = remembered
        return call

    def emit(
        self,
        ext: ExtensionRecord,
        call: TrackedCall,
        event_type: str,
        *,
        reason: str | None = None,
        duration: float | None = None,
    ) -> None:
        """Fire one call event, if the lifecycle table allows it from where the call's history stands
        (else absorb it: count it, fire nothing)."""
        after = lifecycle.step(call.announced, event_type)
        if after is None:
            self.absorbed[f"{call.announced}->{event_type}"] += 1
            return
        call.announced = after
        self._current().events.append(
            CallEvent(
                type=event_type,
                extension_id=ext.id,
                telephony_session_id=call.key[0],
                party_id=call.key[1],
                direction=call.direction,
                from_number=call.from_number,
                from_name=call.from_name,
                to_number=call.to_number,
                to_name=call.to_name,
                reason=reason,
                duration=duration,
            )
        )
