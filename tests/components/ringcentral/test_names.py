"""Caller names: a number RingCentral sends without a name gets one from the company directory (and,
with the option on, the user's personal contacts) on the call sensor, the call events, the bus,
`last_caller` and message events."""

from __future__ import annotations

import re
from typing import Any

from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ringcentral.const import (
    CONF_CONTACTS,
    DOMAIN,
    EVENT_RINGCENTRAL,
    EVENT_RINGCENTRAL_MESSAGE,
)
from rcsim import Simulator
from rcsim.directory import PersonalContact
from rcsim.faults import HttpFault

from .conftest import make_entry, settled, setup_entry, wait_for
from .recorder import Recorder, entity_id

# Every number the simulator's outbound scenarios dial (RingCentral sends no name for them).
DIALLED = ["+18005550199", "+16505550177", "+14085550132", "+19175550155"]


async def _entry(hass: HomeAssistant, sim: Simulator, **options: Any) -> tuple[MockConfigEntry, str]:
    entry = make_entry(sim, **options)
    await setup_entry(hass, entry)
    await wait_for(hass, lambda: entry.runtime_data.coordinator.connected)
    await wait_for(hass, lambda: settled(hass, entry))
    return entry, str(entry.data["extension_id"])


def _active(hass: HomeAssistant, me: str) -> list[dict[str, Any]]:
    state = hass.states.get(entity_id(hass, "sensor", f"{me}_call_status"))
    assert state is not None
    return list(state.attributes["active_calls"])


async def test_directory_names_on_the_call_sensor_and_events(hass: HomeAssistant, sim: Simulator) -> None:
    sim.state.directory.add_external("Pizza", "Palace", DIALLED)
    entry, me = await _entry(hass, sim)
    recorder = Recorder(hass, [me])
    tsid = sim.state.calls.start("outbound_answered", me, step=True)
    while sim.state.calls.step(tsid):
        await hass.async_block_till_done()
        if calls := _active(hass, me):
            assert calls[0]["to_name"] == "Pizza Palace"
            assert calls[0]["to"] in DIALLED
    await wait_for(hass, lambda: recorder[me].bus_types[-1:] == ["ended"])

    assert recorder[me].bus_types == ["dialing", "answered", "ended"]
    assert {event["to_name"] for event in recorder[me].bus_events} == {"Pizza Palace"}
    assert {event["to_name"] for event in recorder[me].entity_event_attributes} == {"Pizza Palace"}
    last_caller = hass.states.get(entity_id(hass, "sensor", f"{me}_last_caller"))
    assert last_caller is not None
    assert last_caller.attributes["recent_calls"][0]["to_name"] == "Pizza Palace"
    # Names RingCentral sent are kept as they are.
    assert recorder[me].bus_events[0]["from_name"] == sim.state.account.extensions[me].name
    recorder.stop()
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_a_directory_change_names_a_call_going_on(hass: HomeAssistant, sim: Simulator) -> None:
    """A directory notification patches the names at once: the ringing call shows its new name."""
    entry, me = await _entry(hass, sim)
    tsid = sim.state.calls.start("outbound_answered", me, step=True)
    while not _active(hass, me):
        assert sim.state.calls.step(tsid)
        await wait_for(hass, lambda: bool(_active(hass, me)) or not sim.state.calls.running())
    assert _active(hass, me)[0]["to_name"] is None

    contact = sim.state.directory.add_external("Dr. Wade", "Warren", DIALLED)
    await wait_for(hass, lambda: _active(hass, me)[0]["to_name"] == "Dr. Wade Warren")
    sim.state.directory.remove_external(contact.id)
    await wait_for(hass, lambda: _active(hass, me)[0]["to_name"] is None)
    while sim.state.calls.step(tsid):
        pass
    assert await hass.config_entries.async_unload(entry.entry_id)


def _listen(hass: HomeAssistant, event_type: str) -> list[dict[str, Any]]:
    heard: list[dict[str, Any]] = []

    @callback
    def _heard(event: Event) -> None:
        heard.append(dict(event.data))

    hass.bus.async_listen(event_type, _heard)
    return heard


async def test_sms_sender_named_from_contacts_when_chosen(hass: HomeAssistant, sim: Simulator) -> None:
    """With the option on, personal contacts name numbers the directory does not know."""
    me = sim.credentials()["extension_id"]
    sim.state.directory.add_contact(me, PersonalContact("", "Mom", phones={"mobilePhone": "+13125550121"}))
    entry, me = await _entry(hass, sim, **{CONF_CONTACTS: True})
    await wait_for(hass, lambda: entry.runtime_data.names.diagnostics()["contacts"] == 1)
    heard = _listen(hass, EVENT_RINGCENTRAL_MESSAGE)
    ext = sim.state.account.extensions[me]
    sim.state.messages.receive_sms(ext, from_number="+13125550121", text="Call me")
    await wait_for(hass, lambda: len(heard) == 1)
    assert heard[0]["from_name"] == "Mom"
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_contacts_stay_unread_without_the_option(hass: HomeAssistant, sim: Simulator) -> None:
    me = sim.credentials()["extension_id"]
    sim.state.directory.add_contact(me, PersonalContact("", "Mom", phones={"mobilePhone": "+13125550121"}))
    entry, me = await _entry(hass, sim)
    heard = _listen(hass, EVENT_RINGCENTRAL_MESSAGE)
    sim.state.messages.receive_sms(sim.state.account.extensions[me], from_number="+13125550121", text="hi")
    await wait_for(hass, lambda: len(heard) == 1)
    assert heard[0]["from_name"] is None
    assert entry.runtime_data.names.diagnostics()["contacts"] == 0
    assert not any("address-book" in str(e.get("path")) for e in sim.state.log if e.get("kind") == "request")
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_contacts_without_read_contacts(hass: HomeAssistant, sim: Simulator) -> None:
    """The option is on but the app lacks ReadContacts: a repair issue, and directory names still show."""
    sim.state.app.permissions.discard("ReadContacts")
    sim.state.directory.add_external("Pizza", "Palace", DIALLED)
    entry, me = await _entry(hass, sim, **{CONF_CONTACTS: True})
    issue_id = f"contacts_permission_{entry.entry_id}"
    await wait_for(hass, lambda: ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None)
    heard = _listen(hass, EVENT_RINGCENTRAL)
    tsid = sim.state.calls.start("outbound_unanswered", me)
    await sim.state.calls.drain()
    await wait_for(hass, lambda: [e["type"] for e in heard][-1:] == ["ended"])
    assert heard[0]["to_name"] == "Pizza Palace"
    assert tsid
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_contacts_that_cannot_be_read_now(hass: HomeAssistant, sim: Simulator) -> None:
    """A failed read of the contacts (not a permission problem) is no repair issue; the directory's
    names still come."""
    fault = HttpFault(re.compile(r"/address-book/contact$"), 400, method="GET")
    sim.state.faults.http.append(fault)
    entry, _ = await _entry(hass, sim, **{CONF_CONTACTS: True})
    await wait_for(hass, lambda: fault.remaining == 0)
    await hass.async_block_till_done()
    assert entry.runtime_data.names.diagnostics()["contacts"] == 0
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"contacts_permission_{entry.entry_id}") is None
    assert await hass.config_entries.async_unload(entry.entry_id)
