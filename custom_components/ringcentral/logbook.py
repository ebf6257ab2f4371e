"""Describe `ringcentral_event` and `ringcentral_message` bus events in the logbook."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.components.logbook.const import LOGBOOK_ENTRY_MESSAGE, LOGBOOK_ENTRY_NAME
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr

from .const import DOMAIN, EVENT_RINGCENTRAL, EVENT_RINGCENTRAL_MESSAGE

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


def describe_message_event(data: dict[str, Any]) -> str:
    """The logbook message for one `ringcentral_message`'s data (never the text: it may be private)."""
    sender = _party(data.get("from_name"), data.get("from"))
    if data.get("type") == "voicemail":
        message = f"got a voicemail from {sender}"
        if data.get("duration") is not None:
            message += f" ({data['duration']} s)"
        return message
    if data.get("type") == "sms":
        return f"got a text message from {sender}"
    return f"got a message ({data.get('type')}) from {sender}"


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[[str, str, Callable[[Event], dict[str, str]]], None],
) -> None:
    """Describe call and message events with the extension device's name."""
    dev_reg = dr.async_get(hass)

    def _name(event: Event) -> str:
        device = dev_reg.async_get(event.data.get("device_id") or "")
        return (
            device and (device.name_by_user or device.name)
        ) or f"Extension {event.data.get('extension_id')}"

    @callback
    def _describe(event: Event) -> dict[str, str]:
        return {
            LOGBOOK_ENTRY_NAME: _name(event),
            LOGBOOK_ENTRY_MESSAGE: describe_call_event(dict(event.data)),
        }

    @callback
    def _describe_message(event: Event) -> dict[str, str]:
        return {
            LOGBOOK_ENTRY_NAME: _name(event),
            LOGBOOK_ENTRY_MESSAGE: describe_message_event(dict(event.data)),
        }

    async_describe_event(DOMAIN, EVENT_RINGCENTRAL, _describe)
    async_describe_event(DOMAIN, EVENT_RINGCENTRAL_MESSAGE, _describe_message)
