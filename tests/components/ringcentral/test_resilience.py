"""Restarts, lost connections, long outages and extensions that come and go, end to end."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.ringcentral.const import DOMAIN, MONITOR_ACCOUNT
from rcsim import Simulator
from rcsim.faults import HttpFault

from .compat import device_by_identifier
from .conftest import make_entry, setup_entry, sim_logins, wait_for
from .recorder import Recorder, entity_id


async def _answered_call(hass: HomeAssistant, sim: Simulator, extension_id: str) -> str:
    """Start an inbound call in step mode and let it ring and be answered; returns its session id."""
    sensor = entity_id(hass, "sensor", f"{extension_id}_call_status")
    tsid = sim.state.calls.start("inbound_answered", extension_id, step=True)
    sim.state.calls.step(tsid)
    sim.state.calls.step(tsid)
    await wait_for(hass, lambda: hass.states.get(sensor).state == "call_connected")
    return tsid


async def test_restart_mid_call_restores_state(hass: HomeAssistant, sim: Simulator) -> None:
    """An HA restart during a call: the call shows connected again, the session is resumed, and the
    call's end after the restart fires `ended` exactly once (nothing is replayed)."""
    entry = make_entry(sim)
    await setup_entry(hass, entry)
    await wait_for(hass, lambda: entry.runtime_data.coordinator.connected)
    me = entry.data["extension_id"]
    tsid = await _answered_call(hass, sim, me)
    sensor = entity_id(hass, "sensor", f"{me}_call_status")
    on_call = entity_id(hass, "binary_sensor", f"{me}_on_call")
    logins = sim_logins(sim)

    assert await hass.config_entries.async_unload(entry.entry_id)
    recorder = Recorder(hass, [me])
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert hass.states.get(sensor).state == "call_connected"
    assert hass.states.get(sensor).attributes["active_calls"][0]["telephony_session_id"] == tsid
    assert hass.states.get(on_call).state == STATE_ON
    assert sim_logins(sim) == logins  # persisted tokens, no new JWT login
    await wait_for(hass, lambda: entry.runtime_data.coordinator.connected)
    assert recorder[me].bus_events == []  # the restored call fires nothing

    sim.state.calls.step(tsid)  # hang up
    await wait_for(hass, lambda: hass.states.get(sensor).state == "no_call")
    assert recorder[me].bus_types == ["ended"]
    assert recorder[me].entity_events == ["ended"]
    recorder.stop()
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_recovered_connection_replays_once(hass: HomeAssistant, sim: Simulator) -> None:
    """A dropped socket that recovers its session gets the missed notifications, each once."""
    # RingCentral keeps a session recoverable for 180 s; at the simulator's speed that is under a
    # second of real time, shorter than the client's first reconnect delay.
    sim.config.ws_recovery_timeout = 180 * 3600
    entry = make_entry(sim)
    await setup_entry(hass, entry)
    await wait_for(hass, lambda: entry.runtime_data.coordinator.connected)
    me = entry.data["extension_id"]
    recorder = Recorder(hass, [me])
    tsid = await _answered_call(hass, sim, me)
    sensor = entity_id(hass, "sensor", f"{me}_call_status")

    sim.state.ws.drop_all()
    sim.state.calls.step(tsid)  # hang up while the socket is down: buffered for recovery
    await wait_for(hass, lambda: hass.states.get(sensor).state == "no_call")
    await wait_for(hass, lambda: entry.runtime_data.coordinator.connected)
    assert recorder[me].bus_types == ["ringing", "answered", "ended"]
    assert entry.runtime_data.coordinator.push.diagnostics()["stats"]["recoveries_ok"] == 1
    recorder.stop()
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_failed_recovery_resyncs(hass: HomeAssistant, sim: Simulator) -> None:
    """A forced disconnect whose recovery fails loses notifications: state is re-read from REST and
    the call that ended meanwhile ends in HA too, exactly once."""
    entry = make_entry(sim)
    await setup_entry(hass, entry)
    await wait_for(hass, lambda: entry.runtime_data.coordinator.connected)
    me = entry.data["extension_id"]
    recorder = Recorder(hass, [me])
    tsid = await _answered_call(hass, sim, me)
    sensor = entity_id(hass, "sensor", f"{me}_call_status")
    presence_reads = _presence_reads(sim)

    sim.state.faults.fail_recoveries = 1
    sim.state.ws.drop_all()
    sim.state.calls.step(tsid)  # hang up while away: this notification is lost
    await wait_for(hass, lambda: hass.states.get(sensor).state == "no_call")

    assert _presence_reads(sim) > presence_reads  # resynced from REST
    assert recorder[me].bus_types == ["ringing", "answered", "ended"]
    assert recorder[me].on_call == [STATE_ON, STATE_OFF]
    recorder.stop()
    assert await hass.config_entries.async_unload(entry.entry_id)


def _presence_reads(sim: Simulator) -> int:
    return sum(
        1
        for entry in sim.state.log
        if entry.get("kind") == "request" and "/presence" in str(entry.get("path", ""))
    )


async def test_long_outage_makes_entities_unavailable(
    hass: HomeAssistant, sim: Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    """Past the recovery window without notifications, call state is unavailable, never stale; once
    notifications flow again it is resynced and available."""
    entry = make_entry(sim)
    await setup_entry(hass, entry)
    await wait_for(hass, lambda: entry.runtime_data.coordinator.connected)
    me = entry.data["extension_id"]
    tsid = await _answered_call(hass, sim, me)
    sensor = entity_id(hass, "sensor", f"{me}_call_status")
    on_call = entity_id(hass, "binary_sensor", f"{me}_on_call")
    event = entity_id(hass, "event", f"{me}_call")
    connected = entity_id(hass, "binary_sensor", f"{entry.unique_id}_connected")

    sim.state.faults.http.append(
        HttpFault(path=re.compile(r"/restapi/oauth/wstoken"), status=400, remaining=None)
    )
    sim.state.ws.drop_all()
    await wait_for(hass, lambda: hass.states.get(connected).state == STATE_OFF)
    # Within the recovery window the last state stays.
    assert hass.states.get(sensor).state == "call_connected"

    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=181))
    await wait_for(hass, lambda: hass.states.get(sensor).state == STATE_UNAVAILABLE)
    assert hass.states.get(on_call).state == STATE_UNAVAILABLE
    assert hass.states.get(event).state == STATE_UNAVAILABLE
    assert hass.states.get(connected).state == STATE_OFF  # the diagnostic sensor itself stays available

    # RingCentral refused the wstoken outright (400): the listener gives up and starts again later.
    await wait_for(hass, lambda: "retrying in 300 s" in caplog.text)
    sim.state.calls.step(tsid)  # the call ends while we cannot hear it
    sim.state.faults.clear()
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=301))
    await wait_for(hass, lambda: hass.states.get(sensor).state == "no_call")
    assert hass.states.get(on_call).state == STATE_OFF
    assert hass.states.get(connected).state == STATE_ON
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_outage_recovers_by_itself(hass: HomeAssistant, sim: Simulator) -> None:
    """An outage beyond the window that heals: the transport reconnects on its own and state is resynced."""
    # The retries would exhaust the Auth rate-limit group, whose penalty the client waits out in real
    # seconds (the simulator's are scaled); rate limiting is not what this test is about.
    sim.config.rate_limits_enabled = False
    entry = make_entry(sim)
    await setup_entry(hass, entry)
    await wait_for(hass, lambda: entry.runtime_data.coordinator.connected)
    me = entry.data["extension_id"]
    tsid = await _answered_call(hass, sim, me)
    sensor = entity_id(hass, "sensor", f"{me}_call_status")
    connected = entity_id(hass, "binary_sensor", f"{entry.unique_id}_connected")

    sim.state.faults.http.append(
        HttpFault(path=re.compile(r"/restapi/oauth/wstoken"), status=503, remaining=None)
    )
    sim.state.ws.drop_all()
    await wait_for(hass, lambda: hass.states.get(connected).state == STATE_OFF)
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=181))
    await wait_for(hass, lambda: hass.states.get(sensor).state == STATE_UNAVAILABLE)

    sim.state.calls.step(tsid)
    sim.state.faults.clear()
    # The transport's next attempt (its backoff is a second or two at this point) gets through.
    await wait_for(hass, lambda: hass.states.get(sensor).state == "no_call")
    assert hass.states.get(connected).state == STATE_ON
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_extensions_come_and_go(hass: HomeAssistant, sim: Simulator) -> None:
    """Monitoring the whole account: a new extension appears without a restart, a deleted one goes."""
    entry = make_entry(sim, monitor=MONITOR_ACCOUNT)
    await setup_entry(hass, entry)
    await wait_for(hass, lambda: entry.runtime_data.coordinator.connected)
    dev_reg = dr.async_get(hass)
    ent_reg = er.async_get(hass)

    newcomer = sim.state.account.add_extension("Nina Newcomer")
    tsid = sim.state.calls.start("inbound_answered", newcomer.id, step=True)
    sim.state.calls.step(tsid)
    sim.state.calls.step(tsid)
    await wait_for(
        hass, lambda: ent_reg.async_get_entity_id("sensor", DOMAIN, f"{newcomer.id}_call_status") is not None
    )
    sensor = entity_id(hass, "sensor", f"{newcomer.id}_call_status")
    await wait_for(hass, lambda: hass.states.get(sensor).state == "call_connected")
    device = device_by_identifier(dev_reg, entry.entry_id, (DOMAIN, newcomer.id))
    assert device is not None
    assert device.name == "Nina Newcomer"
    sim.state.calls.step(tsid)
    await wait_for(hass, lambda: hass.states.get(sensor).state == "no_call")

    del sim.state.account.extensions[newcomer.id]
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(hours=1, seconds=1))
    await wait_for(hass, lambda: device_by_identifier(dev_reg, entry.entry_id, (DOMAIN, newcomer.id)) is None)
    assert ent_reg.async_get_entity_id("sensor", DOMAIN, f"{newcomer.id}_call_status") is None
    assert await hass.config_entries.async_unload(entry.entry_id)
