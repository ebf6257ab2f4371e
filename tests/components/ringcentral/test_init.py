"""Setup, unload, error mapping, token persistence, repairs and devices, against the simulator."""

from __future__ import annotations

import re

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.ringcentral.const import DOMAIN
from rcsim import Simulator
from rcsim.faults import HttpFault

from .compat import device_by_identifier, remove_device
from .conftest import extension_ids, make_entry, setup_entry, sim_logins, wait_for


def _entity_id(hass: HomeAssistant, platform: str, unique_id: str) -> str:
    entity_id = er.async_get(hass).async_get_entity_id(platform, DOMAIN, unique_id)
    assert entity_id is not None, unique_id
    return entity_id


def _connected_id(hass: HomeAssistant, entry_unique_id: str) -> str:
    return _entity_id(hass, "binary_sensor", f"{entry_unique_id}_connected")


async def test_setup_and_unload(hass: HomeAssistant, sim: Simulator) -> None:
    """Setup creates the devices and connects; unload deletes the subscription and closes the socket."""
    entry = make_entry(sim)
    await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    admin = entry.data["extension_id"]

    connected = _connected_id(hass, entry.unique_id)
    await wait_for(hass, lambda: hass.states.get(connected).state == STATE_ON)
    assert len(sim.state.subscriptions.describe()) == 1
    assert sim.state.ws.connections == 1

    dev_reg = dr.async_get(hass)
    devices = dr.async_entries_for_config_entry(dev_reg, entry.entry_id)
    assert {next(iter(d.identifiers))[1] for d in devices} == {admin, entry.unique_id}
    ext_device = device_by_identifier(dev_reg, entry.entry_id, (DOMAIN, admin))
    assert ext_device is not None
    assert ext_device.name == sim.state.account.extensions[admin].name
    assert ext_device.model == "User"
    assert hass.states.get(_entity_id(hass, "sensor", f"{admin}_call_status")).state == "no_call"
    assert hass.states.get(_entity_id(hass, "binary_sensor", f"{admin}_on_call")).state == STATE_OFF

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.NOT_LOADED
    await wait_for(hass, lambda: sim.state.ws.connections == 0)
    assert sim.state.subscriptions.describe() == []


async def test_restart_resumes_session(hass: HomeAssistant, sim: Simulator) -> None:
    """Tokens are persisted: a reload (an HA restart) logs in with them, not with the JWT."""
    entry = make_entry(sim)
    await setup_entry(hass, entry)
    assert sim_logins(sim) == 1
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert sim_logins(sim) == 1
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_rejected_credentials_start_reauth(hass: HomeAssistant, sim: Simulator) -> None:
    entry = make_entry(sim)
    sim.state.account.extensions[entry.data["extension_id"]].jwt = "sim-jwt-rotated"
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_missing_permission_raises_repair(hass: HomeAssistant, sim: Simulator) -> None:
    entry = make_entry(sim)
    sim.state.app.permissions.discard("ReadAccounts")
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"missing_permissions_{entry.entry_id}")
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert "ReadAccounts" in issue.translation_placeholders["permissions"]
    assert entry.reason is not None
    assert "ReadAccounts" in entry.reason


async def test_server_error_retries(hass: HomeAssistant, sim: Simulator) -> None:
    entry = make_entry(sim)
    sim.state.faults.http.append(HttpFault(path=re.compile(r"/account/~/extension/~$"), status=400))
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY


async def test_refused_filters_raise_repair(hass: HomeAssistant, sim: Simulator) -> None:
    """Without CallControl, RingCentral refuses the telephony filter: the repair names the permission."""
    sim.state.app.permissions.discard("CallControl")
    entry = make_entry(sim)
    await setup_entry(hass, entry)
    registry = ir.async_get(hass)
    issue_id = f"filters_refused_{entry.entry_id}"
    await wait_for(hass, lambda: registry.async_get_issue(DOMAIN, issue_id) is not None)
    issue = registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["permissions"] == "CallControl"
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_credentials_revoked_while_running(hass: HomeAssistant, sim: Simulator) -> None:
    """Tokens revoked and the JWT replaced: the listener stops and re-authentication starts."""
    entry = make_entry(sim)
    await setup_entry(hass, entry)
    connected = _connected_id(hass, entry.unique_id)
    await wait_for(hass, lambda: hass.states.get(connected).state == STATE_ON)

    sim.state.account.extensions[entry.data["extension_id"]].jwt = "sim-jwt-rotated"
    sim.state.auth.revoke_all()
    sim.state.ws.drop_all()

    await wait_for(hass, lambda: bool(hass.config_entries.flow.async_progress()))
    assert hass.config_entries.flow.async_progress()[0]["context"]["source"] == SOURCE_REAUTH
    assert hass.states.get(connected).state == STATE_OFF
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_remove_only_stale_devices(
    hass: HomeAssistant, sim: Simulator, hass_ws_client: WebSocketGenerator
) -> None:
    entry = make_entry(sim)
    await setup_entry(hass, entry)
    dev_reg = dr.async_get(hass)
    admin = entry.data["extension_id"]
    live = device_by_identifier(dev_reg, entry.entry_id, (DOMAIN, admin))
    stale = dev_reg.async_get_or_create(config_entry_id=entry.entry_id, identifiers={(DOMAIN, "999999")})
    assert live is not None

    assert await async_setup_component(hass, "config", {})
    client = await hass_ws_client(hass)
    response = await remove_device(client, live.id, entry.entry_id)
    assert not response["success"]
    response = await remove_device(client, stale.id, entry.entry_id)
    assert response["success"]
    assert dev_reg.async_get(stale.id) is None
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_stale_devices_removed_at_setup(hass: HomeAssistant, sim: Simulator) -> None:
    """A device of an extension that is no longer monitored is removed when the entry starts."""
    entry = make_entry(sim)
    entry.add_to_hass(hass)
    dev_reg = dr.async_get(hass)
    old = dev_reg.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, extension_ids(sim)[2])}
    )
    await setup_entry(hass, entry)
    assert dev_reg.async_get(old.id) is None
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_remove_entry_forgets_tokens(hass: HomeAssistant, sim: Simulator) -> None:
    """Removing the entry deletes its token store: a new entry logs in with the JWT again."""
    entry = make_entry(sim)
    await setup_entry(hass, entry)
    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    logins = sim_logins(sim)
    again = make_entry(sim, entry_id=entry.entry_id)  # the same storage key as before
    await setup_entry(hass, again)
    assert sim_logins(sim) == logins + 1
    assert await hass.config_entries.async_unload(again.entry_id)
