"""Event entities per monitored extension (declared as descriptions): `call` (ringing, dialing,
answered, on_hold, resumed, parked, voicemail, missed, ended) and `message` (voicemail, sms)."""

from __future__ import annotations

from collections.abc import Iterable

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import EVENT_TYPES, MESSAGE_TYPES
from .coordinator import RingCentralConfigEntry, RingCentralCoordinator
from .entity import RingCentralExtensionEntity, async_add_extension_entities
from .message_entities import RingCentralMessageEventEntity
from .views import ExtensionUpdate, ExtensionView

PARALLEL_UPDATES = 0

EVENTS: tuple[EventEntityDescription, ...] = (
    EventEntityDescription(key="call", translation_key="call", event_types=list(EVENT_TYPES)),
)
# New voicemail and SMS (issue 16): from the extension's messages, not its call events.
MESSAGE = EventEntityDescription(key="message", translation_key="message", event_types=list(MESSAGE_TYPES))


async def async_setup_entry(
    hass: HomeAssistant,
    entry: RingCentralConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the event entities of every monitored extension, now and as extensions appear."""

    def _events(coordinator: RingCentralCoordinator, extension_id: str) -> Iterable[EventEntity]:
        yield from (RingCentralEventEntity(coordinator, extension_id, description) for description in EVENTS)
        yield RingCentralMessageEventEntity(coordinator, entry.runtime_data.messages, extension_id, MESSAGE)

    async_add_extension_entities(entry, async_add_entities, _events)


class RingCentralEventEntity(RingCentralExtensionEntity, EventEntity):
    """Fires once per call event of the extension, in the order the coordinator derived them."""

    # Who called whom changes with every call and is personal data: keep it out of history (the
    # event type, session ids, direction, reason and duration are recorded).
    _unrecorded_attributes = frozenset({"from", "from_name", "to", "to_name"})

    @callback
    def _async_refresh(self, view: ExtensionView) -> object:
        return None  # an event entity's state is its last event; only availability comes from the view

    @callback
    def _async_handle_update(self, update: ExtensionUpdate, available: bool) -> None:
        if not update.events:
            super()._async_handle_update(update, available)  # availability may have changed
            return
        self._last_written = (self._available(available), None)
        for event in update.events:
            self._trigger_event(event.type, event.attributes())
            self.async_write_ha_state()
