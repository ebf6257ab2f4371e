"""Selects of each monitored user extension: do not disturb and user status, declared as descriptions
over its `ExtensionView`.

The current option is the pushed presence; selecting one sets it on RingCentral (EditPresence) and
shows RingCentral's answer at once (the coordinator keeps it consistent with the notifications that
follow). Extensions without presence (departments, IVR menus and the like) get none; without the
EditPresence permission the selects are unavailable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .action_errors import action_error
from .aioringcentral.errors import RingCentralError
from .const import DND_OPTIONS, PERMISSION_EDIT_PRESENCE, PRESENCE_EXTENSION_TYPES, USER_STATUS_OPTIONS
from .coordinator import RingCentralConfigEntry, RingCentralCoordinator
from .entity import RingCentralExtensionEntity, async_add_extension_entities
from .views import ExtensionView

# Selecting calls RingCentral: one request at a time.
PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class RingCentralSelectEntityDescription(SelectEntityDescription):
    """A select of an extension: its option from the view, and the presence field it sets."""

    value_fn: Callable[[ExtensionView], str | None]
    field: str  # the `ExtensionView` / presence field selecting sets


SELECTS: tuple[RingCentralSelectEntityDescription, ...] = (
    RingCentralSelectEntityDescription(
        key="do_not_disturb",
        translation_key="do_not_disturb",
        options=list(DND_OPTIONS),
        value_fn=lambda view: view.dnd_status,
        field="dnd_status",
    ),
    RingCentralSelectEntityDescription(
        key="user_status",
        translation_key="user_status",
        options=list(USER_STATUS_OPTIONS),
        value_fn=lambda view: view.user_status,
        field="user_status",
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: RingCentralConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the selects of every monitored extension that has presence, now and as extensions appear."""

    def _selects(coordinator: RingCentralCoordinator, extension_id: str) -> Iterable[RingCentralSelect]:
        if coordinator.extensions[extension_id].type not in PRESENCE_EXTENSION_TYPES:
            return ()
        return (RingCentralSelect(coordinator, extension_id, description) for description in SELECTS)

    async_add_extension_entities(entry, async_add_entities, _selects)


class RingCentralSelect(RingCentralExtensionEntity, SelectEntity):
    """A presence select of one extension, as its description says."""

    entity_description: RingCentralSelectEntityDescription

    def __init__(
        self,
        coordinator: RingCentralCoordinator,
        extension_id: str,
        description: RingCentralSelectEntityDescription,
    ) -> None:
        super().__init__(coordinator, extension_id, description)

    def _available(self, extension_available: bool) -> bool:
        """Also unavailable while the app lacks EditPresence."""
        return extension_available and self.coordinator.control.permitted(PERMISSION_EDIT_PRESENCE)

    @callback
    def _async_refresh(self, view: ExtensionView) -> object:
        value = self.entity_description.value_fn(view)
        # `unknown` (RingCentral's Unknown) and anything new show as unknown.
        option = value if value in self.options else None
        if option != self._attr_current_option:  # each `_attr_` set also clears HA's cached property
            self._attr_current_option = option
        return option

    async def async_select_option(self, option: str) -> None:
        """Set the option on RingCentral; the coordinator shows the answer (and signals this entity)."""
        try:
            await self.coordinator.control.async_set_presence(
                self.extension_id, self.entity_description.field, option
            )
        except RingCentralError as err:
            raise action_error(self.coordinator, err, PERMISSION_EDIT_PRESENCE) from err
