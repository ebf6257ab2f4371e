"""The one place where the tests bridge differences between the supported Home Assistant releases.

Each helper detects the newer API by its presence (never by version number) and falls back to the older
call, so a test reads the same on every lane.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from homeassistant.components.config import device_registry as device_registry_api
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.typing import MockHAClientWebSocket


def device_by_identifier(
    registry: dr.DeviceRegistry, config_entry_id: str, identifier: tuple[str, str]
) -> dr.DeviceEntry | None:
    """The config entry's device with `identifier`.

    HA 2026.10 made identifiers unique per config entry only: `async_get_device(identifiers=…)` is
    deprecated there (and raises in tests) for `async_get_device_by_identifier`, which older releases
    lack.
    """
    by_identifier = getattr(registry, "async_get_device_by_identifier", None)
    if by_identifier is not None:
        device: dr.DeviceEntry | None = by_identifier(identifier, config_entry_id)
        return device
    return registry.async_get_device(identifiers={identifier})


async def remove_device(client: MockHAClientWebSocket, device_id: str, config_entry_id: str) -> Any:
    """Ask over the WebSocket API to remove the config entry's device; returns the result message.

    HA 2026.10 removes a device with `config/device_registry/remove` (the test client's `remove_device`
    then takes the device alone); older releases only know `remove_config_entry`, which takes both.
    """
    remove: Callable[..., Awaitable[Any]] = client.remove_device
    if hasattr(device_registry_api, "websocket_remove_device"):
        return await remove(device_id)
    return await remove(device_id, config_entry_id)
