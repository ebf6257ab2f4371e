"""Feeds: units beside the call state (messages, caller names) that the notification router feeds.

A feed adds its event filters to the entry's one subscription, receives the notifications of its own
kinds (already parsed), hears which of its filters RingCentral refused, and hears when the call state
was re-read (notifications may have been lost: re-read its own state too). It never touches the
call-state engine; the coordinator only routes to it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from homeassistant.core import HomeAssistant

from .aioringcentral.filters import FilterKind
from .aioringcentral.models import Notification, SubscriptionInfo
from .aioringcentral.rest import RingCentralClient

if TYPE_CHECKING:
    from .coordinator import RingCentralConfigEntry, RingCentralCoordinator


class EntryPart:
    """What every unit beside the call state works with: Home Assistant, its entry, the client and the
    coordinator (one place for that wiring instead of each constructor)."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: RingCentralConfigEntry,
        client: RingCentralClient,
        coordinator: RingCentralCoordinator,
    ) -> None:
        self._hass = hass
        self._entry = entry
        self._client = client
        self._coordinator = coordinator


class NotificationFeed(Protocol):
    """What the coordinator asks of a feed."""

    @property
    def kinds(self) -> frozenset[FilterKind]:
        """The notification kinds this feed takes (the engine takes none of them)."""

    def event_filters(self) -> list[str]:
        """This feed's event filters, asked each time the subscription is made."""

    def on_notification(self, notification: Notification) -> None:
        """One notification of one of `kinds` (raises `ParseError` if its body does not parse)."""

    def on_subscription(self, info: SubscriptionInfo) -> None:
        """The subscription as RingCentral made it (with the filters it refused)."""

    def on_resynced(self) -> None:
        """The call state was re-read after notifications may have been lost: re-read too."""
