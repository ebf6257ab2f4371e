"""Describe `ringcentral_event` bus events in the logbook."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.components.logbook.const import LOGBOOK_ENTRY_MESSAGE, LOGBOOK_ENTRY_NAME
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr

from .const import DOMAIN, EVENT_RINGCENTRAL

# What each call event reads like after the device name ("Alice Johnson missed a call from Bob").
_MESSAGES: dict[str, str] = {
    "ringing": "has an incoming call from {from}",
    "dialing": "is calling {to}",
    "answered": "answered a call with {peer}",
    "on_hold": "put the call with {peer} on hold",
    "resumed": "resumed the call with {peer}",
    "parked": "parked the call with {peer}",
    "voicemail": "sent a call from {from} to voicemail",
    "missed": "missed a call from {from}",
    "ended": "ended the call with {peer}",
}


def _party(name: Any, number: Any) -> str:
    """The caller as `Name (number)`, or whichever of the two is known."""
    if name and number:
        return f"{name} ({number})"
    return str(name or number or "unknown")


def describe_call_event(data: dict[str, Any]) -> str:
    """The logbook message for one `ringcentral_event`'s data."""
    caller = _party(data.get("from_name"), data.get("from"))
    callee = _party(data.get("to_name"), data.get("to"))
    peer = callee if data.get("direction") == "outbound" else caller
    template = _MESSAGES.get(str(data.get("type")), "call event {type}")
    message = template.format_map({"from": caller, "to": callee, "peer": peer, "type": data.get("type")})
    if data.get("type") == "ended" and data.get("duration") is not None:
        message += f" after {data['duration']} s"
    return message


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[[str, str, Callable[[Event], dict[str, str]]], None],
) -> None:
    """Describe call events with the extension device's name."""
    dev_reg = dr.async_get(hass)

    @callback
    def _describe(event: Event) -> dict[str, str]:
        device = dev_reg.async_get(event.data.get("device_id") or "")
        name = (
            device and (device.name_by_user or device.name)
        ) or f"Extension {event.data.get('extension_id')}"
        return {LOGBOOK_ENTRY_NAME: name, LOGBOOK_ENTRY_MESSAGE: describe_call_event(dict(event.data))}

    async_describe_event(DOMAIN, EVENT_RINGCENTRAL, _describe)
