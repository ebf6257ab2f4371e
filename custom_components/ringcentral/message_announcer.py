"""Announcing new voicemails and SMS, in order: the extension's `message` event entity, then the bus.

A voicemail's transcription is read first when RingCentral made one (bounded: never queued behind
the rate budget, never longer than `TRANSCRIPTION_TIMEOUT`). Before the entry unloads, `async_flush`
announces what is still waiting at once, while the entities still listen: a restart must not lose a
message that was heard (a voicemail waiting for its transcription goes without it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from homeassistant.core import HomeAssistant, callback

from .aioringcentral.errors import RingCentralError
from .aioringcentral.messages import NewMessage
from .aioringcentral.rest import RingCentralClient
from .const import DOMAIN, EVENT_RINGCENTRAL_MESSAGE, LOGGER
from .feeds import EntryPart
from .message_views import MessageEventData, message_event_data

if TYPE_CHECKING:
    from .coordinator import RingCentralConfigEntry, RingCentralCoordinator

# How long a voicemail's announcement may wait for its transcription.
TRANSCRIPTION_TIMEOUT = 10.0

# Hands a new message's event data to the extension's entities (the message signal).
type SignalMessage = Callable[[str, MessageEventData], None]


class MessageAnnouncer(EntryPart):
    """Fires each new message of the entry's extensions once, in the order they were heard."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: RingCentralConfigEntry,
        client: RingCentralClient,
        coordinator: RingCentralCoordinator,
        signal: SignalMessage,
    ) -> None:
        super().__init__(hass, entry, client, coordinator)
        self._signal = signal
        self._queue: asyncio.Queue[tuple[str, NewMessage]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._current: tuple[str, NewMessage] | None = None  # waiting for its transcription
        self._flushed = False
        self.announced = 0  # diagnostics: messages announced since setup

    @callback
    def async_start(self) -> None:
        """Announce in the background until unload."""
        self._task = self._entry.async_create_background_task(
            self._hass, self._async_run(), f"{DOMAIN} messages"
        )

    @callback
    def async_announce(self, ext_id: str, new: NewMessage) -> None:
        """Announce `new` after those before it (at once, when flushed)."""
        if self._flushed:
            self._async_fire(ext_id, new, new.message.text)
        else:
            self._queue.put_nowait((ext_id, new))

    @callback
    def async_flush(self) -> None:
        """Announce everything waiting now, and anything later at once (the entry is unloading)."""
        self._flushed = True
        if self._task is not None:
            self._task.cancel()
        waiting = [self._current] if self._current is not None else []
        self._current = None
        while not self._queue.empty():
            waiting.append(self._queue.get_nowait())
        for ext_id, new in waiting:
            self._async_fire(ext_id, new, new.message.text)

    async def _async_run(self) -> None:
        while True:
            ext_id, new = self._current = await self._queue.get()
            text = new.message.text
            if new.kind == "voicemail" and new.message.transcription_attachment is not None:
                text = await self._async_transcription(ext_id, new)
            self._current = None
            self._async_fire(ext_id, new, text)

    @callback
    def _async_fire(self, ext_id: str, new: NewMessage, text: str | None) -> None:
        if ext_id not in self._coordinator.extensions:
            return
        event = message_event_data(ext_id, new, text, self._coordinator.lookup_name)
        self.announced += 1
        self._signal(ext_id, event)
        self._hass.bus.async_fire(
            EVENT_RINGCENTRAL_MESSAGE,
            {
                **event.attributes(),
                "type": event.type,
                "extension_id": ext_id,
                "device_id": self._coordinator.devices.device_ids.get(ext_id),
            },
        )

    async def _async_transcription(self, ext_id: str, new: NewMessage) -> str | None:
        """The voicemail's transcription, or None rather than hold the announcement up."""
        try:
            async with asyncio.timeout(TRANSCRIPTION_TIMEOUT):
                return await self._client.messages.get_transcription(ext_id, new.message, max_wait=0)
        except (RingCentralError, TimeoutError) as err:
            LOGGER.debug("No transcription for a voicemail: %s", getattr(err, "message", "timed out"))
            return None
