"""Base entities and the devices they belong to: one device per monitored extension, one (service)
device for the account.

Entities only listen to the coordinator's dispatcher signals; they never talk to RingCentral. The
`DeviceInfo` builders here also serve `devices.py`, which registers the devices before the entities
exist (so bus events can carry a device id from the start).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity import Entity, EntityDescription

from .aioringcentral.models import AccountInfo, ExtensionInfo
from .const import DOMAIN, account_signal
from .extensions import extension_name

if TYPE_CHECKING:
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import RingCentralConfigEntry, RingCentralCoordinator
    from .views import ExtensionUpdate, ExtensionView

MANUFACTURER = "RingCentral"


def account_device_info(entry_unique_id: str, account: AccountInfo | None) -> DeviceInfo:
    """The account's service device (identified per entry: two users of one account stay apart)."""
    name = (account.name if account else None) or "RingCentral account"
    return DeviceInfo(
        identifiers={(DOMAIN, entry_unique_id)},
        name=name,
        manufacturer=MANUFACTURER,
        model="Account",
        entry_type=DeviceEntryType.SERVICE,
    )


def extension_device_info(info: ExtensionInfo) -> DeviceInfo:
    """An extension's device (identified by the extension id)."""
    return DeviceInfo(
        identifiers={(DOMAIN, info.id)},
        name=extension_name(info),
        manufacturer=MANUFACTURER,
        model=info.type or "Extension",
        serial_number=info.extension_number,
    )


@callback
def async_add_extension_entities(
    entry: RingCentralConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    factory: Callable[[RingCentralCoordinator, str], Iterable[Entity]],
) -> None:
    """Add `factory(coordinator, extension_id)` for every monitored extension, now and as extensions
    appear."""
    coordinator = entry.runtime_data.coordinator

    @callback
    def _add(extension_ids: list[str]) -> None:
        async_add_entities(entity for ext_id in extension_ids for entity in factory(coordinator, ext_id))

    _add(coordinator.extension_ids)
    entry.async_on_unload(coordinator.async_add_extensions_listener(_add))


class RingCentralExtensionEntity(Entity):
    """An entity of one extension's device."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(
        self, coordinator: RingCentralCoordinator, extension_id: str, description: EntityDescription
    ) -> None:
        self.entity_description = description
        self.coordinator = coordinator
        self.extension_id = extension_id
        self._attr_unique_id = f"{extension_id}_{description.key}"
        self._attr_device_info = extension_device_info(coordinator.extensions[extension_id])
        self._last_written: object = None

    @property
    def available(self) -> bool:
        """Unavailable while notifications cannot flow beyond the recovery window (never stale)."""
        return self._available(self.coordinator.is_available(self.extension_id))

    def _available(self, extension_available: bool) -> bool:
        """Whether this entity is available, given whether its extension is (subclasses add to it)."""
        return extension_available

    async def async_added_to_hass(self) -> None:
        """Listen to this extension's signal only."""
        await super().async_added_to_hass()
        fanout = self.coordinator.fanout
        self.async_on_remove(fanout.async_listen(self.extension_id, self._async_handle_update))
        self._last_written = (self.available, self._async_refresh(self.coordinator.view(self.extension_id)))

    @callback
    def _async_handle_update(self, update: ExtensionUpdate, available: bool) -> None:
        """React to a change of the extension (state or `available`, the extension's availability);
        skip writes that change nothing."""
        written = (self._available(available), self._async_refresh(update.view))
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

    def __init__(self, coordinator: RingCentralCoordinator, description: EntityDescription) -> None:
        self.entity_description = description
        self.coordinator = coordinator
        self._attr_unique_id = f"{coordinator.entry_unique_id}_{description.key}"
        self._attr_device_info = account_device_info(coordinator.entry_unique_id, coordinator.account)

    async def async_added_to_hass(self) -> None:
        """Listen to account-level changes."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, account_signal(self.coordinator.entry_id), self._async_handle_update
            )
        )

    @callback
    def _async_handle_update(self, *_: Any) -> None:
        self.async_write_ha_state()
