"""Entity and device registry entries and states, as snapshots; translations and icons cover them.

The snapshots hold what this integration decides (ids, names, translation keys, classes, attributes,
device identity), never a registry entry whole: Home Assistant adds and renames its own bookkeeping
fields from release to release, and the same snapshot file must pass on every supported release.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from syrupy.assertion import SnapshotAssertion

from custom_components.ringcentral.const import (
    CALL_STATUSES,
    DND_OPTIONS,
    EVENT_TYPES,
    MONITOR_ACCOUNT,
    USER_STATUS_OPTIONS,
)
from rcsim import Simulator

from .conftest import make_entry, settled, setup_entry, wait_for

PACKAGE = Path(__file__).parents[3] / "custom_components" / "ringcentral"

# The entity registry fields the integration sets (through its entity descriptions and unique ids).
ENTITY_FIELDS = (
    "entity_id",
    "unique_id",
    "platform",
    "translation_key",
    "has_entity_name",
    "original_name",
    "original_device_class",
    "original_icon",
    "entity_category",
    "supported_features",
    "unit_of_measurement",
    "disabled_by",
    "hidden_by",
)
# The device registry fields the integration sets (through its DeviceInfo).
DEVICE_FIELDS = (
    "identifiers",
    "name",
    "manufacturer",
    "model",
    "model_id",
    "serial_number",
    "sw_version",
    "hw_version",
    "entry_type",
    "configuration_url",
)


def _str_keys(mapping: Mapping[str, Any] | None) -> dict[str, Any] | None:
    # Newer releases key standard attributes and capabilities by StrEnums: by value the same names.
    return None if mapping is None else {str(key): value for key, value in mapping.items()}


def _entity(entry: er.RegistryEntry, devices: dr.DeviceRegistry) -> dict[str, Any]:
    device = devices.async_get(entry.device_id) if entry.device_id else None
    return {
        **{name: getattr(entry, name) for name in ENTITY_FIELDS},
        "capabilities": _str_keys(entry.capabilities),
        "device": device.identifiers if device else None,
    }


def _state(state: State) -> dict[str, Any]:
    attributes = _str_keys(state.attributes) or {}
    if "last_reset" in attributes:
        # Today's local midnight: the snapshot must not change with the date.
        assert dt_util.parse_datetime(attributes["last_reset"]) == dt_util.start_of_local_day()
        attributes["last_reset"] = "<local midnight>"
    return {"state": state.state, "attributes": attributes}


def _device(device: dr.DeviceEntry, devices: dr.DeviceRegistry) -> dict[str, Any]:
    parent = devices.async_get(device.via_device_id) if device.via_device_id else None
    return {
        **{name: getattr(device, name) for name in DEVICE_FIELDS},
        "via_device": parent.identifiers if parent else None,
    }


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
    await wait_for(hass, lambda: settled(hass, entry))

    entities = sorted(
        er.async_entries_for_config_entry(entity_registry, entry.entry_id), key=lambda e: e.entity_id
    )
    # connectivity + (status, on_call, call, missed_calls, last_caller, unread_voicemails, message) per
    # extension + (do_not_disturb, user_status) per extension
    assert len(entities) == 1 + 3 * 7 + 3 * 2
    for entity in entities:
        assert _entity(entity, device_registry) == snapshot(name=f"{entity.entity_id}-entry")
        state = hass.states.get(entity.entity_id)
        assert state is not None
        assert _state(state) == snapshot(name=f"{entity.entity_id}-state")
    devices = sorted(
        dr.async_entries_for_config_entry(device_registry, entry.entry_id), key=lambda d: d.name or ""
    )
    for device in devices:
        assert _device(device, device_registry) == snapshot(name=f"{device.name}-device")
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
    for key, options in (("do_not_disturb", DND_OPTIONS), ("user_status", USER_STATUS_OPTIONS)):
        assert set(strings["entity"]["select"][key]["state"]) == set(options)
        assert set(icons["entity"]["select"][key]["state"]) == set(options)
    assert "[%key:" not in json.dumps(strings)
