"""Entity and device registry entries and states, as snapshots; translations and icons cover them."""

from __future__ import annotations

import json
from pathlib import Path

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from custom_components.ringcentral.const import CALL_STATUSES, EVENT_TYPES, MONITOR_ACCOUNT
from rcsim import Simulator

from .conftest import make_entry, setup_entry, wait_for

PACKAGE = Path(__file__).parents[3] / "custom_components" / "ringcentral"


async def test_entities(
    hass: HomeAssistant,
    sim: Simulator,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    entry = make_entry(sim, monitor=MONITOR_ACCOUNT)
    await setup_entry(hass, entry)
    await wait_for(hass, lambda: entry.runtime_data.coordinator.connected)

    entities = sorted(
        er.async_entries_for_config_entry(entity_registry, entry.entry_id), key=lambda e: e.entity_id
    )
    assert len(entities) == 1 + 3 * 3  # connectivity + (status, on_call, call) per extension
    for entity in entities:
        assert entity == snapshot(name=f"{entity.entity_id}-entry")
        assert hass.states.get(entity.entity_id) == snapshot(name=f"{entity.entity_id}-state")
    devices = sorted(
        dr.async_entries_for_config_entry(device_registry, entry.entry_id), key=lambda d: d.name or ""
    )
    for device in devices:
        assert device == snapshot(
            name=f"{device.name}-device", exclude=props("via_device_id", "config_entries_subentries")
        )
    assert await hass.config_entries.async_unload(entry.entry_id)


def test_translations_and_icons_cover_every_state() -> None:
    """Every sensor option and event type has a label and an icon (custom integrations ship en.json)."""
    strings = json.loads((PACKAGE / "translations" / "en.json").read_text())
    icons = json.loads((PACKAGE / "icons.json").read_text())
    sensor = strings["entity"]["sensor"]["call_status"]["state"]
    assert set(sensor) == set(CALL_STATUSES)
    assert set(icons["entity"]["sensor"]["call_status"]["state"]) == set(CALL_STATUSES)
    event = strings["entity"]["event"]["call"]["state_attributes"]["event_type"]["state"]
    assert set(event) == set(EVENT_TYPES)
    assert set(icons["entity"]["event"]["call"]["state_attributes"]["event_type"]["state"]) == set(
        EVENT_TYPES
    )
    assert "[%key:" not in json.dumps(strings)
