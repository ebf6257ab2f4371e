"""The monitored extensions and their devices in Home Assistant's device registry.

The extensions are listed at setup and, when the whole account is monitored, again every hour and
whenever a presence names an unknown extension: new ones get a device (and entities, through the
coordinator's listeners), removed ones lose theirs (stale devices).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.event import async_track_time_interval

from .aioringcentral.errors import RingCentralError
from .aioringcentral.models import AccountInfo, ExtensionInfo
from .aioringcentral.rest import RingCentralClient
from .claims import async_get_claims
from .compat import async_remove_device_of_entry
from .const import CONF_EXTENSION_ID, CONF_EXTENSIONS, DOMAIN, LOGGER, MONITOR_ACCOUNT, MONITOR_OWN
from .entity import account_device_info, extension_device_info
from .extensions import async_list_user_extensions, extension_name
from .issues import async_update_monitored_elsewhere_issue

if TYPE_CHECKING:
    from .coordinator import RingCentralConfigEntry

# Extensions of the whole account are re-listed this often, so removed ones disappear (stale devices).
EXTENSION_REFRESH_INTERVAL = timedelta(hours=1)

# Called with the ids of extensions that start being monitored (maybe none) after the list changed.
type ExtensionsChanged = Callable[[list[str]], None]


class ExtensionDevices:
    """Who the credentials log in as, the account, the monitored extensions and their device ids."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: RingCentralConfigEntry,
        client: RingCentralClient,
        monitor: str,
        on_change: ExtensionsChanged,
    ) -> None:
        self._hass = hass
        self._entry = entry
        self._client = client
        self._monitor = monitor
        self._on_change = on_change
        self.me: ExtensionInfo | None = None
        self.account: AccountInfo | None = None
        self.extensions: dict[str, ExtensionInfo] = {}
        # Extensions this entry would monitor but another loaded entry does (see claims.py): id → entry id.
        self.skipped: dict[str, str] = {}
        self._claims = async_get_claims(hass)
        # Extension id → its device's id (the bus events carry it).
        self.device_ids: dict[str, str] = {}
        self._refresh_task: asyncio.Task[None] | None = None

    async def async_setup(self) -> ExtensionInfo:
        """Read the user, the account and the monitored extensions; register their devices.

        Returns the user's own extension (whom the credentials log in as).
        """
        me = self.me = await self._client.get_extension_info()
        self.account = await self._client.get_account_info()
        entry_id = self._entry.entry_id
        self._entry.async_on_unload(lambda: self._claims.async_release(entry_id))
        self._entry.async_on_unload(self._claims.async_listen(entry_id, self._async_claims_changed))
        self.extensions = self._claim(await self._async_monitored())
        self.async_sync()
        return me

    @callback
    def async_start(self) -> None:
        """Re-list the whole account's extensions every hour (until unload)."""
        if self._monitor == MONITOR_ACCOUNT:
            self._entry.async_on_unload(
                async_track_time_interval(
                    self._hass,
                    self._async_periodic_refresh,
                    EXTENSION_REFRESH_INTERVAL,
                    cancel_on_shutdown=True,
                )
            )

    @callback
    def _claim(self, wanted: dict[str, ExtensionInfo]) -> dict[str, ExtensionInfo]:
        """What of `wanted` this entry monitors: all but what another loaded entry has (repair issue)."""
        skipped = self._claims.async_claim(self._entry, wanted)
        self.skipped = skipped
        titles = {entry.entry_id: entry.title for entry in self._hass.config_entries.async_entries(DOMAIN)}
        async_update_monitored_elsewhere_issue(
            self._hass,
            self._entry,
            [(extension_name(wanted[ext]), titles.get(other, other)) for ext, other in skipped.items()],
        )
        if skipped:
            LOGGER.debug("Skipping %d extension(s) monitored by another entry", len(skipped))
        return {ext_id: info for ext_id, info in wanted.items() if ext_id not in skipped}

    @callback
    def _async_claims_changed(self) -> None:
        """Another entry released extensions or finished setting up: pick up what this one skipped."""
        if self.skipped and (self._refresh_task is None or self._refresh_task.done()):
            self._async_start_refresh()

    async def _async_monitored(self) -> dict[str, ExtensionInfo]:
        if self._monitor == MONITOR_OWN and self.me is not None:
            return {self.me.id: self.me}
        listed = {ext.id: ext for ext in await async_list_user_extensions(self._client)}
        if self._monitor == MONITOR_ACCOUNT:
            return listed
        wanted = self._entry.options.get(CONF_EXTENSIONS) or [self._entry.data[CONF_EXTENSION_ID]]
        return {ext_id: listed[ext_id] for ext_id in wanted if ext_id in listed}

    @callback
    def async_sync(self) -> None:
        """Register the account and extension devices; remove devices of extensions no longer monitored."""
        entry_id = self._entry.entry_id
        entry_unique_id = str(self._entry.unique_id)
        dev_reg = dr.async_get(self._hass)
        account = dev_reg.async_get_or_create(
            config_entry_id=entry_id, **account_device_info(entry_unique_id, self.account)
        )
        wanted = {(DOMAIN, entry_unique_id)}
        for ext_id, info in self.extensions.items():
            device = dev_reg.async_get_or_create(config_entry_id=entry_id, **extension_device_info(info))
            if device.via_device_id != account.id:
                dev_reg.async_update_device(device.id, via_device_id=account.id)
            self.device_ids[ext_id] = device.id
            wanted.add((DOMAIN, ext_id))
        for device in dr.async_entries_for_config_entry(dev_reg, entry_id):
            if not device.identifiers & wanted:
                LOGGER.debug("Removing device %s: extension no longer monitored", device.name)
                async_remove_device_of_entry(dev_reg, device, entry_id)

    @callback
    def async_unknown_extension(self, extension_id: str) -> None:
        """A presence for an extension we do not know: in account mode it is new, so re-list."""
        if self._monitor == MONITOR_ACCOUNT and (self._refresh_task is None or self._refresh_task.done()):
            LOGGER.debug("Presence for unknown extension %s; re-reading the extension list", extension_id)
            self._async_start_refresh()

    @callback
    def _async_periodic_refresh(self, _now: Any) -> None:
        if self._refresh_task is None or self._refresh_task.done():
            self._async_start_refresh()

    @callback
    def _async_start_refresh(self) -> None:
        self._refresh_task = self._entry.async_create_background_task(
            self._hass, self._async_refresh(), f"{DOMAIN} extension refresh"
        )

    async def _async_refresh(self) -> None:
        """Add new extensions (devices and entities) and remove deleted ones, without a restart."""
        try:
            current = self._claim(await self._async_monitored())
        except RingCentralError as err:
            LOGGER.debug("Could not re-read the extension list: %s", err.message)
            return
        added = [ext_id for ext_id in current if ext_id not in self.extensions]
        removed = [ext_id for ext_id in self.extensions if ext_id not in current]
        if not added and not removed:
            return
        self.extensions = current
        for ext_id in removed:
            self.device_ids.pop(ext_id, None)
        self.async_sync()
        self._on_change(added)


@callback
def async_device_removable(entry: RingCentralConfigEntry, device: dr.DeviceEntry) -> bool:
    """Whether the user may remove `device` (stale devices): only when its extension is no longer
    monitored. The account device always stays. While the entry is not loaded nothing is known to be
    monitored: any extension device may go (the next setup recreates those that still are)."""
    monitored = entry.runtime_data.coordinator.extensions if entry.state is ConfigEntryState.LOADED else {}
    return not any(
        domain == DOMAIN and (key in monitored or key == entry.unique_id)
        for domain, key in device.identifiers
    )
