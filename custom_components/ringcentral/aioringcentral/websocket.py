"""RingCentral's WebSocket notification transport, built to survive disconnects.

One connection cycle: a fresh single-use wstoken → connect (with `&wsc=` when the last session can
still be recovered) → the server's `ConnectionDetails` → one subscription holding every filter
(skipped when the session was recovered: it kept its subscription) → notifications.

Loss is normal (idle and absolute timeouts, `Error` frames, network errors, a heartbeat nobody
answers). After one, the transport reconnects with exponential backoff and jitter (reset once a
connection has been healthy for `healthy_after`), recovers the session within `recoveryTimeout`
and says what happened (`Continuity`). A failed recovery re-creates the subscription.

Decisions (where RingCentral's documentation leaves room):
- Heartbeats go out when nothing was received *or* nothing was sent for `heartbeat_interval`
  (whether the gateway's idle timer counts client or server traffic is not documented; covering
  both costs at most one small frame a minute). Any frame received within `heartbeat_timeout`
  after a heartbeat proves the connection alive; silence means it is lost.
- Notifications are deduplicated by `uuid` (bounded LRU), so a replay that repeats an already
  delivered notification never reaches the listener twice. Only notifications of the current
  subscription are delivered.
- After a new subscription the listener hears `on_subscription`, then `on_connected(NEW|LOST)`,
  then notifications: anything that arrived while subscribing is held until after the resync signal.
  Only a session that carried an announced subscription can be KEPT: a loss stays pending until the
  listener has heard it, even when the connection drops again while subscribing.
- `run()` raises what retrying cannot fix (credentials, permissions, a refused subscription);
  everything else is retried forever.
- Timing (`heartbeat_*`, `backoff_*`, `healthy_after`) uses the client's clock and sleep, as
  RingCentral's own durations do; `connect_timeout` and `request_timeout` are real seconds.
- URLs with tokens are never logged and never put in errors.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Iterable
from typing import Any, Final

import aiohttp

from .errors import RingCentralError
from .models import DisabledFilter, SubscriptionInfo
from .rest import RingCentralClient
from .run_until_stopped import RunUntilStopped
from .transport import (
    Delivery,
    TransportListener,
    TransportStats,
    check_filters,
    describe_error,
    disabled_as_dicts,
)
from .websocket_cycle import SUBSCRIPTION_PATH, WebSocketCycle
from .websocket_frames import _Wsc

_LOGGER = logging.getLogger(__name__)

DEFAULT_RECOVERY_TIMEOUT: Final = 180.0


class WebSocketTransport(WebSocketCycle):
    """Keeps one WebSocket subscription alive and feeds its notifications to a listener."""

    def __init__(
        self,
        client: RingCentralClient,
        filters: Iterable[str],
        listener: TransportListener,
        *,
        heartbeat_interval: float = 60.0,
        heartbeat_timeout: float = 15.0,
        backoff_initial: float = 1.0,
        backoff_max: float = 60.0,
        healthy_after: float = 60.0,
        connect_timeout: float = 30.0,
        request_timeout: float = 30.0,
        dedupe_size: int = 4096,
        rng: random.Random | None = None,
    ) -> None:
        self.filters = check_filters(filters)
        for name, value in (
            ("heartbeat_interval", heartbeat_interval),
            ("heartbeat_timeout", heartbeat_timeout),
            ("backoff_initial", backoff_initial),
            ("connect_timeout", connect_timeout),
            ("request_timeout", request_timeout),
        ):
            if not value > 0:
                raise ValueError(f"{name} must be positive")
        if backoff_max < backoff_initial:
            raise ValueError("backoff_max must be at least backoff_initial")
        self._client = client
        self.heartbeat_interval = heartbeat_interval
        self.heartbeat_timeout = heartbeat_timeout
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.healthy_after = healthy_after
        self.connect_timeout = connect_timeout
        self.request_timeout = request_timeout
        self._rng = rng or random.Random()
        self.subscription: SubscriptionInfo | None = None
        self.connection_details: dict[str, Any] = {}
        self.stats = TransportStats()
        self._delivery = Delivery(listener, self.stats, dedupe_size)
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._wsc: _Wsc | None = None
        self._recovery_timeout = DEFAULT_RECOVERY_TIMEOUT
        self._lost_at: float | None = None
        self._pending: dict[str, asyncio.Future[tuple[int, Any]]] = {}
        self._hold: list[dict[str, Any]] | None = None
        self._ready = False
        self._ever_connected = False
        self._loss: str | None = None
        self._last_received = 0.0
        self._last_sent = 0.0
        self._heartbeat_sent_at: float | None = None
        self._attempt = 0
        self._run = RunUntilStopped(type(self).__name__)

    # -- public state ---------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        """Connected and subscribed: notifications flow."""
        return self._ready

    @property
    def disabled_filters(self) -> tuple[DisabledFilter, ...]:
        """Filters RingCentral refused in the current subscription, with its reasons."""
        return self.subscription.disabled_filters if self.subscription else ()

    def diagnostics(self) -> dict[str, Any]:
        """Secret-free state for diagnostics."""
        return {
            "connected": self._ready,
            "subscription_id": self.subscription.id if self.subscription else None,
            "event_filters": list(self.subscription.event_filters) if self.subscription else [],
            "disabled_filters": disabled_as_dicts(self.disabled_filters),
            "recovery_timeout": self._recovery_timeout,
            "stats": self.stats.as_dict(),
        }

    # -- lifecycle ------------------------------------------------------------------------------

    async def run(self) -> None:
        """Connect and deliver until `stop()`; see `transport.Transport.run`."""
        await self._run.run(self._loop, name="ringcentral-websocket", cleanup=self._end)

    async def _end(self, failed: bool) -> None:
        try:
            await self._close_socket()
        finally:
            self._ready = False

    async def stop(self) -> None:
        """Delete the subscription, close the socket, and make `run()` return."""
        if not self._run.started or self._run.stop_requested:
            await self._run.stop()  # nothing to stop, or only to wait for
            return
        ws, subscription = self._ws, self.subscription
        if ws is not None and not ws.closed and subscription is not None and self._ready:
            try:
                status, _ = await asyncio.wait_for(
                    self._request(ws, "DELETE", f"{SUBSCRIPTION_PATH}/{subscription.id}"),
                    timeout=min(self.request_timeout, 5.0),
                )
            except (RingCentralError, TimeoutError, aiohttp.ClientError, ConnectionError) as err:
                _LOGGER.debug("Could not delete the subscription on stop: %s", describe_error(err))
            else:
                _LOGGER.debug("Subscription deleted on stop (HTTP %d)", status)
                if status in (200, 204, 404):
                    self.subscription = None
        await self._run.stop()
