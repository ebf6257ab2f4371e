"""The hub's less travelled paths: one notification source, bad payloads, lost permissions, tokens."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.ringcentral.const import CONF_CREDENTIALS_ID, DOMAIN, MONITOR_ACCOUNT
from rcsim import Simulator
from rcsim.events import SimEvent
from rcsim.faults import HttpFault, NotificationFaults

from .conftest import make_entry, setup_entry, sim_logins, wait_for
from .recorder import Recorder, entity_id


async def test_presence_alone_drives_state(hass: HomeAssistant, sim: Simulator) -> None:
    """Without CallControl RingCentral refuses the telephony filter: presence alone still gives the call
    status and its events (the repair issue asks for CallControl)."""
    sim.state.app.permissions.discard("CallControl")
    entry = make_entry(sim)
    await setup_entry(hass, entry)
    await wait_for(hass, lambda: entry.runtime_data.coordinator.connected)
    me = entry.data["extension_id"]
    recorder = Recorder(hass, [me])
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"filters_refused_{entry.entry_id}") is not None

    sim.state.calls.start("hold_resume", me)
    await sim.state.calls.drain()
    await wait_for(hass, lambda: recorder[me].bus_types[-1:] == ["ended"])
    assert recorder[me].bus_types == ["ringing", "answered", "on_hold", "resumed", "ended"]
    assert recorder[me].statuses == ["ringing", "call_connected", "on_hold", "call_connected", "no_call"]
    recorder.stop()
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_without_presence_permission_setup_waits(hass: HomeAssistant, sim: Simulator) -> None:
    """Presence cannot be read without ReadPresence: setup retries and the repair issue names it."""
    sim.state.app.permissions.discard("ReadPresence")
    entry = make_entry(sim)
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"missing_permissions_{entry.entry_id}")
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert "ReadPresence" in issue.translation_placeholders["permissions"]


async def test_malformed_notification_is_ignored(
    hass: HomeAssistant, sim: Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    """A notification of the wrong shape is logged and skipped; the next good one still applies."""
    entry = make_entry(sim)
    await setup_entry(hass, entry)
    await wait_for(hass, lambda: entry.runtime_data.coordinator.connected)
    me = entry.data["extension_id"]
    sensor = entity_id(hass, "sensor", f"{me}_call_status")

    sim.state.bus.publish(SimEvent("presence", me, {"extensionId": me, "activeCalls": "not a list"}))
    sim.state.calls.set_presence(me, dnd_status="DoNotAcceptAnyCalls")
    await wait_for(
        hass, lambda: hass.states.get(sensor).attributes["dnd_status"] == "do_not_accept_any_calls"
    )
    assert "unexpected shape" in caplog.text
    assert hass.states.get(sensor).state == "no_call"
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_lost_subscription_permission_repairs_itself(hass: HomeAssistant, sim: Simulator) -> None:
    """Without WebSocketsSubscriptions the listener stops with a repair issue; once the permission is
    added, the next attempt connects and the issue goes away without a reload."""
    sim.state.app.permissions.discard("WebSocketsSubscriptions")
    entry = make_entry(sim)
    await setup_entry(hass, entry)
    registry = ir.async_get(hass)
    issue_id = f"missing_permissions_{entry.entry_id}"
    await wait_for(hass, lambda: registry.async_get_issue(DOMAIN, issue_id) is not None)
    placeholders = registry.async_get_issue(DOMAIN, issue_id).translation_placeholders  # type: ignore[union-attr]
    assert placeholders is not None
    assert "WebSocketsSubscriptions" in placeholders["permissions"]
    assert not entry.runtime_data.coordinator.connected

    sim.state.app.permissions.add("WebSocketsSubscriptions")
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=301))
    await wait_for(hass, lambda: entry.runtime_data.coordinator.connected)
    assert registry.async_get_issue(DOMAIN, issue_id) is None
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_unreadable_stored_tokens_log_in_again(
    hass: HomeAssistant, sim: Simulator, hass_storage: dict[str, Any]
) -> None:
    entry = make_entry(sim)
    hass_storage[f"{DOMAIN}.{entry.entry_id}"] = {
        "version": 1,
        "minor_version": 1,
        "key": f"{DOMAIN}.{entry.entry_id}",
        "data": {CONF_CREDENTIALS_ID: entry.data[CONF_CREDENTIALS_ID], "tokens": {"access_token": 5}},
    }
    await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    assert sim_logins(sim) == 1
    tokens = entry.runtime_data.client.tokens
    assert tokens is not None
    assert await hass.config_entries.async_unload(entry.entry_id)
    stored = hass_storage[f"{DOMAIN}.{entry.entry_id}"]["data"]
    assert stored["tokens"]["access_token"] == tokens.access_token


async def test_tokens_of_old_credentials_are_not_resumed(
    hass: HomeAssistant, sim: Simulator, hass_storage: dict[str, Any]
) -> None:
    """After reauth or reconfigure (a new credentials id) the stored session is not reused."""
    entry = make_entry(sim)
    await setup_entry(hass, entry)
    assert await hass.config_entries.async_unload(entry.entry_id)
    hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_CREDENTIALS_ID: "new"})
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert sim_logins(sim) == 2
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_unknown_transport_falls_back_to_websocket(
    hass: HomeAssistant, sim: Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    entry = make_entry(sim, transport="carrier_pigeon")
    await setup_entry(hass, entry)
    await wait_for(hass, lambda: entry.runtime_data.coordinator.connected)
    assert "Unknown transport 'carrier_pigeon'" in caplog.text
    assert await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (HttpFault(path=re.compile(r"/extension/~$"), status=429, retry_after=3600), "throttling"),
        (HttpFault(path=re.compile(r"/extension/~$"), status=503, remaining=10), "Failed to connect"),
    ],
)
async def test_setup_not_ready(hass: HomeAssistant, sim: Simulator, fault: HttpFault, reason: str) -> None:
    """Throttling and outages at startup retry later, with a translated reason."""
    sim.state.faults.http.append(fault)
    entry = make_entry(sim)
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert entry.reason is not None
    assert reason in entry.reason


async def test_periodic_refresh_without_changes(hass: HomeAssistant, sim: Simulator) -> None:
    """The hourly re-listing of the account's extensions changes nothing when nothing changed."""
    entry = make_entry(sim, monitor=MONITOR_ACCOUNT)
    await setup_entry(hass, entry)
    before = dict(entry.runtime_data.coordinator.extensions)
    requests = sum(1 for e in sim.state.log if e.get("path", "").endswith("/extension"))
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(hours=1, seconds=1))
    await wait_for(
        hass, lambda: sum(1 for e in sim.state.log if e.get("path", "").endswith("/extension")) > requests
    )
    await hass.async_block_till_done()
    assert entry.runtime_data.coordinator.extensions == before
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_unload_while_waiting_to_restart(hass: HomeAssistant, sim: Simulator) -> None:
    """Unloading cancels the pending restart of a stopped listener: nothing is left running."""
    sim.state.app.permissions.discard("WebSocketsSubscriptions")
    entry = make_entry(sim)
    await setup_entry(hass, entry)
    issue_id = f"missing_permissions_{entry.entry_id}"
    await wait_for(hass, lambda: ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None)
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert entry.state is ConfigEntryState.NOT_LOADED


async def test_lost_notification_settles_the_call(hass: HomeAssistant, sim: Simulator) -> None:
    """One source's end of a call is lost: the call still ends, once, when the engine's settle time
    passes (the hub wakes the engine at its deadline)."""
    entry = make_entry(sim)
    await setup_entry(hass, entry)
    await wait_for(hass, lambda: entry.runtime_data.coordinator.connected)
    me = entry.data["extension_id"]
    recorder = Recorder(hass, [me])
    tsid = sim.state.calls.start("inbound_answered", me, step=True)
    sim.state.calls.step(tsid)
    sim.state.calls.step(tsid)
    sensor = entity_id(hass, "sensor", f"{me}_call_status")
    await wait_for(hass, lambda: hass.states.get(sensor).state == "call_connected")

    # The hang-up's telephony notification (published first) is dropped; presence still reports it.
    sim.state.faults.notifications = NotificationFaults(drop=1.0, remaining=1)
    sim.state.calls.step(tsid)
    await barrier_presence(hass, sim, me)
    assert recorder[me].bus_types == ["ringing", "answered"]  # waiting for telephony to agree

    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=5))
    await wait_for(hass, lambda: recorder[me].bus_types == ["ringing", "answered", "ended"])
    assert hass.states.get(sensor).state == "no_call"
    recorder.stop()
    assert await hass.config_entries.async_unload(entry.entry_id)


async def barrier_presence(hass: HomeAssistant, sim: Simulator, extension_id: str) -> None:
    """Wait until a presence change made now has reached HA (so everything before it has, too)."""
    sensor = entity_id(hass, "sensor", f"{extension_id}_call_status")
    sim.state.calls.set_presence(extension_id, dnd_status="DoNotAcceptAnyCalls")
    await wait_for(
        hass, lambda: hass.states.get(sensor).attributes["dnd_status"] == "do_not_accept_any_calls"
    )


async def test_refresh_failure_keeps_extensions(hass: HomeAssistant, sim: Simulator) -> None:
    """If the hourly extension list cannot be read, the monitored extensions stay as they were."""
    entry = make_entry(sim, monitor=MONITOR_ACCOUNT)
    await setup_entry(hass, entry)
    before = dict(entry.runtime_data.coordinator.extensions)
    sim.state.faults.http.append(HttpFault(path=re.compile(r"/extension$"), status=400))
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(hours=1, seconds=1))
    await wait_for(hass, lambda: not sim.state.faults.http[0].remaining)
    await hass.async_block_till_done()
    assert entry.runtime_data.coordinator.extensions == before
    assert await hass.config_entries.async_unload(entry.entry_id)
