"""The notification router: which unit a notification goes to.

transport → parse → router → the call-state engine, or a feed beside it (messages, caller names):
- a notification of a feed's kinds goes to that feed only (nothing of a feed enters the engine);
- an account presence of an extension not monitored goes nowhere, but asks the devices to re-list
  (account mode: the extension may be new);
- a presence is shown to the control's presence edits before the engine applies it (`presence_edits.py`);
- everything else enters the engine, whose update goes on to the coordinator.

The router also makes the filters of the entry's one subscription (call state first, then each feed's)
and, from the filters RingCentral refused, tells the engine which sources can report on whom.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from homeassistant.core import callback
from homeassistant.util import dt as dt_util

from .aioringcentral import filters
from .aioringcentral.engine import CallStateEngine, EngineUpdate
from .aioringcentral.errors import ParseError
from .aioringcentral.filters import FilterKind, classify
from .aioringcentral.models import SubscriptionInfo, parse_notification
from .const import LOGGER, MONITOR_ACCOUNT, MONITOR_OWN
from .control import Control
from .devices import ExtensionDevices
from .feeds import NotificationFeed

PRESENCE_KINDS = (FilterKind.PRESENCE, FilterKind.ACCOUNT_PRESENCE)


def event_filters(monitor: str, extension_ids: Iterable[str]) -> list[str]:
    """Event filters for the monitored extensions, all in one subscription (one per connection)."""
    if monitor == MONITOR_ACCOUNT:
        return [filters.account_presence(), filters.account_telephony_sessions()]
    if monitor == MONITOR_OWN:
        return [filters.extension_presence(), filters.extension_telephony_sessions()]
    result = []
    for ext_id in extension_ids:
        result += [filters.extension_presence(ext_id), filters.extension_telephony_sessions(ext_id)]
    return result


class NotificationRouter:
    """Routes one entry's notifications; knows what its subscription asks for and what was refused."""

    def __init__(
        self,
        engine: CallStateEngine,
        devices: ExtensionDevices,
        control: Control,
        *,
        monitor: str,
        on_update: Callable[[EngineUpdate], None],
    ) -> None:
        """`on_update` takes what the engine made of a notification (the coordinator fans it out)."""
        self._engine = engine
        self._devices = devices
        self._control = control
        self._monitor = monitor
        self._on_update = on_update
        self._feeds: list[NotificationFeed] = []
        # The subscription as RingCentral made it last (with the filters it refused).
        self.subscription: SubscriptionInfo | None = None

    @callback
    def async_add_feed(self, feed: NotificationFeed) -> None:
        """Route `feed.kinds` to `feed` (before the listener starts: its filters join the subscription)."""
        self._feeds.append(feed)

    def event_filters(self) -> list[str]:
        """Every filter of the one subscription: call state first, then each feed's."""
        own = event_filters(self._monitor, self._devices.extensions)
        return own + [event_filter for feed in self._feeds for event_filter in feed.event_filters()]

    def on_notification(self, raw: dict[str, Any]) -> None:
        """Parse one notification and hand it to its unit (the engine orders and deduplicates)."""
        try:
            notification = parse_notification(raw)
            for feed in self._feeds:
                if notification.kind in feed.kinds:
                    feed.on_notification(notification)
                    return
            if notification.kind is FilterKind.ACCOUNT_PRESENCE:
                # Only the id is needed here; the engine parses the body once, after this check.
                extension_id = str(notification.body.get("extensionId"))
                if extension_id not in self._devices.extensions:
                    self._devices.async_unknown_extension(extension_id)
                    return
            if self._control.edits.active and notification.kind in PRESENCE_KINDS:
                self._control.async_observe(notification.presence())
            update = self._engine.apply_notification(notification, dt_util.utcnow())
        except ParseError as err:
            LOGGER.warning("Ignoring a notification RingCentral sent in an unexpected shape: %s", err.message)
            return
        self._on_update(update)

    @callback
    def async_subscribed(self, info: SubscriptionInfo) -> None:
        """The subscription RingCentral made: what its refused filters leave the engine and the feeds."""
        self.subscription = info
        self.async_set_sources()
        for feed in self._feeds:
            feed.on_subscription(info)

    @callback
    def async_resynced(self) -> None:
        """The call state was re-read: the feeds re-read theirs too."""
        for feed in self._feeds:
            feed.on_resynced()

    @callback
    def async_set_sources(self) -> None:
        """Tell the engine what to track, and which sources can report on whom (refused filters cannot)."""
        ids = set(self._devices.extensions)
        presence, telephony = set(ids), set(ids)
        for disabled in self.subscription.disabled_filters if self.subscription else ():
            ext_id = filters.extension_id_of(disabled.filter)
            affected = ids if ext_id is None else {ext_id}
            kind = classify(disabled.filter)
            if kind is FilterKind.TELEPHONY_SESSIONS:
                telephony -= affected
            elif kind in PRESENCE_KINDS:
                presence -= affected
            # Any other kind belongs to a feed, which hears of it itself (`on_subscription`).
        self._engine.set_monitored(ids, presence=presence, telephony=telephony)
