"""Paths the scenario tests rarely take: failed resyncs, device removal while not loaded, status words."""

from __future__ import annotations

import re
from typing import Any

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.ringcentral import resync
from custom_components.ringcentral.const import DOMAIN, EVENT_RINGCENTRAL
from custom_components.ringcentral.coordinator import RingCentralCoordinator
from custom_components.ringcentral.token_store import TokenStore
from custom_components.ringcentral.views import call_status
from rcsim import Simulator
from rcsim.faults import HttpFault

from .compat import device_by_identifier, remove_device
from .conftest import make_entry, setup_entry, wait_for
from .recorder import entity_id


def _fault(sim: Simulator, path: str, status: int = 400) -> HttpFault:
    fault = HttpFault(path=re.compile(path), status=status, method="GET", remaining=1)
    sim.state.faults.http.append(fault)
    return fault


async def _connected_call(hass: HomeAssistant, sim: Simulator, extension_id: str) -> str:
    sensor = entity_id(hass, "sensor", f"{extension_id}_call_status")
    tsid = sim.state.calls.start("inbound_answered", extension_id, step=True)
    sim.state.calls.step(tsid)
    sim.state.calls.step(tsid)
    await wait_for(hass, lambda: hass.states.get(sensor).state == "call_connected")
    return tsid


async def test_failed_resync_is_retried(
    hass: HomeAssistant, sim: Simulator, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A call that ended while notifications were lost, and a resync that failed: the resync is
    tried again (without waiting for another reconnect) and the call ends in HA."""
    monkeypatch.setattr(resync, "RESYNC_RETRY_DELAY", 0.05)  # real seconds; production waits a minute
    entry = make_entry(sim)
    await setup_entry(hass, entry)
    await wait_for(hass, lambda: entry.runtime_data.coordinator.connected)
    me = entry.data["extension_id"]
    sensor = entity_id(hass, "sensor", f"{me}_call_status")
    tsid = await _connected_call(hass, sim, me)

    # Neither the presence nor the call's session (the resync reads those of tracked calls) can be read.
    faults = [_fault(sim, r"/presence"), _fault(sim, r"/telephony/sessions/")]
    sim.state.faults.fail_recoveries = 1
    sim.state.ws.drop_all()
    sim.state.calls.step(tsid)  # hung up while away: this notification is lost
    await wait_for(hass, lambda: "Could not re-read call state" in caplog.text)
    assert [fault.remaining for fault in faults] == [0, 0]
    assert hass.states.get(sensor).state == "call_connected"  # nothing newer is known yet
    assert entry.runtime_data.coordinator.is_available(me)

    await wait_for(hass, lambda: hass.states.get(sensor).state == "no_call")  # retried, not reconnected
    assert hass.states.get(sensor).attributes["active_calls"] == []
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_unreadable_session_leaves_presence_in_charge(hass: HomeAssistant, sim: Simulator) -> None:
    """A resync that cannot read an active call's telephony session still applies presence."""
    entry = make_entry(sim)
    await setup_entry(hass, entry)
    await wait_for(hass, lambda: entry.runtime_data.coordinator.connected)
    me = entry.data["extension_id"]
    sensor = entity_id(hass, "sensor", f"{me}_call_status")
    tsid = await _connected_call(hass, sim, me)

    fault = _fault(sim, r"/telephony/sessions/")
    sim.state.faults.fail_recoveries = 1
    sim.state.ws.drop_all()
    await wait_for(hass, lambda: fault.remaining == 0 and entry.runtime_data.coordinator.connected)
    await hass.async_block_till_done()
    state = hass.states.get(sensor)
    assert state.state == "call_connected"
    assert [call["telephony_session_id"] for call in state.attributes["active_calls"]] == [tsid]

    sim.state.calls.step(tsid)
    await wait_for(hass, lambda: hass.states.get(sensor).state == "no_call")
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_devices_of_an_unloaded_entry(
    hass: HomeAssistant, sim: Simulator, hass_ws_client: WebSocketGenerator
) -> None:
    """Not loaded, nothing is known to be monitored: extension devices may go, the account stays."""
    entry = make_entry(sim)
    await setup_entry(hass, entry)
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert entry.state is ConfigEntryState.NOT_LOADED
    dev_reg = dr.async_get(hass)
    extension = device_by_identifier(dev_reg, entry.entry_id, (DOMAIN, entry.data["extension_id"]))
    account = device_by_identifier(dev_reg, entry.entry_id, (DOMAIN, str(entry.unique_id)))
    assert extension is not None
    assert account is not None

    assert await async_setup_component(hass, "config", {})
    client = await hass_ws_client(hass)
    response = await remove_device(client, account.id, entry.entry_id)
    assert not response["success"]
    response = await remove_device(client, extension.id, entry.entry_id)
    assert response["success"]
    assert dev_reg.async_get(extension.id) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("CallConnected", "call_connected"),
        ("Hold", "on_hold"),
        ("OnHold", "on_hold"),
        ("ParkedCall", "parked_call"),
        ("VoiceMail", None),
        (None, None),
        ("", None),
    ],
)
def test_call_status_vocabulary(value: str | None, expected: str | None) -> None:
    assert call_status(value) == expected


def test_caller_details_are_not_recorded() -> None:
    """Who called whom (phone numbers, names) is personal data: excluded from history on both the
    sensor (`active_calls`) and the event entity; the event type and ids stay recorded."""
    from custom_components.ringcentral.event import RingCentralEventEntity
    from custom_components.ringcentral.sensor import RingCentralSensor

    assert RingCentralSensor._unrecorded_attributes == {"active_calls"}
    assert {"from", "from_name", "to", "to_name"} <= RingCentralEventEntity._unrecorded_attributes
    assert (
        not {"event_type", "telephony_session_id", "duration"} & RingCentralEventEntity._unrecorded_attributes
    )


def _session_reads(sim: Simulator, tsid: str) -> int:
    return sum(
        1
        for e in sim.state.log
        if e["kind"] == "request" and str(e.get("path", "")).endswith(f"/telephony/sessions/{tsid}")
    )


async def test_a_call_hidden_by_the_flicker_survives_a_restart(
    hass: HomeAssistant, sim: Simulator, hass_storage: dict[str, Any]
) -> None:
    """Presence hides the ringing call (the flicker) while HA restarts: the calls tracked at stop are
    stored, and the first resync after the restart reads their sessions, so the call is part of the
    new baseline (shown as ringing, and not announced again when presence shows it)."""
    entry = make_entry(sim)
    await setup_entry(hass, entry)
    await wait_for(hass, lambda: entry.runtime_data.coordinator.connected)
    me = entry.data["extension_id"]
    sensor = entity_id(hass, "sensor", f"{me}_call_status")
    types: list[str] = []
    hass.bus.async_listen(EVENT_RINGCENTRAL, callback(lambda event: types.append(event.data["type"])))
    tsid = sim.state.calls.start("inbound_flicker", me, step=True)
    sim.state.calls.step(tsid)  # ringing
    await wait_for(hass, lambda: hass.states.get(sensor).state == "ringing")
    sim.state.calls.step(tsid)  # presence shows NoCall (intermediate); REST presence leaves it out

    assert await hass.config_entries.async_unload(entry.entry_id)
    assert hass_storage[f"{DOMAIN}.{entry.entry_id}"]["data"]["sessions"] == [tsid]
    reads = _session_reads(sim, tsid)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await wait_for(
        hass, lambda: entry.runtime_data.coordinator.connected and _session_reads(sim, tsid) > reads
    )
    await wait_for(hass, lambda: hass.states.get(sensor).state == "ringing")

    sim.state.calls.step(tsid)  # presence shows it ringing again
    sim.state.calls.step(tsid)  # answered
    await wait_for(hass, lambda: hass.states.get(sensor).state == "call_connected")
    assert types == ["ringing", "answered"]
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_unreadable_stored_sessions_are_ignored(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    hass_storage[f"{DOMAIN}.e1"] = {
        "version": 1,
        "minor_version": 1,
        "key": f"{DOMAIN}.e1",
        "data": {"credentials_id": "c", "tokens": None, "sessions": ["s-1", 5, "", None]},
    }
    store = TokenStore(hass, "e1", "c")
    assert await store.async_load() is None
    assert store.sessions == {"s-1"}


async def test_unreadable_stored_calls_are_ignored(hass: HomeAssistant, hass_storage: dict[str, Any]) -> None:
    hass_storage[f"{DOMAIN}.e1"] = {
        "version": 1,
        "minor_version": 1,
        "key": f"{DOMAIN}.e1",
        "data": {
            "credentials_id": "c",
            "tokens": None,
            "calls": [
                ["1", "s-1", "p-1"],
                ["1", "s-5", "p-5", "hold"],
                ["1", "s-2"],
                ["1", 5, "p-3"],
                ["1", "s-6", "p-6", "hold", "x"],
                "1/s-4/p-4",
                None,
            ],
        },
    }
    store = TokenStore(hass, "e1", "c")
    assert await store.async_load() is None
    # Three ids (saved before calls carried where their history stood), or three ids and that state.
    assert store.calls == [("1", "s-1", "p-1"), ("1", "s-5", "p-5", "hold")]


def _resync_done(coordinator: RingCentralCoordinator) -> bool:
    return coordinator.resync.task is not None and coordinator.resync.task.done()


def _presence_reads(sim: Simulator) -> int:
    return sum(1 for e in sim.state.log if e["kind"] == "request" and "/presence" in str(e.get("path", "")))


async def test_a_loss_during_a_resync_runs_another_after_it(hass: HomeAssistant, sim: Simulator) -> None:
    """Notifications lost while a resync runs (its reads may predate the loss): the running resync is
    not cancelled (losses in a row would starve it) and another one follows it."""
    entry = make_entry(sim)
    await setup_entry(hass, entry)
    coordinator = entry.runtime_data.coordinator
    await wait_for(hass, lambda: coordinator.connected and _resync_done(coordinator))
    reads = _presence_reads(sim)

    coordinator.resync.async_schedule()
    running = coordinator.resync.task
    coordinator.resync.async_after_loss()  # the loss arrives while the resync is under way
    assert coordinator.resync.task is running  # not replaced
    await wait_for(hass, lambda: _presence_reads(sim) == reads + 2 and coordinator.resync.task.done())
    assert not running.cancelled()
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_a_loss_keeps_the_backoff_of_a_failed_resync(
    hass: HomeAssistant, sim: Simulator, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a failed resync the retry waits its backoff: a loss does not hammer RingCentral sooner."""
    monkeypatch.setattr(resync, "RESYNC_RETRY_DELAY", 0.2)  # real seconds; production waits a minute
    entry = make_entry(sim)
    await setup_entry(hass, entry)
    coordinator = entry.runtime_data.coordinator
    await wait_for(hass, lambda: coordinator.connected and _resync_done(coordinator))

    _fault(sim, r"/presence")
    coordinator.resync.async_schedule()
    await wait_for(hass, lambda: "Could not re-read call state" in caplog.text)
    reads = _presence_reads(sim)
    done = coordinator.resync.task
    coordinator.resync.async_after_loss()
    assert coordinator.resync.task is done  # no new resync before the retry is due
    await wait_for(hass, lambda: _presence_reads(sim) > reads and coordinator.resync.task is not done)
    await wait_for(
        hass, lambda: coordinator.resync.task.done() and coordinator.is_available(entry.data["extension_id"])
    )
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_a_resync_that_cannot_read_a_hidden_calls_session_keeps_it_and_retries(
    hass: HomeAssistant, sim: Simulator, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Presence hides a ringing call (the flicker) when a resync runs, and its session read fails:
    the call is not ended (no false `missed`), and the resync is tried again until it reads it."""
    monkeypatch.setattr(resync, "RESYNC_RETRY_DELAY", 0.05)  # real seconds; production waits a minute
    entry = make_entry(sim)
    await setup_entry(hass, entry)
    coordinator = entry.runtime_data.coordinator
    await wait_for(hass, lambda: coordinator.connected and _resync_done(coordinator))
    me = entry.data["extension_id"]
    sensor = entity_id(hass, "sensor", f"{me}_call_status")
    types: list[str] = []
    hass.bus.async_listen(EVENT_RINGCENTRAL, callback(lambda event: types.append(event.data["type"])))
    tsid = sim.state.calls.start("inbound_flicker", me, step=True)
    sim.state.calls.step(tsid)  # ringing
    await wait_for(hass, lambda: hass.states.get(sensor).state == "ringing")
    sim.state.calls.step(tsid)  # presence: NoCall (intermediate); REST presence leaves it out
    fault = _fault(sim, r"/telephony/sessions/")  # a 400: not retried by the client
    reads = _session_reads(sim, tsid)

    coordinator.resync.async_schedule()
    await wait_for(hass, lambda: "could not read 1 telephony session" in caplog.text)
    assert hass.states.get(sensor).state == "ringing"
    await wait_for(hass, lambda: fault.remaining == 0 and _session_reads(sim, tsid) > reads)
    await wait_for(hass, lambda: _resync_done(coordinator) and not coordinator.resync.retry_pending)
    assert hass.states.get(sensor).state == "ringing"
    sim.state.calls.step(tsid)  # presence shows it ringing again
    sim.state.calls.step(tsid)  # answered
    await wait_for(hass, lambda: hass.states.get(sensor).state == "call_connected")
    assert types == ["ringing", "answered"]
    assert await hass.config_entries.async_unload(entry.entry_id)
