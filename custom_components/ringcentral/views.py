"""What entities show, derived from the engine's state and events (pure; Home Assistant's vocabulary).

RingCentral spells statuses in CamelCase (`CallConnected`, `TakeAllCalls`); Home Assistant wants
snake_case state values, so everything is converted here, in one place.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from .aioringcentral.engine import CallEvent, CallState, ExtensionState
from .const import BUSY_STATUSES, CALL_STATUSES

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")

# A phone number → the name to show for it when RingCentral sent none (caller names, see `names.py`).
type NameLookup = Callable[[str | None], str | None]


def no_name(_number: str | None) -> str | None:
    """The lookup without caller names: nothing is known."""
    return None


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


def call_event_data(event: CallEvent, names: NameLookup = no_name) -> CallEventData:
    """The event in HA's vocabulary; a name RingCentral did not send is looked up in `names`."""
    return CallEventData(
        type=event.type,
        extension_id=event.extension_id,
        telephony_session_id=event.telephony_session_id,
        party_id=event.party_id,
        direction=direction(event.direction),
        from_number=event.from_number,
        from_name=event.from_name or names(event.from_number),
        to_number=event.to_number,
        to_name=event.to_name or names(event.to_number),
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
    # When the events happened (one time for all who derive from them, e.g. a missed call's time).
    at: datetime = field(default_factory=lambda: datetime.now(UTC))


# A call as a view shows it: the call, and the names shown for its numbers.
type _Shown = tuple[CallState, str | None, str | None]


class ExtensionViews:
    """Makes the extensions' views, reusing a call's dict from the extension's last view while the call
    and its names are unchanged (every update of an extension makes a new view; most of its calls are
    as they were). The dicts are shared by views, so never changed: `ExtensionView.attributes` copies."""

    def __init__(self) -> None:
        # Per extension, its last view's calls by (telephonySessionId, partyId).
        self._calls: dict[str, dict[tuple[str, str], tuple[_Shown, dict[str, Any]]]] = {}

    def view(self, state: ExtensionState, names: NameLookup = no_name) -> ExtensionView:
        """The extension's state in HA's vocabulary; a name RingCentral did not send is looked up in
        `names`."""
        last = self._calls.get(state.extension_id, {})
        current: dict[tuple[str, str], tuple[_Shown, dict[str, Any]]] = {}
        calls = []
        for call in state.calls:
            shown = (call, call.from_name or names(call.from_number), call.to_name or names(call.to_number))
            key = (call.telephony_session_id, call.party_id)
            # One comparison (the engine makes new, equal calls) rather than hashing every field.
            previous = last.get(key)
            data = previous[1] if previous is not None and previous[0] == shown else _call_dict(*shown)
            current[key] = (shown, data)
            calls.append(data)
        self._calls[state.extension_id] = current
        return ExtensionView(
            call_status=call_status(state.telephony_status),
            active_calls=tuple(calls),
            presence_status=snake(state.presence_status),
            user_status=snake(state.user_status),
            dnd_status=snake(state.dnd_status),
        )


def _call_dict(call: CallState, from_name: str | None, to_name: str | None) -> dict[str, Any]:
    return {
        "telephony_session_id": call.telephony_session_id,
        "party_id": call.party_id,
        "session_id": call.session_id,
        "direction": direction(call.direction),
        "status": call_status(call.status),
        "from": call.from_number,
        "from_name": from_name,
        "to": call.to_number,
        "to_name": to_name,
        "start_time": None if call.start_time is None else call.start_time.isoformat(),
        "queue_call": call.queue_call,
    }
