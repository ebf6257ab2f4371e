"""Voicemail and SMS of the monitored extensions: a feed beside the call state.

Per extension a `MessageTracker` (the library's, pure) decides what is new and what the unread
voicemail count is; this unit does the I/O it asks for and hands the results to Home Assistant:
- the unread voicemail count is read over REST at setup, after every resync and whenever the tracker
  asks (a message-store change about voicemail): reads are paced (`paced_reads.py`), so a burst never
  eats the rate budget call state needs;
- each new voicemail and inbound SMS goes, in order, to the extension's `message` event entity (one
  dispatcher signal per extension) and on the bus as `ringcentral_message` (`message_announcer.py`:
  a voicemail's transcription is read first when RingCentral made one);
- `sms` (`sms.py`) sends from the extension's first `SmsSender` number.

Filters RingCentral refuses, or a missing ReadMessages permission, disable messages only (their
entities turn unavailable, with a repair issue); call state is not affected.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.util import dt as dt_util

from .aioringcentral import filters
from .aioringcentral.errors import (
    MissingPermissionsError,
    RingCentralError,
)
from .aioringcentral.filters import FilterKind, classify
from .aioringcentral.messages import MessageTracker, MessageUpdate
from .aioringcentral.models import Notification, SubscriptionInfo
from .aioringcentral.models_messages import parse_message, parse_message_store_event
from .aioringcentral.rest import RingCentralClient
from .const import DOMAIN, FEATURE_MESSAGES, LOGGER, message_signal
from .feeds import EntryPart
from .issues import async_create_feature_issue, async_delete_feature_issue
from .message_announcer import MessageAnnouncer
from .message_views import MessageEventData, MessageUpdateData
from .paced_reads import PacedReads
from .sms import SmsSender

if TYPE_CHECKING:
    from .coordinator import RingCentralConfigEntry, RingCentralCoordinator

KINDS = frozenset({FilterKind.MESSAGE_STORE, FilterKind.VOICEMAIL, FilterKind.INSTANT_MESSAGE})

# Reads of unread voicemails: a few at once, then one every few seconds (RingCentral's Light group
# allows 50 a minute, and presence reads need most of them): at most 15 a minute in the long run.
READ_BURST = 5
READ_SPACING = 4.0
# A failed read is tried again this late, doubling up to the maximum.
READ_RETRY = 60.0
READ_RETRY_MAX = 900.0


class RingCentralMessages(EntryPart):
    """The messages of one entry's monitored extensions (a `feeds.NotificationFeed`)."""

    kinds = KINDS

    def __init__(
        self,
        hass: HomeAssistant,
        entry: RingCentralConfigEntry,
        client: RingCentralClient,
        coordinator: RingCentralCoordinator,
    ) -> None:
        super().__init__(hass, entry, client, coordinator)
        self._trackers: dict[str, MessageTracker] = {}
        # Extensions whose message filters RingCentral refused; every one when ReadMessages is missing.
        self._refused: set[str] = set()
        self._permission_missing = False
        # Reads of the unread voicemails, one extension at a time, paced and retried.
        self._reads = PacedReads(
            hass,
            entry,
            f"{DOMAIN} unread voicemails",
            read=self._async_read,
            wanted=lambda ext_id: ext_id in self._coordinator.extensions and ext_id not in self._refused,
            burst=READ_BURST,
            spacing=READ_SPACING,
            retry=READ_RETRY,
            retry_max=READ_RETRY_MAX,
        )
        self.announcer = MessageAnnouncer(hass, entry, client, coordinator, self._async_signal)
        self.sms = SmsSender(hass, entry, client, coordinator)

    # --- what entities read --------------------------------------------------------------------------

    def available(self, extension_id: str) -> bool:
        """False while messages of the extension cannot be followed (refused filter, no permission)."""
        return not self._permission_missing and extension_id not in self._refused

    def unread_voicemails(self, extension_id: str) -> int | None:
        tracker = self._trackers.get(extension_id)
        return None if tracker is None else tracker.unread_voicemails

    def diagnostics(self) -> dict[str, Any]:
        """Counts only: no numbers, names or text."""
        return {
            "permission_missing": self._permission_missing,
            "refused": sorted(self._refused),
            "announced": self.announcer.announced,
            "reads": asdict(self._reads.state),
            "extensions": {ext_id: tracker.diagnostics() for ext_id, tracker in self._trackers.items()},
        }

    # --- lifecycle -----------------------------------------------------------------------------------

    @callback
    def async_start(self) -> None:
        """Announce in the background until unload (the first read follows the first resync)."""
        self.announcer.async_start()
        self._entry.async_on_unload(self._reads.async_stop)

    def _tracker(self, extension_id: str) -> MessageTracker:
        tracker = self._trackers.get(extension_id)
        if tracker is None:
            tracker = self._trackers[extension_id] = MessageTracker(extension_id)
        return tracker

    # --- feed (called by the coordinator) ------------------------------------------------------------

    def event_filters(self) -> list[str]:
        result: list[str] = []
        for ext_id in self._coordinator.extensions:
            result += [
                filters.extension_message_store(ext_id),
                filters.extension_voicemail(ext_id),
                filters.extension_instant_sms(ext_id),
            ]
        return result

    def on_notification(self, notification: Notification) -> None:
        ext_id = filters.extension_id_of(notification.event)
        if ext_id is None or ext_id not in self._coordinator.extensions or not self.available(ext_id):
            return
        tracker = self._tracker(ext_id)
        if notification.kind is FilterKind.MESSAGE_STORE:
            update = tracker.apply_message_store(
                parse_message_store_event(notification.body, extension_id=ext_id)
            )
        elif notification.kind is FilterKind.VOICEMAIL:
            update = tracker.apply_voicemail(parse_message(notification.body))
        else:
            update = tracker.apply_sms(parse_message(notification.body))
        self._async_handle(ext_id, update)

    def on_subscription(self, info: SubscriptionInfo) -> None:
        """Refused filters disable messages of their extension (the coordinator raises the issue)."""
        refused: set[str] = set()
        for disabled in info.disabled_filters:
            if classify(disabled.filter) in KINDS:
                ext_id = filters.extension_id_of(disabled.filter)
                refused |= set(self._coordinator.extensions) if ext_id is None else {ext_id}
        back = self._refused - refused
        self._refused = refused
        for ext_id in refused | back:
            self._async_signal(ext_id)
        for ext_id in back:
            self._async_want_read(ext_id)

    def on_resynced(self) -> None:
        """Notifications may have been lost: read every extension's count again."""
        for ext_id in self._coordinator.extensions:
            update = self._tracker(ext_id).resync()
            self._async_handle(ext_id, update)

    # --- updates ---------------------------------------------------------------------------------------

    @callback
    def _async_handle(self, ext_id: str, update: MessageUpdate) -> None:
        for new in update.messages:
            self.announcer.async_announce(ext_id, new)
        if update.unread_changed:
            self._async_signal(ext_id)
        if update.reread:
            self._async_want_read(ext_id)

    @callback
    def _async_signal(self, ext_id: str, event: MessageEventData | None = None) -> None:
        async_dispatcher_send(
            self._hass,
            message_signal(self._entry.entry_id, ext_id),
            MessageUpdateData(event, self.unread_voicemails(ext_id), self.available(ext_id)),
        )

    # --- reading the unread voicemails -----------------------------------------------------------------

    @callback
    def _async_want_read(self, ext_id: str) -> None:
        # Also while ReadMessages is missing (after a resync, say): a read that works ends that.
        if ext_id in self._refused:
            return
        self._reads.async_want(ext_id)

    async def _async_read(self, ext_id: str) -> bool:
        """Read one extension's unread voicemails; False when it should be tried again later."""
        tracker = self._tracker(ext_id)
        token = tracker.begin_reread(dt_util.utcnow().timestamp())
        try:
            unread = await self._client.messages.list_messages(ext_id)
        except MissingPermissionsError as err:
            tracker.reread_failed()
            self._async_permission_missing(err.permissions)
            return True  # nothing to retry until the entry is reloaded
        except RingCentralError as err:
            tracker.reread_failed()
            LOGGER.debug("Could not read the unread voicemails of %s: %s", ext_id, err.message)
            return False
        if self._permission_missing:
            self._permission_missing = False
            async_delete_feature_issue(self._hass, self._entry, FEATURE_MESSAGES)
            for other in self._coordinator.extensions:
                self._async_signal(other)
        self._async_handle(ext_id, tracker.apply_reread(token, unread))
        return True

    @callback
    def _async_permission_missing(self, permissions: Sequence[str]) -> None:
        LOGGER.warning("RingCentral app lacks %s: voicemail and SMS are off", ", ".join(permissions))
        self._permission_missing = True
        self._reads.async_clear()
        async_create_feature_issue(self._hass, self._entry, FEATURE_MESSAGES)
        for ext_id in self._coordinator.extensions:
            self._async_signal(ext_id)
