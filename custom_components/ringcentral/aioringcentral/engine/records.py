"""What the engine hands out: call events, extension and call states, updates, snapshot tokens.

Frozen `msgspec.Struct`s, as the models are: immutable and compared by value like frozen dataclasses,
but built in C (a frozen dataclass sets each field through `object.__setattr__`, several times the
cost, and the engine builds one per event and per changed state). `gc=False`: they hold no cycles.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

# A call of an extension as one engine announced it to the next (a restart): (extension id,
# telephonySessionId, partyId, and where its announced history stood: a `lifecycle` state). Entries
# of the first three alone (saved by an older version) are read as "announced, history unknown".
AnnouncedCall = tuple[str, ...]


class CallEvent(msgspec.Struct, frozen=True, gc=False):
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


class CallState(msgspec.Struct, frozen=True, gc=False):
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


class ExtensionState(msgspec.Struct, frozen=True, gc=False):
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


class EngineUpdate(msgspec.Struct, frozen=True, gc=False):
    """What one input changed.

    `lost`: extensions whose presence stream gave up on a sequence gap: notifications about them were
    lost, and what they said (a call's end, say) may never come again. Re-read those extensions from
    REST (a snapshot); until then their state may be stale.
    """

    changed: frozenset[str] = frozenset()
    events: tuple[CallEvent, ...] = ()
    lost: frozenset[str] = frozenset()


class SnapshotToken(msgspec.Struct, frozen=True, gc=False):
    """What had been applied when a snapshot was started (see `CallStateEngine.begin_snapshot`)."""

    op: int
