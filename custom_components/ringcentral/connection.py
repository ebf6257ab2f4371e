"""What the transport reports (the entry's `TransportListener`), and whether the state shown is fresh.

Notifications go on to the router (`router.py`) as they come. A connection that lost continuity asks
for a resync; so does any connection once state has gone stale: after an outage longer than
RingCentral's recovery window (`RECOVERY_WINDOW`) the extensions' entities are unavailable rather than
show a state that may be hours old, until a resync has brought it up to date. Filters RingCentral
refused become a repair issue naming the permission to add.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_call_later

from .aioringcentral.models import SubscriptionInfo
from .aioringcentral.transport import Continuity
from .const import LOGGER, RECOVERY_WINDOW, account_signal
from .issues import (
    async_create_filters_refused_issue,
    async_delete_filters_refused_issue,
    async_delete_missing_permissions_issue,
)


class Connection:
    """The transport callbacks of one entry and its availability window."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        *,
        notification: Callable[[dict[str, Any]], None],
        subscribed: Callable[[SubscriptionInfo], None],
        resync: Callable[[], None],
        stale: Callable[[], None],
    ) -> None:
        """`notification` takes each notification as it came, `subscribed` the subscription RingCentral
        made; `resync` re-reads the state, `stale` tells the entities it went stale."""
        self._hass = hass
        self._entry = entry
        self._notification = notification
        self._subscribed = subscribed
        self._resync = resync
        self._stale = stale
        self.connected = False
        self._fresh = True
        self._unavailable: CALLBACK_TYPE | None = None
        self._stopping = False

    @property
    def fresh(self) -> bool:
        """False while notifications could not flow for longer than the recovery window."""
        return self._fresh

    # --- transport listener (called by the library in the event loop) --------------------------------

    def on_notification(self, raw: dict[str, Any]) -> None:
        self._notification(raw)

    def on_connected(self, continuity: Continuity) -> None:
        """Notifications flow again; resync unless nothing was missed."""
        self.connected = True
        self._cancel_timer()
        async_delete_missing_permissions_issue(self._hass, self._entry)
        # After an outage long enough to mark state unavailable, resync even if the session survived:
        # being sure beats trusting a replay buffer of limited size.
        if continuity.needs_resync or not self._fresh:
            self._resync()
        async_dispatcher_send(self._hass, account_signal(self._entry.entry_id))

    def on_disconnected(self, reason: str) -> None:
        """Notifications stopped; entities stay as they are until the recovery window has passed."""
        LOGGER.info("RingCentral notifications interrupted: %s", reason)
        self.async_set_disconnected()

    def on_subscription(self, info: SubscriptionInfo) -> None:
        """Refused filters become a repair issue that says which permission to add."""
        self._subscribed(info)
        if info.disabled_filters:
            LOGGER.warning(
                "RingCentral refused %d notification filter(s): %s",
                len(info.disabled_filters),
                "; ".join(f.reason or f.message or "no reason" for f in info.disabled_filters),
            )
            async_create_filters_refused_issue(self._hass, self._entry, info.disabled_filters)
        else:
            async_delete_filters_refused_issue(self._hass, self._entry)

    # --- availability --------------------------------------------------------------------------------

    @callback
    def async_set_disconnected(self) -> None:
        """Notifications stopped (also when the listener gave up): start the recovery window."""
        was_connected = self.connected
        self.connected = False
        if self._unavailable is None and self._fresh and not self._stopping:
            self._unavailable = async_call_later(self._hass, RECOVERY_WINDOW, self._async_recovery_expired)
        if was_connected:
            async_dispatcher_send(self._hass, account_signal(self._entry.entry_id))

    @callback
    def _async_recovery_expired(self, _now: Any) -> None:
        """Still no notifications (the timer is cancelled on reconnect): stop showing old state."""
        self._unavailable = None
        LOGGER.warning("RingCentral notifications have been down too long; call state is unavailable")
        self._fresh = False
        self._stale()

    @callback
    def async_resynced(self) -> None:
        """A resync read and applied everything: the state is up to date."""
        if not self._fresh:
            LOGGER.info("RingCentral call state is up to date again")
        self._fresh = True

    @callback
    def async_stop(self) -> None:
        """No recovery window any more (unload)."""
        self._stopping = True
        self._cancel_timer()

    @callback
    def _cancel_timer(self) -> None:
        if self._unavailable is not None:
            self._unavailable()
            self._unavailable = None
