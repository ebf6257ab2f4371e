"""Continuity and delivery for the REST-managed transports (`SubscriptionTransport`): a new
subscription is announced (`on_subscription`), notifications are held until delivery works and
`on_connected(NEW|LOST)` was said, then released in order; a loss makes the next announcement `LOST`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, ClassVar

from .models import SubscriptionInfo
from .rest import RingCentralClient
from .transport import Continuity, Delivery, TransportStats

_LOGGER = logging.getLogger(__name__)


class SubscriptionDelivery:
    """What the listener hears, in order; part of `SubscriptionTransport`, which sets the state below."""

    transport_type: ClassVar[str]
    _client: RingCentralClient
    subscription: SubscriptionInfo | None
    stats: TransportStats
    _delivery: Delivery
    _ready: bool
    _ever_connected: bool
    _pending: Continuity | None
    _hold: list[dict[str, Any]] | None

    # -- continuity and delivery ----------------------------------------------------------------

    def _begin(self, info: SubscriptionInfo, continuity: Continuity) -> None:
        """A new subscription: tell the listener; hold notifications until `_announce`."""
        self.subscription = info
        self.stats.subscriptions_created += 1
        self._delivery.call("on_subscription", info)
        self._pending = continuity
        if self._hold is None:
            self._hold = []

    def _announce(self) -> None:
        """Delivery works (again): say what it means, then release held notifications."""
        continuity, self._pending = self._pending, None
        if continuity is None:
            return
        self._ready = True
        self.stats.connects += 1
        if self._ever_connected:
            self.stats.reconnects += 1
        self._ever_connected = True
        self.stats.connected_since = self._client.clock()
        _LOGGER.info("RingCentral %s delivery ready (%s)", self.transport_type, continuity.value)
        self._delivery.call("on_connected", continuity)
        held, self._hold = self._hold or [], None
        for raw in held:
            self._deliver(raw)

    def _lose(self, reason: str) -> None:
        """Delivery stopped or may have had a gap: the next `_announce` says LOST."""
        self.stats.last_disconnect_reason = reason
        if self._ready:
            self._ready = False
            _LOGGER.info("RingCentral %s delivery interrupted: %s", self.transport_type, reason)
            self._delivery.call("on_disconnected", reason)
        if self._pending is None:
            self._pending = Continuity.LOST if self._ever_connected else Continuity.NEW
        if self._hold is None:
            self._hold = []

    def _deliver(self, raw: Mapping[str, Any]) -> None:
        notification = dict(raw)
        self.stats.last_message_at = self._client.clock()
        if self._hold is not None:
            self._hold.append(notification)
            return
        self._delivery.deliver(notification, self.subscription)
