"""One tracked call as both sources see it (`TrackedCall`), and what one source has shown of it.

Records only: the units that decide (`arbitration`, `settlement`, `snapshot`) change them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..models import ActiveCall, Party
from .lifecycle import NEW
from .phases import VOICEMAIL, answered_phase, snake
from .records import CallState

CallKey = tuple[str, str]  # (telephonySessionId, partyId)


class SourceView:
    """What one source (presence or telephony) has shown of a call since the call's base."""

    __slots__ = ("answered", "events", "phase")

    def __init__(self, answered: bool) -> None:
        self.phase: str | None = None
        self.events: list[str] = []
        self.answered = answered


class TrackedCall:
    """One call of one extension, keyed by (telephonySessionId, partyId), as both sources see it.

    `emitted` lists the events accounted for since `base_phase` was set (creation or the last
    snapshot); each source view lists the events its own in-order observations imply since the same
    base. `announced` is where the call's fired history stands in the lifecycle table.
    """

    __slots__ = (
        "announced",
        "answered",
        "base_answered",
        "base_phase",
        "direction",
        "disagree_since",
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
        "p_heard",
        "p_hidden",
        "p_listed",
        "p_op",
        "phase",
        "presence",
        "queue_call",
        "restored",
        "session_id",
        "shown",
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

    def __init__(self, key: CallKey, first_seen: datetime, order: int) -> None:
        self.key = key
        self.order = order
        self.first_seen = first_seen
        self.announced = NEW
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
        # Presence bookkeeping: listed at least once (`p_heard`: by a notification, not only a
        # snapshot), consecutive events without it, final seen, shown as an intermediate NoCall
        # (the flicker).
        self.p_listed = False
        self.p_heard = False
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
        # Since when every subscribed source agrees on a phase other than the one shown.
        self.disagree_since: datetime | None = None
        # Announced before a restart with its history unknown (`restart.RestartMemory`): its first
        # phase is a silent baseline, not a start.
        self.restored = False
        # The engine operation that last said something about the call (`updated_op`), and the last
        # presence that merely left it out (`omitted_op`): snapshots never regress past the former.
        self.updated_op = 0
        self.omitted_op = 0
        # The operation of presence's last word listing the call (or ending it): as `updated_op`,
        # for presence alone.
        self.p_op = 0
        # The `CallState` the call was last shown as (`display.compute_state` reuses it while current).
        self.shown: CallState | None = None

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


def shown(call: TrackedCall) -> bool:
    """Whether the call was ever on the sensor (fired an event, or a baseline showed it)."""
    return bool(call.emitted) or call.base_phase is not None or call.phase is not None


def telephony_live(call: TrackedCall) -> bool:
    """Whether telephony's latest word on the call is that the party is on it (not voicemail)."""
    view = call.telephony
    return view is not None and not call.t_ended and view.phase is not None and view.phase != VOICEMAIL


def presence_key(entry: Any) -> CallKey | None:
    """A presence entry's call key; entries without ids cannot be matched and are skipped."""
    tsid = entry.telephony_session_id or entry.session_id or entry.id
    if not tsid:
        return None
    return (tsid, entry.party_id or "")
