"""Binary sensors: on_call per extension (the busy light) and the account's notification connectivity."""

from __future__ import annotations

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import RingCentralConfigEntry
from .entity import RingCentralAccountEntity, RingCentralExtensionEntity
from .hub import RingCentralHub
from .views import ExtensionView

PARALLEL_UPDATES = 0

ON_CALL = BinarySensorEntityDescription(key="on_call", translation_key="on_call")
CONNECTED = BinarySensorEntityDescription(
    key="connected",
    translation_key="connected",
    device_class=BinarySensorDeviceClass.CONNECTIVITY,
    entity_category=EntityCategory.DIAGNOSTIC,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: RingCentralConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the account's connectivity sensor and an on_call sensor per monitored extension."""
    hub = entry.runtime_data

    @callback
    def _add(extension_ids: list[str]) -> None:
        async_add_entities(OnCallBinarySensor(hub, ext_id) for ext_id in extension_ids)

    async_add_entities([ConnectedBinarySensor(hub)])
    _add(hub.extension_ids)
    entry.async_on_unload(hub.async_add_extensions_listener(_add))


class OnCallBinarySensor(RingCentralExtensionEntity, BinarySensorEntity):
    """On while any call of the extension is connected or on hold."""

    def __init__(self, hub: RingCentralHub, extension_id: str) -> None:
        super().__init__(hub, extension_id, ON_CALL)

    @callback
    def _async_refresh(self, view: ExtensionView) -> object:
        self._attr_is_on = view.on_call
        return view.on_call


class ConnectedBinarySensor(RingCentralAccountEntity, BinarySensorEntity):
    """Whether notifications are flowing (the push connection is up and subscribed)."""

    def __init__(self, hub: RingCentralHub) -> None:
        super().__init__(hub, CONNECTED)

    @property
    def is_on(self) -> bool:
        return self.hub.connected
