"""Diagnostics: useful state, with secrets, tokens, phone numbers and names redacted."""

from __future__ import annotations

import json

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.components.diagnostics import get_diagnostics_for_config_entry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from custom_components.ringcentral.const import MONITOR_ACCOUNT
from rcsim import Simulator
from rcsim.faults import NotificationFaults

from .conftest import make_entry, settled, setup_entry, wait_for
from .recorder import entity_id

# Values that change from run to run (ports, clocks, generated ids).
VOLATILE = props(
    "server",
    "access_expires_at",
    "refresh_expires_at",
    "credentials_id",
    "id",
    "last_message_at",
    "connected_since",
    "rate_limits",
    "start_time",
    "subscription_id",
    "last_refresh",
)


async def test_diagnostics(
    hass: HomeAssistant, sim: Simulator, hass_client: ClientSessionGenerator, snapshot: SnapshotAssertion
) -> None:
    entry = make_entry(sim, monitor=MONITOR_ACCOUNT)
    await setup_entry(hass, entry)
    await wait_for(hass, lambda: entry.runtime_data.coordinator.connected)
    await wait_for(hass, lambda: settled(hass, entry))
    me = entry.data["extension_id"]
    tsid = sim.state.calls.start("inbound_answered", me, step=True)
    sim.state.calls.step(tsid)
    sensor = entity_id(hass, "sensor", f"{me}_call_status")
    await wait_for(hass, lambda: hass.states.get(sensor).state == "ringing")

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    assert diagnostics == snapshot(exclude=VOLATILE)
    text = json.dumps(diagnostics)
    tokens = entry.runtime_data.client.tokens
    assert tokens is not None
    secrets = [entry.data["jwt"], entry.data["client_secret"], tokens.access_token, tokens.refresh_token]
    people = [ext.name for ext in sim.state.account.extensions.values()]
    numbers = [ext.phone_number for ext in sim.state.account.extensions.values()]
    caller = hass.states.get(sensor).attributes["active_calls"][0]
    for value in [*secrets, *people, *numbers, caller["from"], caller["from_name"]]:
        assert value not in text
    assert diagnostics["hub"]["state"][me]["call_status"] == "ringing"
    assert diagnostics["hub"]["connected"] is True
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_diagnostics_of_control(
    hass: HomeAssistant, sim: Simulator, hass_client: ClientSessionGenerator
) -> None:
    """Missing control permissions and presence set but not yet confirmed show; the click-to-dial
    number chosen in the options does not."""
    sim.state.app.permissions.discard("RingOut")
    entry = make_entry(sim, ring_out_from="+14155550199")
    await setup_entry(hass, entry)
    await wait_for(hass, lambda: entry.runtime_data.coordinator.connected)
    me = entry.data["extension_id"]
    sim.state.faults.notifications = NotificationFaults(drop=1.0, remaining=1)
    await hass.services.async_call(
        "select",
        "select_option",
        {"entity_id": entity_id(hass, "select", f"{me}_user_status"), "option": "busy"},
        blocking=True,
    )

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    assert diagnostics["hub"]["control"] == {
        "missing_permissions": ["RingOut"],
        "presence_edits": [{"extension_id": me, "field": "user_status", "value": "busy", "seen": False}],
    }
    assert diagnostics["entry"]["options"]["ring_out_from"] == "**REDACTED**"
    assert "+14155550199" not in json.dumps(diagnostics)
    assert await hass.config_entries.async_unload(entry.entry_id)
