"""Every subscription of the simulated account: their lifetime, faults, and the delivery of events to them.

Events from the event bus are matched against every active subscription's filters, wrapped as
RingCentral notifications, passed through notification fault injection and handed to the
subscription's transport. Transports (WebSocket, PubNub, WebHook) are registered with `add_transport`
by the assembly; this module knows only their protocol. The API that creates and changes
subscriptions is `SubscriptionManager` (`subscriptions.py`).
"""

from __future__ import annotations

import uuid
from typing import Any

from .clock import SimClock
from .config import SimConfig
from .events import ALL_KINDS, EventBus, SimEvent
from .faults import Faults
from .log import SimLog
from .notification_faults import NotificationFaultPipeline
from .subscription_model import BLACKLISTED, Subscription, Transport


class SubscriptionStore:
    """The subscriptions by id, and the routing of events to them."""

    def __init__(
        self,
        *,
        config: SimConfig,
        clock: SimClock,
        bus: EventBus,
        faults: Faults,
        log: SimLog,
    ) -> None:
        self._clock = clock
        self._log = log
        # Where the API was last reached (REST or WebSocket): the origin of the `uri` fields.
        self.base_url = f"http://{config.host}:{config.port}"
        self.subscriptions: dict[str, Subscription] = {}
        self._by_ws_token: dict[str, str] = {}
        self.transports: dict[str, Transport] = {}
        self._pipeline = NotificationFaultPipeline(faults, clock, log, self._send)
        self._unsubscribe = bus.subscribe(self._on_event, ALL_KINDS)

    def add_transport(self, transport_type: str, transport: Transport) -> None:
        """Deliver the subscriptions whose `deliveryMode.transportType` is `transport_type` this way."""
        self.transports[transport_type] = transport

    def _info(self, subscription: Subscription) -> dict[str, Any]:
        return subscription.info(self.base_url, self._clock)

    # ---- lookup, lifetime, faults --------------------------------------------------------------------

    def _get(self, subscription_id: str) -> Subscription | None:
        subscription = self.subscriptions.get(subscription_id)
        if subscription is not None and subscription.expired(self._clock.now()):
            self.remove(subscription_id, reason="expired")
            return None
        return subscription

    def _live(self) -> list[Subscription]:
        now = self._clock.now()
        for subscription in [s for s in self.subscriptions.values() if s.expired(now)]:
            self.remove(subscription.id, reason="expired")
        return list(self.subscriptions.values())

    def get(self, subscription_id: str) -> Subscription | None:
        """A live subscription by id (expired ones are removed on the way)."""
        return self._get(subscription_id)

    def remove(self, subscription_id: str, *, reason: str) -> None:
        subscription = self.subscriptions.pop(subscription_id, None)
        if subscription is None:
            return
        if (
            subscription.ws_token is not None
            and self._by_ws_token.get(subscription.ws_token) == subscription_id
        ):
            del self._by_ws_token[subscription.ws_token]
        self._pipeline.forget(subscription_id)
        self.transports[subscription.transport].remove(subscription)
        self._log.record("subscription", action="removed", subscription_id=subscription_id, reason=reason)

    def describe(self) -> list[dict[str, Any]]:
        """Every live subscription as answered by the API, plus its owner (for `GET /sim/state`)."""
        return [{**self._info(s), "ownerId": s.owner.id} for s in self._live()]

    def for_ws_session(self, ws_token: str) -> Subscription | None:
        subscription_id = self._by_ws_token.get(ws_token)
        return self._get(subscription_id) if subscription_id is not None else None

    def drop_ws_session(self, ws_token: str) -> None:
        """A WebSocket session ended for good: its subscription goes with it."""
        subscription_id = self._by_ws_token.get(ws_token)
        if subscription_id is not None:
            self.remove(subscription_id, reason="websocket session ended")

    def expire(self, subscription_id: str | None = None) -> int:
        """Fault: make one (or every) subscription expire now. Returns how many."""
        now = self._clock.now()
        targets = self._targets(subscription_id)
        for subscription in targets:
            subscription.expires_at = now
        return len(targets)

    def blacklist(
        self, subscription_id: str | None = None, reason: str = "Blacklisted by fault injection"
    ) -> int:
        """Fault (and WebHook failures): blacklist one (or every) subscription. Returns how many."""
        targets = self._targets(subscription_id)
        for subscription in targets:
            self.mark_blacklisted(subscription, reason)
        return len(targets)

    def mark_blacklisted(self, subscription: Subscription, reason: str) -> None:
        if subscription.status == BLACKLISTED:
            return
        subscription.status = BLACKLISTED
        subscription.blacklisted_data = {"reason": reason, "blacklistedAt": self._clock.iso()}
        self._pipeline.forget(subscription.id)
        self._log.record("subscription", action="blacklisted", subscription_id=subscription.id, reason=reason)

    def _targets(self, subscription_id: str | None) -> list[Subscription]:
        if subscription_id is None:
            return self._live()
        subscription = self._get(subscription_id)
        return [subscription] if subscription is not None else []

    # ---- routing ----------------------------------------------------------------------------------------

    def _on_event(self, event: SimEvent) -> None:
        now = self._clock.now()
        for subscription in list(self.subscriptions.values()):
            if not subscription.deliverable(now):
                continue
            for event_filter in subscription.filters:
                if not event_filter.matches(event):
                    continue
                notification = {
                    "uuid": str(uuid.uuid4()),
                    "event": event_filter.uri,
                    "timestamp": self._clock.iso(now),
                    "subscriptionId": subscription.id,
                    "ownerId": subscription.owner.id,
                    "body": event_filter.shape(event.body),
                }
                self._pipeline.submit(subscription.id, notification)

    def _send(self, subscription_id: str, notification: dict[str, Any]) -> None:
        subscription = self.subscriptions.get(subscription_id)
        if subscription is None or not subscription.deliverable(self._clock.now()):
            return
        self._log.record(
            "notification",
            subscription_id=subscription_id,
            transport=subscription.transport,
            uuid=notification["uuid"],
            event=notification["event"],
        )
        self.transports[subscription.transport].deliver(subscription, notification)

    async def close(self) -> None:
        self._unsubscribe()
        self._pipeline.close()
        for transport in self.transports.values():
            await transport.close()
