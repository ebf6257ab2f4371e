"""Call-state engine: one truth per extension from presence and telephony events, exactly-once transitions.

Pure and synchronous: no I/O, no clock reads (every entry point takes `now`, an aware datetime).

Inputs are parsed presence bodies (extension-level detailed or account-level), telephony-session
events and REST snapshots. Output is an `EngineUpdate`: which extensions' `ExtensionState` changed and
the `CallEvent`s (ringing, dialing, answered, on_hold, resumed, parked, voicemail, missed, ended)
the change implies.

How it decides (the rules the tests pin down):

1. **One call, two sources.** A call is keyed per extension by (telephonySessionId, partyId); presence
   `activeCalls` entries and telephony parties with the same key are the same call. Both sources map
   to one phase alphabet (alerting, connected, hold, parked, voicemail) and keep their own view of the
   call (its phase and the events their observations imply). Events fire when the leading view's event
   list grows past what was already fired. Hold/Answered are not regressions: each change is an
   on_hold/resumed pair, in the order of the source's sequence.
2. **Which source leads.** Presence leads where it is subscribed: its `sequence` is per extension, so
   the engine can put it back in order. Telephony sequences are only comparable per party (RingCentral
   numbers them per session), so telephony alone cannot restore order across a reordering; it adds what
   presence cannot know (voicemail, the terminal reason and `missedCall`, whether a call missing from
   presence is still alive) and leads where presence is not subscribed, or for a call presence has not
   listed within `settle_seconds`. It also leads, next to presence, while it is in order: as long as
   the extension's telephony numbering shows no gap and every update of the call arrived in order,
   its view is the call's history, so it applies at once instead of waiting for presence to repeat
   it (whichever source is ahead fires; the other only confirms). Not after a snapshot set the
   call's phase: REST carries no sequence, so a telephony update arriving next may predate the read
   (a `resumed` fired from a parked baseline by a late `Answered`); presence leads the call then.
3. **Order and duplicates.** Presence notifications apply in `sequence` order per extension: one after
   a gap waits for the gap to fill, at most `settle_seconds` (then the stream moves on, newest wins,
   until the next snapshot; the update reports the extension in `lost`: notifications were lost,
   the caller should re-read it from REST). Sequences at or below the last applied are ignored, as
   are repeated `uuid`s (`apply_notification`) and telephony party updates at or below the party's
   last sequence.
   The first presence the engine applies for an extension starts its stream: older ones arriving
   later are stale. After a snapshot, the first presence numbered beyond the stream's old position
   waits the same way for the numbers in between: they may be newer than the snapshot, only
   reordered; what is still missing after `settle_seconds` was lost before it, so the stream moves
   on without giving up on order.
4. **Transitions never go backwards** (a late Proceeding after Answered fires nothing) and are never
   invented: the first phase a source shows is the call's start (a call transferred in connected fires
   `answered`, not `ringing`).
5. **Exactly one terminal event**, once every subscribed source says the call is over for this party:
   telephony when the party is Disconnected or Gone (reason: `status.reason`, or "Gone"); presence
   when it lists the call NoCall with `terminationType` final, leaves it out of two consecutive
   detailed presence events, or leaves it out once while telephony says it ended. If only some sources
   said so, the terminal fires `settle_seconds` after the first did (`tick` / `next_deadline`), so a
   lost notification of the other cannot keep a call alive; while presence waits for a gap (rule 3)
   it fires no earlier than that wait ends, as the held-back presences may tell the call's story (a
   reordered answer). Only presence leaving a call out, while telephony's latest word is that the
   party is on it, is no end signal (see 6). Type:
   RingCentral's `missedCall` from a terminal or voicemail party status when known, else `missed` for
   an inbound call this party never answered, else `ended`. `duration` is seconds from start to end.
   Ended calls are remembered (the last 16 per extension) so late notifications cannot revive them.
   A call whose end is the first thing heard of it (a reordering) is never shown; if a telephony
   update older than that end then says the party was on it, it was a call: its terminal fires once
   the settle time has passed (no start events after the end).
6. **The flicker** (Ringing -> NoCall -> Ringing on one call) fires nothing: entries marked
   `terminationType` intermediate hide the call without ending it (intermediate legs are not calls of
   their own), and a call missing from one presence event is only an end signal; reappearing cancels
   it. Visibility follows presence where it is subscribed (it is what RingCentral shows as the user's
   calls), except that presence hiding a call (intermediate NoCall, or leaving it out) does not hide
   it while telephony's latest word is that the party is still on it (ringing, connected, on hold,
   parked): so the sensor does not flicker while telephony rings on. NoCall final, or telephony's
   end, hides it at once. With presence alone the flicker shows, as RingCentral shows it.
7. **One source is enough.** `set_monitored(..., presence=, telephony=)` says which sources are
   subscribed for which extensions. The aggregate `telephony_status` is derived from the visible calls
   with the precedence call_connected > on_hold > ringing > parked_call > no_call (the official
   samples' order, and the simulator's), except that a presence without a call list contributes its own
   telephonyStatus.
8. **Snapshots** (`begin_snapshot` / `apply_snapshot`) reset the baseline of the extensions whose
   presence they include and of calls whose session they include, but never regress what a push
   applied after `begin_snapshot` changed: those extensions' fields and calls keep their pushed state
   (a presence that arrived before it and waited behind a gap is older than the snapshot, though).
   A presence push that merely left a call out asserts nothing about it: it keeps the call from being
   listed again by an older snapshot, but does not keep a snapshot without the call from ending it.
   Calls missing from the snapshot end (terminal per rule 5, with the session's reason when given)
   unless their session says the party is alive (then hidden by presence as in rule 6); calls only in
   the snapshot appear, including a live party only its session lists. A listed call whose session
   says the party is on it stays shown through a later flicker (rule 6), until telephony says more.
   An extension the engine knew nothing about gets a silent baseline: calls already in progress fire
   no start events.
9. **Restarts.** `announced_calls` / `restore_announced` hand the calls one engine announced to the
   next: a restored call's first phase is a silent baseline, even where the new baseline missed it.
   `finish` fires what an engine replaced now can no longer wait for (ends a source already reported).

Limits: with telephony only, a reordering can skip a transition (never fire it backwards); after
notifications were lost, an inbound call whose answer was lost ends as `missed`.
"""

from __future__ import annotations

from array import array
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .engine_calls import (
    EVENT_ANSWERED,
    EVENT_ENDED,
    EVENT_MISSED,
    EVENT_VOICEMAIL,
    STATUS_PRECEDENCE,
    VOICEMAIL,
    SourceView,
    Stream,
    TrackedCall,
    aggregate,
    answered_phase,
    party_ended,
    phase_of_party,
    phase_of_presence,
    snake,
    status_of_phase,
    transition,
)
from .filters import FilterKind
from .models import (
    PARTY_GONE,
    PARTY_VOICEMAIL,
    PARTY_VOICEMAIL_SCREENING,
    TELEPHONY_NO_CALL,
    Notification,
    Party,
    Presence,
    TelephonySession,
    TelephonySessionEvent,
    status_is,
)

__all__ = [
    "AnnouncedCall",
    "CallEvent",
    "CallState",
    "CallStateEngine",
    "EngineUpdate",
    "ExtensionState",
    "SnapshotToken",
]

# Ended calls remembered per extension, and notification uuids remembered engine-wide.
_ENDED_MEMORY = 16
_UUID_MEMORY = 256
# Calls announced before a restart, remembered until seen again or their session was read (at most
# this many: one never seen again must not be carried from restart to restart for ever).
_RESTORED_MEMORY = 64

CallKey = tuple[str, str]
# A call of an extension: (extension id, telephonySessionId, partyId).
AnnouncedCall = tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class CallEvent:
    """One transition of one call of one extension."""

    type: str
    extension_id: str
    telephony_session_id: str
    party_id: str
    direction: str | None
    from_number: str | None
    from_name: str | None
    to_number: str | None
    to_name: str | None
    reason: str | None = None
    duration: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """The event as event data (`from` / `to` keys as RingCentral names them)."""
        return {
            "type": self.type,
            "extension_id": self.extension_id,
            "telephony_session_id": self.telephony_session_id,
            "party_id": self.party_id,
            "direction": self.direction,
            "from": self.from_number,
            "from_name": self.from_name,
            "to": self.to_number,
            "to_name": self.to_name,
            "reason": self.reason,
            "duration": self.duration,
        }


@dataclass(frozen=True, slots=True)
class CallState:
    """A call the extension is on now, as the sensor shows it."""

    telephony_session_id: str
    party_id: str
    session_id: str | None
    direction: str | None
    status: str
    from_number: str | None
    from_name: str | None
    to_number: str | None
    to_name: str | None
    start_time: datetime | None
    queue_call: bool


@dataclass(frozen=True, slots=True)
class ExtensionState:
    """Everything known about one extension now; statuses are snake_case (None: not known yet)."""

    extension_id: str
    telephony_status: str | None = None
    presence_status: str | None = None
    user_status: str | None = None
    dnd_status: str | None = None
    meeting_status: str | None = None
    calls: tuple[CallState, ...] = ()

    @property
    def on_call(self) -> bool:
        """Whether any call is connected or on hold."""
        return any(call.status in ("call_connected", "on_hold") for call in self.calls)


@dataclass(frozen=True, slots=True)
class EngineUpdate:
    """What one input changed.

    `lost`: extensions whose presence stream gave up on a sequence gap (rule 3): notifications about
    them were lost, and what they said (a call's end, say) may never come again. Re-read those
    extensions from REST (a snapshot); until then their state may be stale.
    """

    changed: frozenset[str] = frozenset()
    events: tuple[CallEvent, ...] = ()
    lost: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class SnapshotToken:
    """What had been applied when a snapshot was started (see `CallStateEngine.begin_snapshot`)."""

    op: int


class _Extension:
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
        "t_contiguous",
        "t_gap_since",
        "t_missing",
        "t_next",
        "telephony_status",
        "user_status",
        "view",
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
        self.p_op = 0
        self.pstream = Stream()
        # Telephony sequence gaps: a terminal waits for them (rule 5) unless numbering proves sparse.
        self.t_next: int | None = None
        self.t_missing: set[int] | None = None
        self.t_gap_since: datetime | None = None
        self.t_contiguous = True
        self.calls: dict[CallKey, TrackedCall] = {}
        # Hashes of the last ended call keys: 8 bytes each, not a set of tuples of strings.
        self.ended: array[int] | None = None

    def is_ended(self, key: CallKey) -> bool:
        return self.ended is not None and hash(key) in self.ended

    def remember_ended(self, key: CallKey) -> None:
        if self.ended is None:
            self.ended = array("q")
        if hash(key) not in self.ended:
            self.ended.append(hash(key))
            if len(self.ended) > _ENDED_MEMORY:
                self.ended.pop(0)


@dataclass
class _Batch:
    """Accumulates one entry point's effects.

    Only an entry point changes an extension, and only after touching it: the state before is the
    cached view (computed only if nothing cached it yet), the state after is computed once, at the end.
    """

    engine: CallStateEngine
    before: dict[str, ExtensionState] = field(default_factory=dict)
    events: list[CallEvent] = field(default_factory=list)
    lost: set[str] = field(default_factory=set)

    def touch(self, ext: _Extension) -> None:
        if ext.id not in self.before:
            self.before[ext.id] = ext.view or self.engine._compute_state(ext)
            ext.view = None

    def result(self) -> EngineUpdate:
        self.engine._in_batch = False
        changed = frozenset(
            ext_id for ext_id, before in self.before.items() if self.engine.state(ext_id) != before
        )
        return EngineUpdate(changed, tuple(self.events), frozenset(self.lost))


class CallStateEngine:
    """Per-extension call state from presence and telephony notifications and REST snapshots."""

    def __init__(self, *, settle_seconds: float = 3.0) -> None:
        if settle_seconds < 0:
            raise ValueError("settle_seconds must not be negative")
        self._settle = timedelta(seconds=settle_seconds)
        self._exts: dict[str, _Extension] = {}
        self._monitored: frozenset[str] | None = None
        self._presence_sources: frozenset[str] | None = None
        self._telephony_sources: frozenset[str] | None = None
        self._op = 0
        self._order = 0
        # True while an entry point runs: extension views are not cached mid-change.
        self._in_batch = False
        self._pending: set[str] = set()
        self._uuids: set[str] = set()
        self._uuid_order: deque[str] = deque()
        # Calls announced before a restart and not seen since (an ordered set).
        self._restored: dict[AnnouncedCall, None] = {}

    # ------------------------------------------------------------------ configuration

    def set_monitored(
        self,
        extension_ids: Iterable[str] | None,
        *,
        presence: Iterable[str] | None = None,
        telephony: Iterable[str] | None = None,
    ) -> None:
        """Monitor these extensions (None: all) and forget the others.

        `presence` / `telephony`: the extensions whose presence / telephony events are subscribed
        (None: all monitored ones). A call ends when every expected source says so (or after the
        settle time), so leave out a source whose filter RingCentral disabled.
        """
        self._monitored = None if extension_ids is None else frozenset(str(i) for i in extension_ids)
        self._presence_sources = None if presence is None else frozenset(str(i) for i in presence)
        self._telephony_sources = None if telephony is None else frozenset(str(i) for i in telephony)
        if self._monitored is not None:
            for ext_id in [e for e in self._exts if e not in self._monitored]:
                self.forget(ext_id)

    def forget(self, extension_id: str) -> None:
        """Drop everything known about an extension."""
        self._exts.pop(extension_id, None)
        self._pending.discard(extension_id)

    def monitors(self, extension_id: str) -> bool:
        """Whether notifications for this extension are applied."""
        return self._monitored is None or extension_id in self._monitored

    # ------------------------------------------------------------------ queries

    def state(self, extension_id: str) -> ExtensionState:
        """The extension's current state (all None and no calls when nothing is known)."""
        ext = self._exts.get(extension_id)
        if ext is None:
            return ExtensionState(extension_id)
        if ext.view is not None:
            return ext.view
        view = self._compute_state(ext)
        if not self._in_batch:
            ext.view = view
        return view

    def _compute_state(self, ext: _Extension) -> ExtensionState:
        """The extension's state computed afresh (`state` caches it)."""
        visible: list[tuple[TrackedCall, str]] = []
        for call in ext.calls.values():
            status = self._visible_status(call)
            if status is not None:
                visible.append((call, status))
        if len(visible) > 1:
            visible.sort(key=_call_order)
        states = tuple(self._call_state(call, status) for call, status in visible)
        telephony_status: str | None = None
        if ext.known or states:
            telephony_status = aggregate([state.status for state in states])
            if ext.telephony_status in STATUS_PRECEDENCE and not ext.detailed:
                # A presence without a call list still knows the aggregate.
                telephony_status = min((telephony_status, ext.telephony_status), key=STATUS_PRECEDENCE.index)
        return ExtensionState(
            extension_id=ext.id,
            telephony_status=telephony_status,
            presence_status=ext.presence_status,
            user_status=ext.user_status,
            dnd_status=ext.dnd_status,
            meeting_status=ext.meeting_status,
            calls=states,
        )

    def extension_ids(self) -> list[str]:
        """Extensions the engine holds state for."""
        return list(self._exts)

    def tracked_sessions(self) -> set[str]:
        """telephonySessionIds of every call the engine tracks, shown or hidden by presence (a
        snapshot should read them: presence alone may leave out a call that is still alive)."""
        return {key[0] for ext in self._exts.values() for key in ext.calls}

    def announced_calls(self) -> list[AnnouncedCall]:
        """(extension id, telephonySessionId, partyId) of the calls whose start was announced (or
        that a baseline showed), and of restored ones not seen again yet: what an engine replacing
        this one (a restart) should `restore_announced`, newest knowledge first."""
        live = [
            (ext.id, *key)
            for ext in self._exts.values()
            for key, call in ext.calls.items()
            if _shown(call) or call.restored
        ]
        return list(dict.fromkeys([*live, *self._restored]))

    def restore_announced(self, calls: Iterable[AnnouncedCall]) -> None:
        """Calls an earlier engine announced (`announced_calls`, e.g. saved across a restart).

        A restart may miss a call in its baseline (presence hides it in the flicker and its session
        could not be read); when such a call shows up again its first phase is a silent baseline,
        not a second start event. Forgotten once seen, or once a snapshot read its session.
        """
        restored = dict.fromkeys((str(ext_id), str(tsid), str(party_id)) for ext_id, tsid, party_id in calls)
        self._restored = dict.fromkeys(list(restored)[:_RESTORED_MEMORY])

    def next_deadline(self) -> datetime | None:
        """When `tick` has something to do (a gap to give up on, a terminal to settle), if ever."""
        deadlines: list[datetime] = []
        for ext_id in self._pending:
            ext = self._exts.get(ext_id)
            if ext is not None:
                deadlines.extend(moment + self._settle for moment in self._waits(ext))
        return min(deadlines, default=None)

    # ------------------------------------------------------------------ inputs

    def apply_notification(self, notification: Notification, now: datetime) -> EngineUpdate:
        """Parse and apply a notification envelope; repeated uuids and unknown kinds are ignored.

        Raises `ParseError` when the body does not parse.
        """
        if notification.uuid is not None:
            if notification.uuid in self._uuids:
                return EngineUpdate()
            self._uuids.add(notification.uuid)
            self._uuid_order.append(notification.uuid)
            if len(self._uuid_order) > _UUID_MEMORY:
                self._uuids.discard(self._uuid_order.popleft())
        if notification.kind in (FilterKind.PRESENCE, FilterKind.ACCOUNT_PRESENCE):
            return self.apply_presence(notification.presence(), now)
        if notification.kind == FilterKind.TELEPHONY_SESSIONS:
            return self.apply_telephony(notification.telephony_session(), now)
        return EngineUpdate()

    def apply_presence(self, presence: Presence, now: datetime) -> EngineUpdate:
        """Apply a presence notification body (extension-level or account-level)."""
        batch = self._begin()
        ext = self._extension(presence.extension_id)
        if ext is not None:
            batch.touch(ext)
            self._push(ext, presence, now, batch)
        self._expire(now, batch)
        return batch.result()

    def apply_telephony(self, event: TelephonySessionEvent, now: datetime) -> EngineUpdate:
        """Apply a telephony-session notification body; each monitored extension takes its parties."""
        batch = self._begin()
        by_ext: dict[str, list[Party]] = {}
        for party in event.parties:
            if party.extension_id is not None:
                by_ext.setdefault(party.extension_id, []).append(party)
        for ext_id, parties in by_ext.items():
            ext = self._extension(ext_id)
            if ext is None:
                continue
            batch.touch(ext)
            ext.known = True
            self._track_telephony(ext, event.sequence, now)
            # No gap below this one in the extension's numbering: telephony may lead (rule 2).
            in_order = event.sequence is not None and ext.t_contiguous and ext.t_missing is None
            for party in parties:
                self._apply_party(ext, event, party, now, batch, in_order=in_order)
            self._settle_calls(ext, now, batch)
        self._expire(now, batch)
        return batch.result()

    def tick(self, now: datetime) -> EngineUpdate:
        """Give up on gaps and settle terminals whose time has come (call at `next_deadline`)."""
        batch = self._begin()
        self._expire(now, batch)
        return batch.result()

    def finish(self, now: datetime) -> EngineUpdate:
        """The engine is about to be replaced (e.g. a restart): nothing can wait any longer.

        Applies presence held back for a gap, and fires the terminal of every call a source already
        reported over (telephony's end or presence's final NoCall) instead of waiting out the settle
        time. A call that presence merely left out is not ended: the next engine decides.
        """
        batch = self._begin()
        for ext in list(self._exts.values()):
            batch.touch(ext)
            if ext.pstream.buffer:
                self._release(ext, now, batch)
            for call in list(ext.calls.values()):
                if call.t_ended or call.p_final:
                    self._terminate(ext, call, now, batch)
        return batch.result()

    def begin_snapshot(self) -> SnapshotToken:
        """Call before issuing the REST requests of a snapshot; pass the token to `apply_snapshot`."""
        self._op += 1
        return SnapshotToken(self._op)

    def apply_snapshot(
        self,
        token: SnapshotToken,
        presences: Mapping[str, Presence],
        sessions: Mapping[str, TelephonySession | None],
        now: datetime,
    ) -> EngineUpdate:
        """Reset the baseline from REST: `presences` per extension id, `sessions` per telephonySessionId.

        A `sessions` value of None means the session no longer exists (404); a session id left out
        means it was not fetched. Extensions left out of `presences` keep their state, except for calls
        whose session is given.
        """
        batch = self._begin()
        unknown = {ext_id for ext_id in presences if not (ext_id in self._exts and self._exts[ext_id].known)}
        for ext_id, presence in presences.items():
            ext = self._extension(ext_id)
            if ext is not None:
                batch.touch(ext)
                self._snapshot_presence(ext, token, presence, sessions=sessions, now=now, batch=batch)
        self._snapshot_sessions(token, presences, sessions, now, batch, unknown=unknown)
        for restored in [call for call in self._restored if call[1] in sessions]:
            del self._restored[restored]  # its session was read: what it said was applied
        for ext_id in batch.before:
            ext = self._exts.get(ext_id)
            if ext is not None:
                self._settle_calls(ext, now, batch)
        self._expire(now, batch)
        return batch.result()

    # ------------------------------------------------------------------ ordering

    def _begin(self) -> _Batch:
        self._op += 1
        self._in_batch = True
        return _Batch(self)

    def _extension(self, extension_id: str) -> _Extension | None:
        if not self.monitors(extension_id):
            return None
        ext = self._exts.get(extension_id)
        if ext is None:
            ext = self._exts[extension_id] = _Extension(extension_id)
        return ext

    def _push(self, ext: _Extension, presence: Presence, now: datetime, batch: _Batch) -> None:
        """Apply a presence in `sequence` order on the extension's stream (rule 3)."""
        stream = ext.pstream
        seq = presence.sequence
        if seq is None:
            self._apply_presence(ext, presence, now, batch)
            return
        if stream.next is not None and seq < stream.next:
            return  # a duplicate, or older than what was applied
        if stream.buffer is not None and seq in stream.buffer:
            return
        # After a snapshot (`jump`) a gap may hold presences sent after it, reordered: wait for them too.
        if stream.next is None or seq == stream.next or not stream.contiguous:
            stream.jump = False
            stream.next = seq + 1
            self._apply_presence(ext, presence, now, batch)
            self._drain(ext, now, batch)
            return
        if stream.buffer is None:
            stream.buffer = {}
        stream.buffer[seq] = (presence, self._op)
        if stream.waiting_since is None:
            stream.waiting_since = now
        self._pending.add(ext.id)
        if len(stream.buffer) > Stream.MAX_BUFFER:
            self._release(ext, now, batch)

    def _drain(self, ext: _Extension, now: datetime, batch: _Batch) -> None:
        """Apply buffered presences that are now in order."""
        stream = ext.pstream
        while stream.buffer and stream.next is not None and stream.next in stream.buffer:
            presence, received = stream.buffer.pop(stream.next)
            stream.next += 1
            self._apply_presence(ext, presence, now, batch, received=received)
        if not stream.buffer:
            stream.buffer = None
            stream.waiting_since = None
        elif stream.waiting_since is None:
            stream.waiting_since = now

    def _release(self, ext: _Extension, now: datetime, batch: _Batch) -> None:
        """Give up on a gap: apply what is buffered in order and stop waiting on this stream.

        The missing notifications are lost: the update says so, so the caller re-reads the extension.
        """
        stream = ext.pstream
        # Even right after a snapshot: what is missing may have been sent after it (and lost).
        batch.lost.add(ext.id)
        buffer = stream.buffer or {}
        stream.buffer = None
        # Right after a snapshot the missing numbers were lost before it, which the snapshot covers:
        # the stream starts at what arrived and keeps restoring order.
        stream.contiguous = stream.jump
        stream.jump = False
        for seq in sorted(buffer):
            stream.next = seq + 1
            self._apply_presence(ext, buffer[seq][0], now, batch, received=buffer[seq][1])
        # Only now: terminals held back by the wait (`_settle_calls`) see everything it held.
        stream.waiting_since = None

    def _expire(self, now: datetime, batch: _Batch) -> None:
        """Release gaps, hand calls to telephony and settle terminals whose time has come."""
        for ext_id in list(self._pending):
            ext = self._exts.get(ext_id)
            if ext is None:
                self._pending.discard(ext_id)
                continue
            if self._due(ext, now):
                batch.touch(ext)
                stream = ext.pstream
                if stream.waiting_since is not None and now - stream.waiting_since >= self._settle:
                    self._release(ext, now, batch)
                if ext.t_gap_since is not None and now - ext.t_gap_since >= self._settle:
                    self._sparse_telephony(ext)
                for call in list(ext.calls.values()):
                    if call.t_wait_since is not None and now - call.t_wait_since >= self._settle:
                        call.t_wait_since = None
                        call.t_leads = True
                        if call.telephony is not None and call.telephony.phase is not None:
                            self._merge(ext, call, call.telephony, call.telephony.phase, batch)
                self._settle_calls(ext, now, batch)
            if (
                ext.pstream.waiting_since is None
                and ext.t_gap_since is None
                and all(
                    call.end_signal_at is None and call.t_wait_since is None for call in ext.calls.values()
                )
            ):
                self._pending.discard(ext_id)

    def _due(self, ext: _Extension, now: datetime) -> bool:
        """Whether any of the extension's deadlines has passed."""
        return any(now - moment >= self._settle for moment in self._waits(ext))

    @staticmethod
    def _waits(ext: _Extension) -> list[datetime]:
        """When each of the extension's waits began (each ends `settle_seconds` later). A terminal's
        settle time does not run out while the presence stream waits for a gap (`_settle_calls`)."""
        stream_waits = ext.pstream.waiting_since is not None
        moments = [ext.pstream.waiting_since, ext.t_gap_since]
        for call in ext.calls.values():
            moments.extend((None if stream_waits else call.end_signal_at, call.t_wait_since))
        return [moment for moment in moments if moment is not None]

    # ------------------------------------------------------------------ presence

    def _apply_presence(
        self,
        ext: _Extension,
        presence: Presence,
        now: datetime,
        batch: _Batch,
        *,
        received: int | None = None,
    ) -> None:
        """Apply one presence in stream order; `received`: the operation it arrived in, if it waited
        in the buffer. What it says is as old as its arrival: one that arrived before a snapshot
        started is older than the snapshot's REST reads, even if a gap held it back until after."""
        op = self._op if received is None else received
        ext.known = True
        ext.p_op = max(ext.p_op, op)
        self._take_presence_fields(ext, presence)
        if not presence.detailed:
            return
        live: dict[CallKey, tuple[Any, str]] = {}
        present: set[CallKey] = set()
        finals: dict[CallKey, Any] = {}
        for entry in presence.active_calls:
            key = _presence_key(entry)
            if key is None:
                continue
            if entry.intermediate:
                # A flicker, or an intermediate leg: not a call of its own and not the end of one.
                present.add(key)
                if key in ext.calls:
                    ext.calls[key].p_hidden = True
                continue
            phase = phase_of_presence(entry.telephony_status)
            if phase is not None:
                live[key] = (entry, phase)
            elif status_is(entry.telephony_status, TELEPHONY_NO_CALL):
                if status_is(entry.termination_type, "final"):
                    finals[key] = entry
            else:
                present.add(key)  # an unknown status: keep the call as it is
        for key, (entry, phase) in live.items():
            call = ext.calls.get(key)
            if call is None:
                if ext.is_ended(key):
                    continue
                call = self._new_call(ext, key, now)
            call.fill_from_presence(entry)
            call.p_listed = True
            call.p_absent = 0
            call.p_hidden = False
            call.p_final = False
            call.t_wait_since = None
            call.updated_op = max(call.updated_op, op)
            self._observe(ext, call, False, phase, batch)
        for key, entry in finals.items():
            if key in ext.calls or ext.is_ended(key):
                continue
            if self._expects(ext.id, True):
                # Its end came first (a reordering): telephony may still tell that it rang (rule 5).
                ghost = self._new_call(ext, key, now)
                ghost.fill_from_presence(entry)
                ghost.p_final = True
                ghost.updated_op = self._op
            else:
                ext.remember_ended(key)
        # RingCentral lists only the latest 7 calls: when it says there are more, a missing call
        # may just have dropped off the list.
        truncated = (presence.total_active_calls or 0) > len(live)
        for key, call in ext.calls.items():
            if key in live or key in present:
                continue
            if key in finals:
                # An explicit end, even of a call only telephony had shown so far (presence's own
                # listing of it may have been lost).
                call.updated_op = max(call.updated_op, op)
                call.p_final = True
            elif call.p_listed and not truncated:
                # Only a hint of the end (rule 5): it does not outweigh a snapshot that also finds
                # the call gone, so it does not count as an update (`updated_op`, rule 8).
                call.omitted_op = max(call.omitted_op, op)
                call.p_absent += 1
        self._settle_calls(ext, now, batch)

    @staticmethod
    def _take_presence_fields(ext: _Extension, presence: Presence) -> None:
        if presence.telephony_status is not None:
            ext.telephony_status = snake(presence.telephony_status)
        if presence.presence_status is not None:
            ext.presence_status = snake(presence.presence_status)
        if presence.user_status is not None:
            ext.user_status = snake(presence.user_status)
        if presence.dnd_status is not None:
            ext.dnd_status = snake(presence.dnd_status)
        if presence.meeting_status is not None:
            ext.meeting_status = snake(presence.meeting_status)
        ext.detailed = presence.detailed

    # ------------------------------------------------------------------ telephony

    def _track_telephony(self, ext: _Extension, seq: int | None, now: datetime) -> None:
        """Note gaps in the extension's telephony numbering (only while it looks contiguous)."""
        if seq is None or not ext.t_contiguous:
            return
        if ext.t_next is None:
            ext.t_next = seq + 1
        elif seq >= ext.t_next:
            gap = range(ext.t_next, seq)
            if len(gap) + len(ext.t_missing or ()) > Stream.MAX_BUFFER:
                self._sparse_telephony(ext)  # numbered per session, not per extension
                return
            if gap:
                ext.t_missing = (ext.t_missing or set()) | set(gap)
                if ext.t_gap_since is None:
                    ext.t_gap_since = now
                    self._pending.add(ext.id)
            ext.t_next = seq + 1
        elif ext.t_missing is not None and seq in ext.t_missing:
            ext.t_missing.discard(seq)
            if not ext.t_missing:
                ext.t_missing = None
                ext.t_gap_since = None

    @staticmethod
    def _sparse_telephony(ext: _Extension) -> None:
        """Stop waiting for telephony gaps on this extension (until the next snapshot)."""
        ext.t_contiguous = False
        ext.t_missing = None
        ext.t_gap_since = None

    def _apply_party(
        self,
        ext: _Extension,
        event: TelephonySessionEvent,
        party: Party,
        now: datetime,
        batch: _Batch,
        *,
        in_order: bool,
    ) -> None:
        key = (event.telephony_session_id, party.id)
        if ext.is_ended(key):
            return
        code = None if party.status is None else party.status.code
        call = ext.calls.get(key)
        if call is None:
            if party_ended(code) and not self._expects(ext.id, False):
                ext.remember_ended(key)  # ended before we saw it: late news must not revive it
                return
            if phase_of_party(code) is None and not party_ended(code):
                return
            # (Ended but presence is subscribed: presence may still show the call's life; keep the
            # telephony facts for when it does.)
            call = self._new_call(ext, key, now)
        if event.sequence is not None:
            if call.t_seq is not None and event.sequence <= call.t_seq:
                # Out of date for the phase, but voicemail is a fact that stays true.
                call.t_clean = False
                status = party.status
                if status is not None and status.is_(PARTY_VOICEMAIL, PARTY_VOICEMAIL_SCREENING):
                    call.vm_pending = True
                    self._fire_voicemail(ext, call, batch)
                self._late_life(call, event, party)
                return
            call.t_seq = event.sequence
        call.t_session_live = False  # telephony's own, newer word
        call.fill_from_party(party, event.session_id, event.event_time)
        call.updated_op = self._op
        self._take_party_status(call, party, event.event_time)
        if not in_order:
            call.t_clean = False
        phase = phase_of_party(code)
        if phase is not None and call.p_final and not _shown(call):
            self._late_life(call, event, party)  # presence said it is over before this arrived
        elif phase is not None and not call.t_ended:
            lead = call.t_leads or call.t_clean
            if not lead and not call.p_listed and call.t_wait_since is None:
                if self._expects(ext.id, False):
                    call.t_wait_since = now  # presence should list it soon; else telephony takes over
                    self._pending.add(ext.id)
                else:
                    call.t_leads = lead = True
            self._observe(ext, call, True, phase, batch, lead=lead)

    @staticmethod
    def _take_party_status(call: TrackedCall, party: Party, event_time: datetime | None) -> None:
        """Record what a party status says about the call's end (reason, missedCall)."""
        status = party.status
        if status is None:
            return
        if party_ended(status.code):
            call.t_ended = True
            call.t_reason = status.reason or ("Gone" if status.is_(PARTY_GONE) else None)
            call.t_end_time = event_time
            if party.missed_call is not None:
                call.t_missed = party.missed_call
        elif status.is_(PARTY_VOICEMAIL, PARTY_VOICEMAIL_SCREENING) and party.missed_call is not None:
            call.t_missed = party.missed_call

    @staticmethod
    def _late_life(call: TrackedCall, event: TelephonySessionEvent, party: Party) -> None:
        """A telephony update older than the call's end, for a call never shown (its end arrived
        first): the party was on the call, so its end is a call's end, not a non-event (rule 5)."""
        phase = None if party.status is None else phase_of_party(party.status.code)
        if phase is None or _shown(call) or not (call.t_ended or call.p_final):
            return
        call.t_alive_late = True
        call.answered = call.answered or answered_phase(phase)
        call.fill_from_party(party, event.session_id, None)
        when = event.event_time
        if when is not None and (call.t_first_time is None or when < call.t_first_time):
            call.t_first_time = when

    # ------------------------------------------------------------------ calls

    def _new_call(self, ext: _Extension, key: CallKey, now: datetime) -> TrackedCall:
        self._order += 1
        call = TrackedCall(key, now, self._order)
        ext.calls[key] = call
        announced = (ext.id, *key)
        if announced in self._restored:
            del self._restored[announced]
            call.restored = True
        return call

    def _observe(
        self,
        ext: _Extension,
        call: TrackedCall,
        telephony: bool,
        phase: str,
        batch: _Batch,
        *,
        lead: bool = True,
    ) -> None:
        """One source shows `call` in `phase`: update its view and, if it may `lead`, fire what it adds."""
        if call.restored:
            # Announced before a restart: where it is now is its baseline (no second start event).
            call.restored = False
            if call.base_phase is None and call.phase is None and not call.emitted:
                call.rebase(phase)
        view = call.view(telephony)
        old = view.phase if view.phase is not None else call.base_phase
        if phase != old:
            events = transition(call.inbound, old, phase, view.answered)
            view.answered = view.answered or EVENT_ANSWERED in events or answered_phase(phase)
            view.events.extend(events)
        view.phase = phase
        if telephony and phase == VOICEMAIL:
            call.vm_pending = True
        if lead:
            self._merge(ext, call, view, phase, batch)
        self._fire_voicemail(ext, call, batch)

    def _merge(self, ext: _Extension, call: TrackedCall, view: SourceView, phase: str, batch: _Batch) -> None:
        """Fire the events `view` has beyond those already fired (rule 1)."""
        fired = call.emitted
        if len(view.events) <= len(fired):
            return
        if view.events[: len(fired)] == fired:
            new = view.events[len(fired) :]
            call.emitted = list(view.events)
        else:
            # The sources disagree about the past (a lost notification): move on from what was fired.
            new = list(transition(call.inbound, call.phase, phase, call.answered))
            call.emitted = fired + new
        call.phase = phase
        for event_type in new:
            if event_type == EVENT_VOICEMAIL:
                if call.vm_emitted:
                    continue
                call.vm_emitted = True
            if event_type == EVENT_ANSWERED:
                call.answered = True
            self._emit(ext, call, event_type, batch)
        call.answered = call.answered or answered_phase(phase)

    def _fire_voicemail(self, ext: _Extension, call: TrackedCall, batch: _Batch) -> None:
        """Fire `voicemail` once telephony reported it and the call's start has been fired."""
        if call.vm_pending and not call.vm_emitted and (call.emitted or call.base_phase is not None):
            call.vm_emitted = True
            call.emitted = [*call.emitted, EVENT_VOICEMAIL]
            call.phase = VOICEMAIL
            self._emit(ext, call, EVENT_VOICEMAIL, batch)

    def _emit(
        self,
        ext: _Extension,
        call: TrackedCall,
        event_type: str,
        batch: _Batch,
        *,
        reason: str | None = None,
        duration: float | None = None,
    ) -> None:
        batch.events.append(
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

    def _expects(self, ext_id: str, telephony: bool) -> bool:
        sources = self._telephony_sources if telephony else self._presence_sources
        return sources is None or ext_id in sources

    def _settle_calls(self, ext: _Extension, now: datetime, batch: _Batch) -> None:
        """Fire terminals that every expected source agrees on, or whose settle time passed (rule 4)."""
        want_presence = self._expects(ext.id, False)
        want_telephony = self._expects(ext.id, True)
        for call in list(ext.calls.values()):
            # Telephony vouching for a live call outweighs presence leaving it out, but not presence's
            # explicit NoCall (final): that starts the settle time even if telephony's end was lost.
            presence_over = call.p_final or call.p_absent >= 2 or (call.p_absent >= 1 and call.t_ended)
            signal = call.t_ended or call.p_final or (call.p_absent >= 1 and not _telephony_live(call))
            if not signal:
                call.end_signal_at = None
                continue
            if call.end_signal_at is None:
                call.end_signal_at = now
                self._pending.add(ext.id)
            telephony_over = call.t_ended and ext.t_missing is None
            agreed = (not want_presence or presence_over) and (not want_telephony or telephony_over)
            # A call never shown waits out the settle time: what arrives late may show it was a call.
            # Presence held back behind a gap may still tell the call's story (a reordered answer, or
            # its whole life after a snapshot): the settle time waits for the gap to fill or be given up.
            timed_out = now - call.end_signal_at >= self._settle and ext.pstream.waiting_since is None
            if (agreed and _shown(call)) or timed_out:
                self._terminate(ext, call, now, batch)

    def _terminate(self, ext: _Extension, call: TrackedCall, now: datetime, batch: _Batch) -> None:
        """Fire the call's one terminal event and forget it (remembering that it ended)."""
        ext.calls.pop(call.key, None)
        ext.remember_ended(call.key)
        if not _shown(call) and not call.t_alive_late:
            return  # never shown: it ends as silently as it came
        if call.vm_pending and not call.vm_emitted:
            call.vm_emitted = True
            self._emit(ext, call, EVENT_VOICEMAIL, batch)
        missed = call.t_missed if call.t_missed is not None else call.inbound and not call.answered
        self._emit(
            ext,
            call,
            EVENT_MISSED if missed else EVENT_ENDED,
            batch,
            reason=call.t_reason,
            duration=round(call.duration(now), 3),
        )

    @staticmethod
    def _visible_status(call: TrackedCall) -> str | None:
        """The call's sensor status, or None while it is not on the user's phone (rule 6)."""
        if call.t_ended or call.p_final:
            return None
        live = _telephony_live(call)
        if (call.p_absent and not live) or (call.p_hidden and not (live or call.t_session_live)):
            return None  # presence hides it, and telephony does not say it is still on
        return status_of_phase(call.phase)

    @staticmethod
    def _call_state(call: TrackedCall, status: str) -> CallState:
        return CallState(
            telephony_session_id=call.key[0],
            party_id=call.key[1],
            session_id=call.session_id,
            direction=call.direction,
            status=status,
            from_number=call.from_number,
            from_name=call.from_name,
            to_number=call.to_number,
            to_name=call.to_name,
            start_time=call.start_time,
            queue_call=call.queue_call,
        )

    # ------------------------------------------------------------------ snapshots

    def _snapshot_presence(
        self,
        ext: _Extension,
        token: SnapshotToken,
        presence: Presence,
        *,
        sessions: Mapping[str, TelephonySession | None],
        now: datetime,
        batch: _Batch,
    ) -> None:
        silent = not ext.known
        ext.known = True
        pushed = ext.p_op > token.op
        if not pushed:
            self._take_presence_fields(ext, presence)
        after_token = self._reset_stream(ext.pstream, token, pushed=pushed)
        ext.t_next = None
        ext.t_missing = None
        ext.t_gap_since = None
        ext.t_contiguous = True
        for seq in sorted(after_token):
            self._push(ext, after_token[seq], now, batch)
        if not presence.detailed:
            return
        listed: dict[CallKey, tuple[Any, str]] = {}
        for entry in presence.active_calls:
            key = _presence_key(entry)
            phase = phase_of_presence(entry.telephony_status)
            if key is not None and phase is not None and not entry.intermediate:
                listed[key] = (entry, phase)
        for key, (entry, phase) in listed.items():
            if ext.is_ended(key):
                continue
            call = ext.calls.get(key)
            if call is not None and max(call.updated_op, call.omitted_op) > token.op:
                continue  # a push after the snapshot started is newer (even one that left it out)
            if call is None:
                call = self._new_call(ext, key, now)
                call.fill_from_presence(entry)
                quiet = silent or call.restored
                call.restored = False
                self._rebase(ext, call, phase, batch, silent=quiet)
            else:
                call.fill_from_presence(entry)
                self._rebase(ext, call, phase, batch)
            self._vouch_from_session(call, sessions.get(key[0]))
            call.p_listed = True
            call.updated_op = self._op
        for key, call in list(ext.calls.items()):
            if key in listed or call.updated_op > token.op:
                continue  # (a push that merely left it out agrees with the snapshot: not skipped)
            if key[0] not in sessions:
                # Its session could not be read: presence leaving the call out is then only a hint
                # of its end (rule 5, as from a push), not the end a missing session (404) is.
                if call.p_listed:
                    call.omitted_op = self._op
                    call.p_absent += 1
                continue
            session = sessions[key[0]]
            party = None if session is None else session.party(key[1])
            if self._snapshot_party(ext, call, party, batch):
                # Presence no longer lists it but the session says the party is alive. In voicemail:
                # over as far as presence goes (it ends with telephony's word, or after the settle
                # time). Live (a flicker): hidden by presence, still shown as telephony says (rule 6).
                call.p_listed = True
                if _telephony_live(call):
                    call.p_hidden = True
                else:
                    call.p_final = True
                continue
            self._terminate(ext, call, now, batch)

    def _snapshot_sessions(
        self,
        token: SnapshotToken,
        presences: Mapping[str, Presence],
        sessions: Mapping[str, TelephonySession | None],
        now: datetime,
        batch: _Batch,
        *,
        unknown: set[str],
    ) -> None:
        """Sessions for extensions without a presence snapshot (telephony-only monitoring), and live
        parties the presence snapshot hides (a flicker: shown as telephony says, rule 6)."""
        for tsid, session in sessions.items():
            for ext in list(self._exts.values()):
                if ext.id in presences:
                    continue
                for key, call in list(ext.calls.items()):
                    if key[0] != tsid or call.updated_op > token.op:
                        continue
                    batch.touch(ext)
                    party = None if session is None else session.party(key[1])
                    if not self._snapshot_party(ext, call, party, batch):
                        self._terminate(ext, call, now, batch)
            if session is None:
                continue
            for party in session.parties:
                ext_id = party.extension_id
                if ext_id is None or party.status is None:
                    continue
                phase = phase_of_party(party.status.code)
                hidden = ext_id in presences
                if hidden and phase == VOICEMAIL:
                    continue  # not on the user's phone: nothing to show
                key = (tsid, party.id)
                owner = self._extension(ext_id)
                if owner is None or phase is None or key in owner.calls or owner.is_ended(key):
                    continue
                batch.touch(owner)
                silent = not owner.known or ext_id in unknown
                owner.known = True
                call = self._new_call(owner, key, now)
                call.fill_from_party(party, None, None)
                call.updated_op = self._op
                quiet = silent or call.restored
                call.restored = False
                self._rebase(owner, call, phase, batch, silent=quiet)
                if hidden:
                    call.view(True).phase = phase  # telephony vouches for it
                    call.p_listed = True
                    call.p_hidden = True

    @staticmethod
    def _vouch_from_session(call: TrackedCall, session: TelephonySession | None) -> None:
        """A listed call whose session says the party is on it: a later flicker (an intermediate
        NoCall) does not hide it (rule 6), as the rebase forgot what telephony's notifications said.
        Only for that: presence leaving the call out later is newer news than this read."""
        party = None if session is None else session.party(call.key[1])
        phase = None if party is None or party.status is None else phase_of_party(party.status.code)
        call.t_session_live = phase is not None and phase != VOICEMAIL

    def _snapshot_party(self, ext: _Extension, call: TrackedCall, party: Party | None, batch: _Batch) -> bool:
        """Apply a REST session's party to a known call; False if the call is over for it."""
        if party is not None:
            self._take_party_status(call, party, None)
        status = None if party is None else party.status
        if status is None or party_ended(status.code):
            return False
        phase = phase_of_party(status.code)
        if phase is not None:
            if status.is_(PARTY_VOICEMAIL, PARTY_VOICEMAIL_SCREENING):
                call.vm_pending = True
            self._rebase(ext, call, phase, batch)
            call.view(True).phase = phase  # telephony vouches for the call being alive
        call.updated_op = self._op
        return True

    def _rebase(
        self, ext: _Extension, call: TrackedCall, phase: str, batch: _Batch, *, silent: bool = False
    ) -> None:
        """Fire the transition from what was shown to the snapshot's phase (unless `silent`: a
        baseline), then start afresh there."""
        for event_type in () if silent else transition(call.inbound, call.phase, phase, call.answered):
            if event_type == EVENT_VOICEMAIL:
                if call.vm_emitted:
                    continue
                call.vm_emitted = True
            if event_type == EVENT_ANSWERED:
                call.answered = True
            self._emit(ext, call, event_type, batch)
        call.rebase(phase)
        # REST carries no sequence: a telephony update that arrives next may have been sent before
        # these reads (reordered, delayed), so it is not known to be in order. Presence, which the
        # stream puts back in order, leads the call from here; telephony alone only where presence
        # is not subscribed or does not list the call (rule 2).
        call.t_clean = False

    @staticmethod
    def _reset_stream(stream: Stream, token: SnapshotToken, *, pushed: bool) -> dict[int, Presence]:
        """Forget what a snapshot supersedes; return buffered presences received after `token`."""
        buffer = stream.buffer or {}
        kept = {seq: item[0] for seq, item in buffer.items() if item[1] > token.op}
        superseded = [seq for seq, item in buffer.items() if item[1] <= token.op]
        if superseded:
            # Anything numbered up to these was sent before the snapshot was read.
            stream.next = max(stream.next or 0, max(superseded) + 1)
        stream.buffer = None
        stream.waiting_since = None
        stream.contiguous = True
        stream.jump = not pushed
        return kept


def _call_order(item: tuple[TrackedCall, str]) -> tuple[datetime, int]:
    """Calls are listed by start time (first seen if unknown), then by when the engine met them."""
    call = item[0]
    return (call.start_time or call.first_seen, call.order)


def _shown(call: TrackedCall) -> bool:
    """Whether the call was ever on the sensor (fired an event, or a baseline showed it)."""
    return bool(call.emitted) or call.base_phase is not None or call.phase is not None


def _telephony_live(call: TrackedCall) -> bool:
    """Whether telephony's latest word on the call is that the party is on it (not voicemail)."""
    view = call.telephony
    return view is not None and not call.t_ended and view.phase is not None and view.phase != VOICEMAIL


def _presence_key(entry: Any) -> CallKey | None:
    """A presence entry's call key; entries without ids cannot be matched and are skipped."""
    tsid = entry.telephony_session_id or entry.session_id or entry.id
    if not tsid:
        return None
    return (tsid, entry.party_id or "")
