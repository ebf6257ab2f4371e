"""Caller names: a feed that fills in the names RingCentral's notifications leave out.

The library's `DirectoryCache` (pure) holds the company directory and, when the `contacts` option is
on and the app has ReadContacts, the user's personal contacts; numbers are compared in E.164. This unit
reads them when the cache says a refresh is due (rarely: every 12 hours, sooner after notifications
may have been lost, never twice within 15 minutes), patches the cache from directory notifications,
and installs its lookup as the coordinator's `lookup_name`. Every read refuses to wait for the rate
budget (`max_wait=0`): a refresh that would have to queue is skipped, so call state never waits for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later
from homeassistant.util import dt as dt_util

from .aioringcentral import filters
from .aioringcentral.directory import DirectoryCache
from .aioringcentral.errors import MissingPermissionsError, RingCentralError
from .aioringcentral.filters import FilterKind
from .aioringcentral.models import Notification, SubscriptionInfo
from .aioringcentral.models_names import parse_directory_event
from .aioringcentral.rest import RingCentralClient
from .const import CONF_CONTACTS, DEFAULT_CONTACTS, DOMAIN, FEATURE_CONTACTS, LOGGER
from .feeds import EntryPart
from .issues import async_create_feature_issue, async_delete_feature_issue

if TYPE_CHECKING:
    from .coordinator import RingCentralConfigEntry, RingCentralCoordinator


class CallerNames(EntryPart):
    """Names for numbers, for one entry (a `feeds.NotificationFeed`)."""

    kinds = frozenset({FilterKind.DIRECTORY})

    def __init__(
        self,
        hass: HomeAssistant,
        entry: RingCentralConfigEntry,
        client: RingCentralClient,
        coordinator: RingCentralCoordinator,
    ) -> None:
        super().__init__(hass, entry, client, coordinator)
        self.cache = DirectoryCache()
        self.contacts: bool = entry.options.get(CONF_CONTACTS, DEFAULT_CONTACTS)
        self._timer: CALLBACK_TYPE | None = None
        self._refreshing = False

    def diagnostics(self) -> dict[str, Any]:
        """Sizes and times only: no names or numbers."""
        return {"contacts_option": self.contacts, **self.cache.diagnostics()}

    @callback
    def async_start(self) -> None:
        """Look names up from now on (the first refresh follows the first resync)."""
        self._coordinator.lookup_name = self.cache.lookup
        if not self.contacts:
            async_delete_feature_issue(self._hass, self._entry, FEATURE_CONTACTS)
        self._entry.async_on_unload(self._cancel_timer)

    # --- feed (called by the coordinator) ------------------------------------------------------------

    def event_filters(self) -> list[str]:
        return [filters.account_directory()]

    def on_notification(self, notification: Notification) -> None:
        if self.cache.apply(parse_directory_event(notification.body)):
            self._coordinator.async_names_changed()

    def on_subscription(self, info: SubscriptionInfo) -> None:
        """Nothing to do: without directory notifications the periodic refresh still keeps names."""

    def on_resynced(self) -> None:
        """Directory changes may have been missed too: refresh as soon as the floor allows."""
        self.cache.mark_stale()
        self._async_schedule()

    # --- refreshing -----------------------------------------------------------------------------------

    @callback
    def _async_schedule(self) -> None:
        if self._refreshing:
            return
        self._cancel_timer()
        now = dt_util.utcnow().timestamp()
        delay = max(0.0, self.cache.next_refresh_at(now) - now)
        self._timer = async_call_later(self._hass, delay, self._async_due)

    @callback
    def _async_due(self, _now: Any) -> None:
        self._timer = None
        self._refreshing = True
        self._entry.async_create_background_task(self._hass, self._async_refresh(), f"{DOMAIN} caller names")

    async def _async_refresh(self) -> None:
        try:
            if self.cache.refresh_due(dt_util.utcnow().timestamp()):
                await self._async_read()
        finally:
            self._refreshing = False
            self._async_schedule()

    async def _async_read(self) -> None:
        """Read the directory (and the contacts), never waiting for the rate budget."""
        self.cache.begin_refresh(dt_util.utcnow().timestamp())
        try:
            entries = await self._client.directory.list_directory_entries(max_wait=0)
        except RingCentralError as err:
            LOGGER.debug("Could not read the company directory: %s", err.message)
            return
        self.cache.replace_directory(entries, dt_util.utcnow().timestamp())
        if self.contacts:
            try:
                contacts = await self._client.directory.list_contacts(max_wait=0)
            except MissingPermissionsError:
                LOGGER.warning("RingCentral app lacks ReadContacts: no caller names from personal contacts")
                self.cache.clear_contacts()
                async_create_feature_issue(self._hass, self._entry, FEATURE_CONTACTS)
            except RingCentralError as err:
                LOGGER.debug("Could not read the personal contacts: %s", err.message)
            else:
                self.cache.replace_contacts(contacts)
                async_delete_feature_issue(self._hass, self._entry, FEATURE_CONTACTS)
        self._coordinator.async_names_changed()

    @callback
    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer()
            self._timer = None
