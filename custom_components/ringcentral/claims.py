"""One entry per extension: which loaded entry monitors which extension.

Unique ids are `{extension_id}_{key}` and, from HA 2026.8, a device belongs to one config entry, so two
entries of one account (two users, each monitoring the whole account) must not both register an extension.
The first entry to claim an extension monitors it; every other entry skips it (with a repair issue) until
it is released — its entry unloads, fails to set up, or stops monitoring it — and then re-reads its
extensions and picks it up.

At start-up Home Assistant sets entries up concurrently; so that which entry wins does not depend on which
REST answer arrives first, an entry also defers to any entry before it (in Home Assistant's order of
entries) that is still setting up and wants the same extension.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.util.hass_dict import HassKey

from .const import (
    CONF_ACCOUNT_ID,
    CONF_EXTENSION_ID,
    CONF_EXTENSIONS,
    CONF_MONITOR,
    DOMAIN,
    MONITOR_ACCOUNT,
    MONITOR_SELECTED,
)

if TYPE_CHECKING:
    from .coordinator import RingCentralConfigEntry

CLAIMS: HassKey[ExtensionClaims] = HassKey(f"{DOMAIN}_extension_claims")


@callback
def async_get_claims(hass: HomeAssistant) -> ExtensionClaims:
    """The claims shared by every entry of the integration."""
    if (claims := hass.data.get(CLAIMS)) is None:
        claims = hass.data[CLAIMS] = ExtensionClaims(hass)
    return claims


def wants(entry: ConfigEntry, extension_id: str, account_id: str | None) -> bool:
    """Whether `entry`'s options ask for the extension (of the account `account_id`), before it has
    listed anything: its own extension, its chosen ones, or every extension of its account."""
    monitor = entry.options.get(CONF_MONITOR)
    if monitor == MONITOR_ACCOUNT:
        return account_id is not None and entry.data.get(CONF_ACCOUNT_ID) == account_id
    chosen = entry.options.get(CONF_EXTENSIONS) if monitor == MONITOR_SELECTED else None
    return extension_id in (chosen or [entry.data.get(CONF_EXTENSION_ID)])


class ExtensionClaims:
    """Extension id → the entry that monitors it, and who to tell when one is released."""

    def __init__(self, hass: HomeAssistant) -> None:
        self._hass = hass
        self._holder: dict[str, str] = {}
        self._listeners: dict[str, Callable[[], None]] = {}

    def holder(self, extension_id: str) -> str | None:
        """The entry id monitoring the extension, if any."""
        return self._holder.get(extension_id)

    @callback
    def async_claim(self, entry: RingCentralConfigEntry, extension_ids: Iterable[str]) -> dict[str, str]:
        """Make `extension_ids` what the entry monitors, as far as no other entry has them.

        Returns the extensions it must skip, each with the id of the entry that has (or goes first for) it.
        Extensions the entry held but no longer wants are released.
        """
        entry_id = entry.entry_id
        wanted = set(extension_ids)
        released = [ext for ext, holder in self._holder.items() if holder == entry_id and ext not in wanted]
        for ext in released:
            del self._holder[ext]
        skipped: dict[str, str] = {}
        for ext in sorted(wanted):
            holder = self._holder.get(ext) or self._earlier_setting_up(entry, ext)
            if holder is None or holder == entry_id:
                self._holder[ext] = entry_id
            else:
                skipped[ext] = holder
        if released:
            self._notify(entry_id)
        return skipped

    @callback
    def async_release(self, entry_id: str) -> None:
        """The entry stops monitoring anything (unloaded, or its setup failed)."""
        released = [ext for ext, holder in self._holder.items() if holder == entry_id]
        for ext in released:
            del self._holder[ext]
        self._listeners.pop(entry_id, None)
        self._notify(entry_id)

    @callback
    def async_listen(self, entry_id: str, on_release: Callable[[], None]) -> CALLBACK_TYPE:
        """Call `on_release` when another entry releases extensions or finishes setting up."""
        self._listeners[entry_id] = on_release

        @callback
        def remove() -> None:
            if self._listeners.get(entry_id) is on_release:
                del self._listeners[entry_id]

        return remove

    @callback
    def async_settled(self, entry_id: str) -> None:
        """The entry finished setting up: entries that deferred to it may now look again."""
        self._notify(entry_id)

    def _earlier_setting_up(self, entry: RingCentralConfigEntry, extension_id: str) -> str | None:
        account_id = entry.data.get(CONF_ACCOUNT_ID)
        for other in self._hass.config_entries.async_entries(DOMAIN):
            if other.entry_id == entry.entry_id:
                return None
            if other.state is ConfigEntryState.SETUP_IN_PROGRESS and wants(other, extension_id, account_id):
                return other.entry_id
        return None  # pragma: no cover - the entry is always among the domain's entries

    def _notify(self, source_entry_id: str) -> None:
        for entry_id, on_release in list(self._listeners.items()):
            if entry_id != source_entry_id:
                on_release()
