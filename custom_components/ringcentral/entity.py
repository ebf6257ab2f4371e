"""Base entities: one device per monitored extension, one (service) device for the account."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from homeassistant.core import callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity import Entity, EntityDescription

from .const import account_signal, extension_signal

if TYPE_CHECKING:
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from . import RingCentralConfigEntry
    from .hub import RingCentralHub
    from .views import ExtensionUpdate, ExtensionView


@callback
def async_add_extension_entities(
    entry: RingCentralConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    factory: Callable[[RingCentralHub, str], Entity],
) -> None:
    """Add `factory(hub, extension_id)` for every monitored extension, now and as extensions appear."""
    hub = entry.runtime_data

    @callback
    def _add(extension_ids: list[str]) -> None:
        async_add_entities(factory(hub, ext_id) for ext_id in extension_ids)

    _add(hub.extension_ids)
    entry.async_on_unload(hub.async_add_extensions_listener(_add))


class RingCentralExtensionEntity(Entity):
    """An entity of one extension's device; it only listens to the hub, never talks to RingCentral."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, hub: RingCentralHub, extension_id: str, description: EntityDescription) -> None:
        self.entity_description = description
        self.hub = hub
        self.extension_id = extension_id
        self._attr_unique_id = f"{extension_id}_{description.key}"
        self._attr_device_info = hub.extension_device_info(extension_id)
        self._last_written: object = None

    @property
    def available(self) -> bool:
        """Unavailable while notifications cannot flow beyond the recovery window (never stale)."""
        return self.hub.is_available(self.extension_id)

    async def async_added_to_hass(self) -> None:
        """Listen to this extension's signal only."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, extension_signal(self.hub.entry_id, self.extension_id), self._async_handle_update
            )
        )
        self._last_written = (self.available, self._async_refresh(self.hub.view(self.extension_id)))

    @callback
    def _async_handle_update(self, update: ExtensionUpdate) -> None:
        """React to a change of the extension (state or availability); skip writes that change nothing."""
        written = (self.available, self._async_refresh(update.view))
        if written != self._last_written:
            self._last_written = written
            self.async_write_ha_state()

    @callback
    def _async_refresh(self, view: ExtensionView) -> object:
        """Copy what this entity shows from `view`; return a value that changes when that does."""
        raise NotImplementedError


class RingCentralAccountEntity(Entity):
    """An entity of the account's service device."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, hub: RingCentralHub, description: EntityDescription) -> None:
        self.entity_description = description
        self.hub = hub
        self._attr_unique_id = f"{hub.entry_unique_id}_{description.key}"
        self._attr_device_info = hub.account_device_info()

    async def async_added_to_hass(self) -> None:
        """Listen to account-level changes."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(self.hass, account_signal(self.hub.entry_id), self._async_handle_update)
        )

    @callback
    def _async_handle_update(self, *_: Any) -> None:
        self.async_write_ha_state()
