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
