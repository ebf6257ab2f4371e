"""What the REST-managed transports (PubNub, WebHook) share: one subscription kept alive over REST.

Unlike WebSocket, these subscriptions live on their own and expire: they are created with
`POST /subscription`, renewed well before `expiresIn` runs out, checked now and then
(`GET /subscription/{id}`: a `Blacklisted` subscription never delivers again), and re-created
when RingCentral has dropped them (`404 SUB-507`). A re-creation means notifications may have
been missed, so the listener hears `on_subscription`, then `on_connected(LOST)`: resync from REST.

Listener order and dedupe are those of `WebSocketTransport`: `on_subscription`, then
`on_connected(NEW|LOST)`, then notifications (anything arriving in between is held), each `uuid`
at most once, only notifications of the current subscription.

Timing (`renew_margin`, `check_interval`, `retry_*`) is in the client's clock and sleep.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Any, ClassVar

from .models import DisabledFilter, SubscriptionInfo
from .rest import RingCentralClient
from .run_until_stopped import RunUntilStopped
from .subscription_lifecycle import SubscriptionLifecycle
from .transport import (
    Continuity,
    Delivery,
    TransportListener,
    TransportStats,
    check_filters,
    disabled_as_dicts,
)


class SubscriptionTransport(SubscriptionLifecycle):
    """Base of `PubNubTransport` and `WebhookTransport`: its state, `run()` and `stop()`. The
    subscription's life cycle is `SubscriptionLifecycle`'s, what the listener hears
    `SubscriptionDelivery`'s."""

    transport_type: ClassVar[str] = ""

    def __init__(
        self,
        client: RingCentralClient,
        filters: Iterable[str],
        listener: TransportListener,
        *,
        renew_margin: float,
        check_interval: float | None,
        retry_initial: float = 1.0,
        retry_max: float = 60.0,
        dedupe_size: int = 4096,
        rng: random.Random | None = None,
    ) -> None:
        self.filters = check_filters(filters)
        if not renew_margin > 0:
            raise ValueError("renew_margin must be positive")
        if check_interval is not None and not check_interval > 0:
            raise ValueError("check_interval must be positive (or None for no status checks)")
        if not retry_initial > 0 or retry_max < retry_initial:
            raise ValueError("retry_initial must be positive and retry_max at least retry_initial")
        self._client = client
        self.renew_margin = renew_margin
        self.check_interval = check_interval
        self.retry_initial = retry_initial
        self.retry_max = retry_max
        self._rng = rng or random.Random()
        self.subscription: SubscriptionInfo | None = None
        self.stats = TransportStats()
        self._delivery = Delivery(listener, self.stats, dedupe_size)
        self._expires_at = 0.0
        self._renew_at = 0.0
        self._next_check = 0.0
        self._failures = 0
        self._ready = False
        self._ever_connected = False
        self._pending: Continuity | None = None
        self._hold: list[dict[str, Any]] | None = None
        self._run = RunUntilStopped(type(self).__name__)

    # -- public state ---------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        """Subscribed and delivering."""
        return self._ready

    @property
    def disabled_filters(self) -> tuple[DisabledFilter, ...]:
        """Filters RingCentral refused in the current subscription, with its reasons."""
        return self.subscription.disabled_filters if self.subscription else ()

    @property
    def expires_at(self) -> float:
        """When the current subscription expires unless renewed (client clock, epoch seconds)."""
        return self._expires_at

    def diagnostics(self) -> dict[str, Any]:
        """Secret-free state for diagnostics."""
        sub = self.subscription
        return {
            "transport": self.transport_type,
            "connected": self._ready,
            "subscription_id": sub.id if sub else None,
            "status": sub.status if sub else None,
            "expires_at": self._expires_at or None,
            "event_filters": list(sub.event_filters) if sub else [],
            "disabled_filters": disabled_as_dicts(self.disabled_filters),
            "stats": self.stats.as_dict(),
        }

    # -- lifecycle ------------------------------------------------------------------------------

    async def run(self) -> None:
        """Subscribe and deliver until `stop()`; see `transport.Transport.run`.

        Raises `TransportUnavailableError` when RingCentral refuses this transport (fall back to
        WebSocket), `InvalidCredentialsError` when the credentials stopped working.
        """
        await self._run.run(self._main, name=f"ringcentral-{self.transport_type.lower()}", cleanup=self._end)

    async def _end(self, failed: bool) -> None:
        # Delete on stop() and on failures; an outside cancellation (shutdown) only detaches.
        try:
            await self._detach()
            if self._run.stop_requested or failed:
                await self._delete_current()
        finally:
            self._ready = False

    @property
    def _running(self) -> bool:
        return self._run.running

    async def stop(self) -> None:
        """Stop delivering, delete the subscription, and make `run()` return."""
        await self._run.stop()
