"""Binary sensors, declared as descriptions: on_call per extension (the busy light, from its
`ExtensionView`) and the account's notification connectivity (from the coordinator)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

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


@dataclass(frozen=True, kw_only=True)
class RingCentralBinarySensorEntityDescription(BinarySensorEntityDescription):
    """A binary sensor of an extension: on or off from the extension's view."""

    value_fn: Callable[[ExtensionView], bool]


@dataclass(frozen=True, kw_only=True)
class RingCentralAccountBinarySensorEntityDescription(BinarySensorEntityDescription):
    """A binary sensor of the account: on or off from the coordinator."""

    value_fn: Callable[[RingCentralCoordinator], bool]


EXTENSION_BINARY_SENSORS: tuple[RingCentralBinarySensorEntityDescription, ...] = (
    # On while any call of the extension is connected or on hold.
    RingCentralBinarySensorEntityDescription(
        key="on_call", translation_key="on_call", value_fn=lambda view: view.on_call
    ),
)

ACCOUNT_BINARY_SENSORS: tuple[RingCentralAccountBinarySensorEntityDescription, ...] = (
    # Whether notifications are flowing (the push connection is up and subscribed).
    RingCentralAccountBinarySensorEntityDescription(
        key="connected",
        translation_key="connected",
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda coordinator: coordinator.connected,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: RingCentralConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the account's binary sensors and those of every monitored extension."""
    coordinator = entry.runtime_data.coordinator
    async_add_entities(
        RingCentralAccountBinarySensor(coordinator, description) for description in ACCOUNT_BINARY_SENSORS
    )

    def _sensors(
        coordinator: RingCentralCoordinator, extension_id: str
    ) -> Iterable[RingCentralExtensionBinarySensor]:
        return (
            RingCentralExtensionBinarySensor(coordinator, extension_id, description)
            for description in EXTENSION_BINARY_SENSORS
        )

    async_add_extension_entities(entry, async_add_entities, _sensors)


class RingCentralExtensionBinarySensor(RingCentralExtensionEntity, BinarySensorEntity):
    """A binary sensor of one extension, as its description says."""

    entity_description: RingCentralBinarySensorEntityDescription

    def __init__(
        self,
        coordinator: RingCentralCoordinator,
        extension_id: str,
        description: RingCentralBinarySensorEntityDescription,
    ) -> None:
        super().__init__(coordinator, extension_id, description)

    @callback
    def _async_refresh(self, view: ExtensionView) -> object:
        value = self.entity_description.value_fn(view)
        if value != self._attr_is_on:  # each `_attr_` set also clears HA's cached property
            self._attr_is_on = value
        return value


class RingCentralAccountBinarySensor(RingCentralAccountEntity, BinarySensorEntity):
    """A binary sensor of the account, as its description says."""

    entity_description: RingCentralAccountBinarySensorEntityDescription

    def __init__(
        self,
        coordinator: RingCentralCoordinator,
        description: RingCentralAccountBinarySensorEntityDescription,
    ) -> None:
        super().__init__(coordinator, description)

    @property
    def is_on(self) -> bool:
        return self.entity_description.value_fn(self.coordinator)
