"""The logbook describes `ringcentral_event` with the extension's device name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import device_registry as dr

from custom_components.ringcentral.const import DOMAIN, EVENT_RINGCENTRAL, EVENT_RINGCENTRAL_MESSAGE
from custom_components.ringcentral.logbook import (
    async_describe_events,
    describe_call_event,
    describe_message_event,
)
from rcsim import Simulator

from .conftest import make_entry, setup_entry, wait_for

CALL = {
    "telephony_session_id": "s-1",
    "party_id": "p-1",
    "direction": "inbound",
    "from": "+14155550198",
    "from_name": "Jane Cooper",
    "to": "+16505550101",
    "to_name": "Alice Johnson",
    "reason": None,
    "duration": None,
    "extension_id": "101",
}


def test_messages() -> None:
    assert (
        describe_call_event({**CALL, "type": "ringing"})
        == "has an incoming call from Jane Cooper (+14155550198)"
    )
    assert (
        describe_call_event({**CALL, "type": "missed", "from_name": None})
        == "missed a call from +14155550198"
    )
    outbound = {**CALL, "direction": "outbound", "type": "ended", "duration": 42.0}
    assert describe_call_event(outbound) == "ended the call with Alice Johnson (+16505550101) after 42.0 s"
    assert (
        describe_call_event({**CALL, "type": "dialing", "to": None, "to_name": None}) == "is calling unknown"
    )
    assert describe_call_event({**CALL, "type": "surprise"}) == "call event surprise"


def test_message_events() -> None:
    """Who left a voicemail or sent a text; never the text itself."""
    message = {"message_id": "m-1", "from": "+14155550198", "from_name": "Jane Cooper", "to": ["+1650"]}
    assert (
        describe_message_event({**message, "type": "voicemail", "duration": 12})
        == "got a voicemail from Jane Cooper (+14155550198) (12 s)"
    )
    assert (
        describe_message_event({**message, "type": "voicemail", "duration": None, "from_name": None})
        == "got a voicemail from +14155550198"
    )
    sms = {**message, "type": "sms", "text": "the door code is 1234"}
    assert describe_message_event(sms) == "got a text message from Jane Cooper (+14155550198)"
    assert (
        describe_message_event({**message, "type": "fax"})
        == "got a message (fax) from Jane Cooper (+14155550198)"
    )


async def test_described_with_device_name(hass: HomeAssistant, sim: Simulator) -> None:
    """A real call's bus event is described with its extension device's name."""
    entry = make_entry(sim)
    await setup_entry(hass, entry)
    await wait_for(hass, lambda: entry.runtime_data.coordinator.connected)
    fired: list[Event] = []
    hass.bus.async_listen(EVENT_RINGCENTRAL, fired.append)
    me = entry.data["extension_id"]
    sim.state.calls.start("inbound_missed", me, step=True)
    sim.state.calls.step(sim.state.calls.running()[0])
    await wait_for(hass, lambda: bool(fired))

    describers: dict[tuple[str, str], Callable[[Event], dict[str, str]]] = {}

    def register(domain: str, event_type: str, describer: Callable[[Event], dict[str, Any]]) -> None:
        describers[(domain, event_type)] = describer

    async_describe_events(hass, register)
    described = describers[(DOMAIN, EVENT_RINGCENTRAL)](fired[0])
    assert described["name"] == sim.state.account.extensions[me].name
    assert described["message"].startswith("has an incoming call from ")
    device = dr.async_get(hass).async_get(fired[0].data["device_id"])
    assert device is not None

    message = Event(
        EVENT_RINGCENTRAL_MESSAGE,
        {"type": "sms", "from": "+14155550198", "from_name": None, "device_id": fired[0].data["device_id"]},
    )
    assert describers[(DOMAIN, EVENT_RINGCENTRAL_MESSAGE)](message) == {
        "name": sim.state.account.extensions[me].name,
        "message": "got a text message from +14155550198",
    }

    unknown = Event(EVENT_RINGCENTRAL, {**CALL, "type": "ringing", "device_id": "gone"})
    assert describers[(DOMAIN, EVENT_RINGCENTRAL)](unknown)["name"] == "Extension 101"
    assert await hass.config_entries.async_unload(entry.entry_id)
