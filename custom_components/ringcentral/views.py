"""What entities show, derived from the engine's state and events (pure; Home Assistant's vocabulary).

RingCentral spells statuses in CamelCase (`CallConnected`, `TakeAllCalls`); Home Assistant wants
snake_case state values, so everything is converted here, in one place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .aioringcentral.engine import CallEvent, ExtensionState
from .const import BUSY_STATUSES, CALL_STATUSES

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


@lru_cache(maxsize=256)
def snake(value: str | None) -> str | None:
    """`CallConnected` → `call_connected`, `DoNotAcceptAnyCalls` → `do_not_accept_any_calls`.

    Cached: every view converts the same few status values.
    """
    if value is None or value == "":
        return None
    return _CAMEL.sub("_", value).replace("-", "_").replace(" ", "_").lower()


def call_status(value: str | None) -> str | None:
    """A telephonyStatus as one of the sensor's options (`None`, i.e. unknown, for anything else)."""
    status = snake(value)
    if status == "hold":  # some payloads spell the per-call status without the `On`
        status = "on_hold"
    return status if status in CALL_STATUSES else None


def direction(value: str | None) -> str | None:
    return None if value is None else value.lower()


@dataclass(frozen=True, slots=True)
class CallEventData:
    """One call event as the event entity and the bus carry it."""

    type: str
    extension_id: str
    telephony_session_id: str | None
    party_id: str | None
    direction: str | None
    from_number: str | None
    from_name: str | None
    to_number: str | None
    to_name: str | None
    reason: str | None
    duration: float | None

    def attributes(self) -> dict[str, Any]:
        """The event entity's attributes (the bus event adds type, extension_id and device_id)."""
        return {
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


def call_event_data(event: CallEvent) -> CallEventData:
    return CallEventData(
        type=event.type,
        extension_id=event.extension_id,
        telephony_session_id=event.telephony_session_id,
        party_id=event.party_id,
        direction=direction(event.direction),
        from_number=event.from_number,
        from_name=event.from_name,
        to_number=event.to_number,
        to_name=event.to_name,
        reason=event.reason,
        duration=None if event.duration is None else round(event.duration, 1),
    )


@dataclass(frozen=True, slots=True)
class ExtensionView:
    """An extension's state in Home Assistant's vocabulary."""

    call_status: str | None
    active_calls: tuple[dict[str, Any], ...]
    presence_status: str | None
    user_status: str | None
    dnd_status: str | None

    @property
    def on_call(self) -> bool:
        """The busy light: any call connected or on hold."""
        return any(call["status"] in BUSY_STATUSES for call in self.active_calls) or (
            self.call_status in BUSY_STATUSES
        )

    def attributes(self) -> dict[str, Any]:
        return {
            "active_calls": [dict(call) for call in self.active_calls],
            "presence_status": self.presence_status,
            "user_status": self.user_status,
            "dnd_status": self.dnd_status,
        }

    def as_dict(self) -> dict[str, Any]:
        return {"call_status": self.call_status, **self.attributes()}


@dataclass(frozen=True, slots=True)
class ExtensionUpdate:
    """The payload of an extension's dispatcher signal: its call events in order (maybe none)
    and its state after them."""

    events: tuple[CallEventData, ...]
    view: ExtensionView


def extension_view(state: ExtensionState) -> ExtensionView:
    calls = tuple(
        {
            "telephony_session_id": call.telephony_session_id,
            "party_id": call.party_id,
            "session_id": call.session_id,
            "direction": direction(call.direction),
            "status": call_status(call.status),
            "from": call.from_number,
            "from_name": call.from_name,
            "to": call.to_number,
            "to_name": call.to_name,
            "start_time": None if call.start_time is None else call.start_time.isoformat(),
            "queue_call": call.queue_call,
        }
        for call in state.calls
    )
    return ExtensionView(
        call_status=call_status(state.telephony_status),
        active_calls=calls,
        presence_status=snake(state.presence_status),
        user_status=snake(state.user_status),
        dnd_status=snake(state.dnd_status),
    )
