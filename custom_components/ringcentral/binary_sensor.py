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

from .coordinator import RingCentralConfigEntry, RingCentralCoordinator
from .entity import RingCentralAccountEntity, RingCentralExtensionEntity, async_add_extension_entities
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
    async_add_entities([ConnectedBinarySensor(entry.runtime_data.coordinator)])
    async_add_extension_entities(entry, async_add_entities, OnCallBinarySensor)


class OnCallBinarySensor(RingCentralExtensionEntity, BinarySensorEntity):
    """On while any call of the extension is connected or on hold."""

    def __init__(self, coordinator: RingCentralCoordinator, extension_id: str) -> None:
        super().__init__(coordinator, extension_id, ON_CALL)

    @callback
    def _async_refresh(self, view: ExtensionView) -> object:
        self._attr_is_on = view.on_call
        return view.on_call


class ConnectedBinarySensor(RingCentralAccountEntity, BinarySensorEntity):
    """Whether notifications are flowing (the push connection is up and subscribed)."""

    def __init__(self, coordinator: RingCentralCoordinator) -> None:
        super().__init__(coordinator, CONNECTED)

    @property
    def is_on(self) -> bool:
        return self.coordinator.connected
