"""Entities of an extension's messages: the `unread_voicemails` sensor and the `message` event entity.

They listen to the extension's message signal (`messages.py`) besides its call-state signal (which
says when notifications stopped flowing): unavailable when either the call state is stale or messages
of the extension cannot be followed (a refused filter, no ReadMessages).
"""

from __future__ import annotations

from homeassistant.components.event import EventEntity
from homeassistant.components.sensor import SensorEntity
from homeassistant.core import callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity import EntityDescription

from .const import message_signal
from .coordinator import RingCentralCoordinator
from .entity import RingCentralExtensionEntity
from .message_views import MessageUpdateData
from .messages import RingCentralMessages
from .views import ExtensionView


class RingCentralMessageEntity(RingCentralExtensionEntity):
    """An entity of one extension's messages."""

    def __init__(
        self,
        coordinator: RingCentralCoordinator,
        messages: RingCentralMessages,
        extension_id: str,
        description: EntityDescription,
    ) -> None:
        super().__init__(coordinator, extension_id, description)
        self.messages = messages

    def _available(self, extension_available: bool) -> bool:
        return extension_available and self.messages.available(self.extension_id)

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass,
                message_signal(self.coordinator.entry_id, self.extension_id),
                self._async_handle_message,
            )
        )

    @callback
    def _async_handle_message(self, update: MessageUpdateData) -> None:
        """A new message, the unread count or availability changed: write what changed."""
        written = (self.available, self._async_refresh(self.coordinator.view(self.extension_id)))
        if written != self._last_written:
            self._last_written = written
            self.async_write_ha_state()


class UnreadVoicemailsSensor(RingCentralMessageEntity, SensorEntity):
    """Unread voicemails of the extension (unknown until the message store was read)."""

    @callback
    def _async_refresh(self, view: ExtensionView) -> object:
        self._attr_native_value = self.messages.unread_voicemails(self.extension_id)
        return self._attr_native_value


class RingCentralMessageEventEntity(RingCentralMessageEntity, EventEntity):
    """Fires once per new voicemail or inbound SMS of the extension."""

    # The sender and the text are personal: kept out of history (type, id, duration are recorded).
    _unrecorded_attributes = frozenset({"from", "from_name", "text"})

    @callback
    def _async_refresh(self, view: ExtensionView) -> object:
        return None  # an event entity's state is its last event; only availability comes from here

    @callback
    def _async_handle_message(self, update: MessageUpdateData) -> None:
        if update.event is None:
            super()._async_handle_message(update)  # availability may have changed
            return
        self._last_written = (self.available, None)
        self._trigger_event(update.event.type, update.event.attributes())
        self.async_write_ha_state()
