"""Building blocks of the call-state engine: call phases, transitions, per-call and per-stream records.

Internal to `engine.py`; nothing here is public API. See `engine.py` for the rules these implement.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from typing import Any

from .models import (
    PARTY_ANSWERED,
    PARTY_DISCONNECTED,
    PARTY_GONE,
    PARTY_HOLD,
    PARTY_PARKED,
    PARTY_PROCEEDING,
    PARTY_SETUP,
    PARTY_VOICEMAIL,
    PARTY_VOICEMAIL_SCREENING,
    TELEPHONY_CALL_CONNECTED,
    TELEPHONY_ON_HOLD,
    TELEPHONY_PARKED_CALL,
    TELEPHONY_RINGING,
    ActiveCall,
    Party,
    status_key,
)

# A call's phase, the common alphabet both sources are mapped to. Terminal is not a phase: it is
# decided separately (see `engine.py`) because it needs both sources to agree.
ALERTING = "alerting"  # inbound ringing, or outbound dialling / far end ringing
CONNECTED = "connected"
HOLD = "hold"
PARKED = "parked"
VOICEMAIL = "voicemail"  # the caller is leaving a message: no longer on the user's phone

# Call event types.
EVENT_RINGING = "ringing"
EVENT_DIALING = "dialing"
EVENT_ANSWERED = "answered"
EVENT_ON_HOLD = "on_hold"
EVENT_RESUMED = "resumed"
EVENT_PARKED = "parked"
EVENT_VOICEMAIL = "voicemail"
EVENT_MISSED = "missed"
EVENT_ENDED = "ended"

# Sensor states (per call and aggregate), snake_case of RingCentral's telephonyStatus.
STATUS_NO_CALL = "no_call"
STATUS_RINGING = "ringing"
STATUS_CALL_CONNECTED = "call_connected"
STATUS_ON_HOLD = "on_hold"
STATUS_PARKED_CALL = "parked_call"

# Aggregate precedence when several calls coexist, highest first. The same order the simulator uses,
# grounded in the official samples ({OnHold, Ringing} -> OnHold; {CallConnected, NoCall} ->
# CallConnected); CallConnected above OnHold and Ringing above ParkedCall are choices.
STATUS_PRECEDENCE: tuple[str, ...] = (
    STATUS_CALL_CONNECTED,
    STATUS_ON_HOLD,
    STATUS_RINGING,
    STATUS_PARKED_CALL,
    STATUS_NO_CALL,
)

_STATUS_OF_PHASE: dict[str, str] = {
    ALERTING: STATUS_RINGING,
    CONNECTED: STATUS_CALL_CONNECTED,
    HOLD: STATUS_ON_HOLD,
    PARKED: STATUS_PARKED_CALL,
}

_PHASE_OF_PRESENCE: dict[str, str] = {
    status_key(TELEPHONY_RINGING): ALERTING,
    status_key(TELEPHONY_CALL_CONNECTED): CONNECTED,
    status_key(TELEPHONY_ON_HOLD): HOLD,
    status_key(TELEPHONY_PARKED_CALL): PARKED,
}

_PHASE_OF_PARTY: dict[str, str] = {
    status_key(PARTY_SETUP): ALERTING,
    status_key(PARTY_PROCEEDING): ALERTING,
    status_key(PARTY_ANSWERED): CONNECTED,
    status_key(PARTY_HOLD): HOLD,
    # The guide spells it `OnHold` in places.
    status_key("OnHold"): HOLD,
    status_key(PARTY_PARKED): PARKED,
    status_key(PARTY_VOICEMAIL): VOICEMAIL,
    status_key(PARTY_VOICEMAIL_SCREENING): VOICEMAIL,
}

_PARTY_ENDED: frozenset[str] = frozenset({status_key(PARTY_DISCONNECTED), status_key(PARTY_GONE)})
_AWAY_EVENT: dict[str, str] = {HOLD: EVENT_ON_HOLD, PARKED: EVENT_PARKED}
_ANSWERED_PHASES: frozenset[str] = frozenset({CONNECTED, HOLD, PARKED})

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


@lru_cache(maxsize=128)
def snake(value: str) -> str:
    """`CallConnected` -> `call_connected`; cached, so equal inputs share one string object."""
    return _CAMEL_BOUNDARY.sub("_", value.strip()).replace(" ", "_").replace("-", "_").lower()


def phase_of_presence(status: str | None) -> str | None:
    """The phase of a presence `activeCalls[].telephonyStatus`; None for NoCall and unknown values."""
    return _PHASE_OF_PRESENCE.get(status_key(status))


def phase_of_party(code: str | None) -> str | None:
    """The phase of a telephony party `status.code`; None for terminal and unknown codes."""
    return _PHASE_OF_PARTY.get(status_key(code))


def party_ended(code: str | None) -> bool:
    """Disconnected or Gone: the call is over for this party."""
    return status_key(code) in _PARTY_ENDED


def status_of_phase(phase: str | None) -> str | None:
    """The sensor state of a call in `phase` (None: not shown, e.g. in voicemail)."""
    return None if phase is None else _STATUS_OF_PHASE.get(phase)


def aggregate(statuses: list[str]) -> str:
    """An extension's telephony status from its calls' statuses, by `STATUS_PRECEDENCE`."""
    for status in STATUS_PRECEDENCE:
        if status in statuses:
            return status
    return STATUS_NO_CALL


def transition(inbound: bool, old: str | None, new: str, answered: bool) -> tuple[str, ...]:
    """The call events for one phase change seen by one source, in order (never backwards).

    `old` None means the source sees the call for the first time: the first phase it shows is the
    call's own start (a transferred-in call starts connected and never rang, so nothing is invented).
    `answered` says whether this source already saw the call answered.
    """
    if new == old:
        return ()
    start = EVENT_RINGING if inbound else EVENT_DIALING
    if new == ALERTING:
        return (start,) if old is None else ()
    if new == CONNECTED:
        if old in (HOLD, PARKED):
            return (EVENT_RESUMED,)
        return () if answered else (EVENT_ANSWERED,)
    if new in _AWAY_EVENT:
        lead: tuple[str, ...] = (EVENT_ANSWERED,) if old == ALERTING and not answered else ()
        return (*lead, _AWAY_EVENT[new])
    if new == VOICEMAIL:
        return (EVENT_VOICEMAIL,)
    return ()


def answered_phase(phase: str | None) -> bool:
    return phase in _ANSWERED_PHASES


class SourceView:
    """What one source (presence or telephony) has shown of a call since the call's base."""

    __slots__ = ("answered", "events", "phase")

    def __init__(self, answered: bool) -> None:
        self.phase: str | None = None
        self.events: list[str] = []
        self.answered = answered


class TrackedCall:
    """One call of one extension, keyed by (telephonySessionId, partyId), as both sources see it.

    `emitted` lists the events fired since `base_phase` was set (creation or the last snapshot);
    each source view lists the events its own in-order observations imply since the same base.
    """

    __slots__ = (
        "answered",
        "base_answered",
        "base_phase",
        "direction",
        "emitted",
        "end_signal_at",
        "first_seen",
        "from_name",
        "from_number",
        "key",
        "omitted_op",
        "order",
        "p_absent",
        "p_final",
        "p_hidden",
        "p_listed",
        "phase",
        "presence",
        "queue_call",
        "restored",
        "session_id",
        "start_time",
        "t_alive_late",
        "t_clean",
        "t_end_time",
        "t_ended",
        "t_first_time",
        "t_leads",
        "t_missed",
        "t_reason",
        "t_seq",
        "t_session_live",
        "t_wait_since",
        "telephony",
        "to_name",
        "to_number",
        "updated_op",
        "vm_emitted",
        "vm_pending",
    )

    def __init__(self, key: tuple[str, str], first_seen: datetime, order: int) -> None:
        self.key = key
        self.order = order
        self.first_seen = first_seen
        self.session_id: str | None = None
        self.direction: str | None = None
        self.from_number: str | None = None
        self.from_name: str | None = None
        self.to_number: str | None = None
        self.to_name: str | None = None
        self.start_time: datetime | None = None
        self.queue_call = False
        self.base_phase: str | None = None
        self.base_answered = False
        self.phase: str | None = None
        self.answered = False
        self.emitted: list[str] = []
        self.presence: SourceView | None = None
        self.telephony: SourceView | None = None
        # Presence bookkeeping: listed at least once, consecutive events without it, final seen,
        # shown as an intermediate NoCall (the flicker).
        self.p_listed = False
        self.p_absent = 0
        self.p_final = False
        self.p_hidden = False
        # Telephony bookkeeping: last party sequence, terminal status and what it said.
        self.t_seq: int | None = None
        self.t_ended = False
        self.t_reason: str | None = None
        self.t_missed: bool | None = None
        self.t_first_time: datetime | None = None
        self.t_end_time: datetime | None = None
        # Its end arrived first, then an older update saying the party was on the call.
        self.t_alive_late = False
        # The last snapshot read the party's session alive (until telephony says more): presence's
        # flicker does not hide the call then.
        self.t_session_live = False
        # Telephony leads the call's events when presence is not subscribed, or when presence has not
        # listed the call within the settle time (`t_wait_since`). It also leads while every one of its
        # observations of the call arrived in order (`t_clean`): then its view is the call's history.
        self.t_leads = False
        self.t_clean = True
        self.t_wait_since: datetime | None = None
        # Voicemail is a telephony-only fact: fired once the call's start has been fired.
        self.vm_pending = False
        self.vm_emitted = False
        self.end_signal_at: datetime | None = None
        # Announced before a restart (`CallStateEngine.restore_announced`): its first phase is a
        # silent baseline, not a start.
        self.restored = False
        # The engine operation that last said something about the call (`updated_op`), and the last
        # presence that merely left it out (`omitted_op`): snapshots never regress past the former.
        self.updated_op = 0
        self.omitted_op = 0

    @property
    def inbound(self) -> bool:
        return self.direction != "outbound"

    def view(self, telephony: bool) -> SourceView:
        """The presence or telephony view, created on first use."""
        if telephony:
            if self.telephony is None:
                self.telephony = SourceView(self.base_answered)
            return self.telephony
        if self.presence is None:
            self.presence = SourceView(self.base_answered)
        return self.presence

    def rebase(self, phase: str | None) -> None:
        """Start both sources afresh from `phase` (creation from a snapshot, or a resync)."""
        self.base_phase = phase
        self.phase = phase
        self.answered = self.answered or answered_phase(phase)
        self.base_answered = self.answered
        self.emitted = []
        self.presence = None
        self.telephony = None
        self.t_session_live = False
        self.t_clean = True
        self.p_absent = 0
        self.p_final = False
        self.p_hidden = False
        self.end_signal_at = None

    def fill_from_presence(self, call: ActiveCall) -> None:
        """Take call details from a presence entry where nothing better is known yet."""
        self.session_id = self.session_id or call.session_id
        if self.direction is None and call.direction:
            self.direction = snake(call.direction)
        self.from_number = self.from_number or call.from_number
        self.from_name = self.from_name or call.from_name
        self.to_number = self.to_number or call.to_number
        self.to_name = self.to_name or call.to_name
        self.start_time = self.start_time or call.start_time
        self.queue_call = self.queue_call or call.queue_call

    def fill_from_party(self, party: Party, session_id: str | None, event_time: datetime | None) -> None:
        """Take call details from a telephony party where nothing better is known yet."""
        self.session_id = self.session_id or session_id
        if self.direction is None and party.direction:
            self.direction = snake(party.direction)
        if party.from_ is not None:
            self.from_number = self.from_number or party.from_.phone_number
            self.from_name = self.from_name or party.from_.name
        if party.to is not None:
            self.to_number = self.to_number or party.to.phone_number
            self.to_name = self.to_name or party.to.name
        self.queue_call = self.queue_call or bool(party.queue_call)
        if self.t_first_time is None:
            self.t_first_time = event_time

    def duration(self, now: datetime) -> float:
        """Seconds from start to end, each end measured on one clock (RingCentral's, else ours)."""
        if self.t_end_time is not None:
            start = self.start_time or self.t_first_time
            if start is not None:
                return max(0.0, (self.t_end_time - start).total_seconds())
        return max(0.0, (now - self.first_seen).total_seconds())


class Stream:
    """Restores the order of one extension's presence notifications by `sequence`.

    In-order notifications apply at once; one that arrives after a gap waits until the gap fills,
    the settle time passes, or a snapshot resets the stream. A stream whose gap had to be given up
    on stops waiting (`contiguous` False: newest wins) until the next snapshot. After a snapshot
    (`jump`) a gap below the next notification may hold reordered ones sent after the snapshot: it
    waits the same way, but what is still missing then was lost before the snapshot, which covers
    it, so order is not given up.
    """

    __slots__ = ("buffer", "contiguous", "jump", "next", "waiting_since")

    MAX_BUFFER = 32

    def __init__(self) -> None:
        self.next: int | None = None
        self.buffer: dict[int, tuple[Any, int]] | None = None
        self.waiting_since: datetime | None = None
        self.contiguous = True
        self.jump = False
