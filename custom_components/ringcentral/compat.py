"""Home Assistant APIs that changed between our minimum (2026.2) and newer releases, in one place.

Each helper picks the API by feature detection, so neither release reports deprecated use.
"""

from __future__ import annotations

from homeassistant.helpers import device_registry as dr


def device_config_entry_ids(device: dr.DeviceEntry) -> set[str]:
    """The config entries a device belongs to.

    From 2026.8 a device belongs to one entry (`config_entry_id`) and `config_entries` is deprecated;
    before, only `config_entries` exists.
    """
    if hasattr(device, "config_entry_id"):
        return {str(device.config_entry_id)}
    return set(device.config_entries)


def async_remove_device_of_entry(registry: dr.DeviceRegistry, device: dr.DeviceEntry, entry_id: str) -> None:
    """Take `device` away from the entry `entry_id`, leaving it to any other entry it belongs to.

    Before 2026.8 one device could belong to several entries (two entries registering one extension
    shared it): removing the device would take it from the others too, so only the entry is removed
    from it. From 2026.8 a device belongs to one entry and removing it is the way (removing an entry
    from a device is deprecated there).
    """
    if device_config_entry_ids(device) - {entry_id}:
        registry.async_update_device(device.id, remove_config_entry_id=entry_id)
    else:
        registry.async_remove_device(device.id)
