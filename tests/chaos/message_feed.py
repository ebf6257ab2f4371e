"""The messages feed of the Home Assistant glue without Home Assistant, for library-level chaos runs.

As `custom_components/ringcentral/messages.py` does: per monitored extension a `MessageTracker`; the
message-store, voicemail and instant-SMS notifications go to it; the unread voicemails are read over
REST whenever it asks (a voicemail change, every resync), one read at a time, a failed one retried
after a backoff; each new message is announced (recorded). Unlike the glue it does not pace reads
(the client's rate limiter waits out 429s) nor read transcriptions. Time is the simulator's clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from custom_components.ringcentral.aioringcentral import filters
from custom_components.ringcentral.aioringcentral.errors import RingCentralError
from custom_components.ringcentral.aioringcentral.filters import FilterKind
from custom_components.ringcentral.aioringcentral.messages import MessageTracker, MessageUpdate
from custom_components.ringcentral.aioringcentral.models import Notification
from custom_components.ringcentral.aioringcentral.models_messages import (
    parse_message,
    parse_message_store_event,
)
from custom_components.ringcentral.aioringcentral.rest import RingCentralClient
from custom_components.ringcentral.aioringcentral.transport import Continuity

from .message_oracle import Announcement, MessageLog, MessageStats

_LOGGER = logging.getLogger(__name__)

# A failed read is tried again this late (simulated seconds), doubling up to the maximum.
READ_RETRY = 5.0
READ_RETRY_MAX = 60.0


class LibraryMessages:
    """Messages of the monitored extensions, fed by `LibraryHub` (`pipeline.py`)."""

    kinds = frozenset({FilterKind.MESSAGE_STORE, FilterKind.VOICEMAIL, FilterKind.INSTANT_MESSAGE})

    def __init__(
        self,
        extension_ids: list[str],
        log: MessageLog,
        *,
        now: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        self.client: RingCentralClient | None = None  # the hub's, once it made it
        self.log = log
        self.trackers = {ext_id: MessageTracker(ext_id) for ext_id in extension_ids}
        self.announced: list[Announcement] = []
        self.reads = 0
        self._now = now
        self._sleep = sleep
        self._pending: dict[str, None] = {}
        self._reader: asyncio.Task[None] | None = None
        self._stopped = False

    # -- what the hub calls ---------------------------------------------------------------------

    def event_filters(self) -> list[str]:
        result: list[str] = []
        for ext_id in self.trackers:
            result += [
                filters.extension_message_store(ext_id),
                filters.extension_voicemail(ext_id),
                filters.extension_instant_sms(ext_id),
            ]
        return result

    def on_notification(self, notification: Notification) -> None:
        self.log.heard(notification.body)
        ext_id = filters.extension_id_of(notification.event)
        tracker = self.trackers.get(ext_id or "")
        if tracker is None:
            return
        if notification.kind is FilterKind.MESSAGE_STORE:
            update = tracker.apply_message_store(
                parse_message_store_event(notification.body, extension_id=ext_id)
            )
        elif notification.kind is FilterKind.VOICEMAIL:
            update = tracker.apply_voicemail(parse_message(notification.body))
        else:
            update = tracker.apply_sms(parse_message(notification.body))
        self._handle(tracker.extension_id, update)

    def on_connected(self, continuity: Continuity) -> None:
        if continuity is not Continuity.KEPT:
            self.log.forgive()

    def on_resynced(self) -> None:
        self.log.resynced()
        for ext_id, tracker in self.trackers.items():
            self._handle(ext_id, tracker.resync())

    async def stop(self) -> None:
        self._stopped = True  # nothing heard from now on starts a read
        if self._reader is not None and not self._reader.done():
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader

    # -- what the driver reads ------------------------------------------------------------------

    @property
    def idle(self) -> bool:
        return not self._pending and (self._reader is None or self._reader.done())

    def unread(self) -> dict[str, int | None]:
        return {ext_id: tracker.unread_voicemails for ext_id, tracker in self.trackers.items()}

    async def nudge(self) -> None:
        """Reads and their retries run on the simulator's clock: nothing to drive."""

    def problems(self, log: MessageLog, stats: MessageStats) -> list[str]:
        return []

    # -- internals ------------------------------------------------------------------------------

    def _handle(self, ext_id: str, update: MessageUpdate) -> None:
        self.announced += [Announcement(ext_id, new.kind, new.message.id) for new in update.messages]
        if update.reread:
            self._pending[ext_id] = None
            if not self._stopped and (self._reader is None or self._reader.done()):
                self._reader = asyncio.get_running_loop().create_task(self._read_pending())

    async def _read_pending(self) -> None:
        failures = 0
        while self._pending:
            ext_id = next(iter(self._pending))
            del self._pending[ext_id]
            tracker = self.trackers[ext_id]
            assert self.client is not None
            token = tracker.begin_reread(self._now())
            try:
                unread = await self.client.messages.list_messages(ext_id)
            except RingCentralError as err:
                tracker.reread_failed()
                self._pending[ext_id] = None
                failures += 1
                _LOGGER.info("unread voicemail read failed (attempt %d): %s", failures, err.message)
                await self._sleep(min(READ_RETRY * 2 ** (failures - 1), READ_RETRY_MAX))
                continue
            failures = 0
            self.reads += 1
            self._handle(ext_id, tracker.apply_reread(token, unread))
