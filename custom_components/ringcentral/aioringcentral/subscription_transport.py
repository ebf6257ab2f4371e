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

import asyncio
import contextlib
import logging
import random
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from .errors import (
    ApiError,
    InvalidCredentialsError,
    MissingPermissionsError,
    RingCentralError,
    TemporarilyUnavailableError,
    TransportUnavailableError,
)
from .models import DisabledFilter, SubscriptionInfo
from .rest import RingCentralClient
from .transport import (
    Continuity,
    Delivery,
    TransportListener,
    TransportStats,
    check_filters,
    describe_disabled,
    describe_error,
    disabled_as_dicts,
    jittered_backoff,
    warn_disabled,
)

_LOGGER = logging.getLogger(__name__)

DELETE_TIMEOUT = 5.0  # real seconds stop() waits for the subscription's deletion


class SubscriptionTransport:
    """Base of `PubNubTransport` and `WebhookTransport`: the subscription's life cycle."""

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
        self._running = False
        self._stop_requested: asyncio.Event | None = None
        self._done: asyncio.Event | None = None

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
        if self._running:
            raise RuntimeError(f"{type(self).__name__}.run() is already running")
        self._running = True
        self._stop_requested = asyncio.Event()
        self._done = asyncio.Event()
        loop = asyncio.get_running_loop()
        work = loop.create_task(self._main(), name=f"ringcentral-{self.transport_type.lower()}")
        stopper = loop.create_task(self._stop_requested.wait())
        try:
            await asyncio.wait({work, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (work, stopper):
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await stopper
            try:
                await work
            except asyncio.CancelledError:
                current = asyncio.current_task()
                if current is not None and current.cancelling():
                    raise  # we were cancelled ourselves, not by stop()
            finally:
                # Delete on stop() and on failures; an outside cancellation (shutdown) only detaches.
                failed = work.done() and not work.cancelled() and work.exception() is not None
                try:
                    await self._detach()
                    if self._stop_requested.is_set() or failed:
                        await self._delete_current()
                finally:
                    self._ready = False
                    self._running = False
                    self._done.set()

    async def stop(self) -> None:
        """Stop delivering, delete the subscription, and make `run()` return."""
        if self._stop_requested is None or self._done is None:
            return
        self._stop_requested.set()
        await self._done.wait()

    # -- what each transport adds ---------------------------------------------------------------

    def _delivery_mode(self) -> dict[str, Any]:
        raise NotImplementedError

    def _requested_expires_in(self) -> int | None:
        """`expiresIn` to ask for (None: RingCentral's default for the transport)."""
        return None

    def _check_created(self, info: SubscriptionInfo) -> None:
        """Raise `TransportUnavailableError` when a created subscription cannot deliver."""

    async def _attach(self, info: SubscriptionInfo, continuity: Continuity) -> None:
        """Start receiving for a new subscription (`_begin` first); announce when ready."""
        raise NotImplementedError

    async def _renewed(self, info: SubscriptionInfo) -> None:
        """A renewal answered (it may carry a new delivery address or key)."""

    async def _detach(self) -> None:
        """Stop receiving (the subscription itself is handled by the caller)."""

    # -- the keep-alive loop --------------------------------------------------------------------

    async def _main(self) -> None:
        info = await self._create()
        await self._attach(info, Continuity.NEW)
        while True:
            await self._maintain()

    async def _maintain(self) -> None:
        """One step: renew when due, check the status when due, else sleep until the next one."""
        clock = self._client.clock
        now = clock()
        if now >= self._renew_at:
            await self._renew()
            return
        if self.check_interval is not None and now >= self._next_check:
            await self._check()
            return
        wake = self._renew_at if self.check_interval is None else min(self._renew_at, self._next_check)
        await self._client.sleep(max(wake - now, 0.001))

    async def _renew(self) -> None:
        subscription = self.subscription
        if subscription is None:  # pragma: no cover - _main always has one here
            return
        try:
            info = await self._client.renew_subscription(subscription.id)
        except (ApiError, MissingPermissionsError) as err:
            await self._recreate(_gone_reason(err, "renewal refused"))
            return
        except TemporarilyUnavailableError as err:
            await self._retry_later("renewal", err)
            return
        self._failures = 0
        if _unusable(info):
            await self._recreate(f"subscription {info.status}")
            return
        self._track(info)
        self.subscription = info
        await self._renewed(info)

    async def _check(self) -> None:
        subscription = self.subscription
        if subscription is None:  # pragma: no cover - _main always has one here
            return
        try:
            info = await self._client.get_subscription(subscription.id)
        except (ApiError, MissingPermissionsError) as err:
            await self._recreate(_gone_reason(err, "status check refused"))
            return
        except TemporarilyUnavailableError as err:
            _LOGGER.debug("%s subscription status check failed: %s", self.transport_type, err.message)
            self._next_check = self._client.clock() + (self.check_interval or self.retry_max)
            return
        if _unusable(info):
            reason = info.blacklisted_reason or "no reason given"
            _LOGGER.warning(
                "RingCentral %s subscription is %s (%s)", self.transport_type, info.status, reason
            )
            await self._recreate(f"subscription {info.status}")
            return
        self._next_check = self._client.clock() + (self.check_interval or 0.0)

    async def _retry_later(self, what: str, err: RingCentralError) -> None:
        self._failures += 1
        delay = self.backoff_delay(self._failures)
        _LOGGER.debug("%s %s failed (%s), again in %.1f s", self.transport_type, what, err.message, delay)
        await self._client.sleep(delay)

    async def _recreate(self, reason: str) -> None:
        _LOGGER.info("Re-creating the RingCentral %s subscription: %s", self.transport_type, reason)
        self._lose(reason)
        await self._detach()
        await self._delete_current()
        info = await self._create()
        await self._attach(info, Continuity.LOST)

    async def _create(self) -> SubscriptionInfo:
        """Create the subscription, retrying what may pass; refusals raise `TransportUnavailableError`."""
        attempt = 0
        while True:
            try:
                info = await self._client.create_subscription(
                    self.filters, self._delivery_mode(), expires_in=self._requested_expires_in()
                )
            except InvalidCredentialsError:
                raise
            except MissingPermissionsError as err:
                raise TransportUnavailableError(
                    f"RingCentral refused {self.transport_type} delivery: {err.message}",
                    self.transport_type,
                    403,
                ) from err
            except ApiError as err:
                raise TransportUnavailableError(
                    f"RingCentral refused {self.transport_type} delivery: {err.message}",
                    self.transport_type,
                    err.status,
                    err.error_code,
                ) from err
            except TemporarilyUnavailableError as err:
                attempt += 1
                delay = self.backoff_delay(attempt)
                _LOGGER.debug("Creating the %s subscription failed (%s)", self.transport_type, err.message)
                await self._client.sleep(delay)
                continue
            try:
                self._check_usable(info)
            except TransportUnavailableError:
                with contextlib.suppress(RingCentralError):
                    await self._client.delete_subscription(info.id)
                raise
            warn_disabled(info)
            self._track(info)
            self._next_check = self._client.clock() + (self.check_interval or 0.0)
            return info

    def _check_usable(self, info: SubscriptionInfo) -> None:
        """`TransportUnavailableError` when a created subscription cannot deliver anything."""
        if info.transport_type not in (None, self.transport_type):
            raise TransportUnavailableError(
                f"RingCentral answered a {self.transport_type} subscription with "
                f"{info.transport_type} delivery",
                self.transport_type,
            )
        if not info.event_filters:
            refused = describe_disabled(info.disabled_filters)
            raise TransportUnavailableError(
                f"RingCentral disabled every event filter of the {self.transport_type} "
                f"subscription: {refused or 'no reason given'}",
                self.transport_type,
            )
        self._check_created(info)

    def _track(self, info: SubscriptionInfo) -> None:
        """Note when `info` expires and when to renew it."""
        now = self._client.clock()
        if info.expires_in is not None:
            lifetime = float(info.expires_in)
        elif info.expiration_time is not None:
            lifetime = info.expiration_time.timestamp() - now
        else:
            lifetime = 900.0  # RingCentral's documented PubNub lifetime; the shortest there is
        self._expires_at = now + lifetime
        self._renew_at = now + max(lifetime - self.renew_margin, lifetime / 2)

    async def _delete_current(self) -> None:
        subscription, self.subscription = self.subscription, None
        if subscription is None:
            return
        try:
            async with asyncio.timeout(DELETE_TIMEOUT):
                await self._client.delete_subscription(subscription.id)
        except (RingCentralError, TimeoutError) as err:
            _LOGGER.debug(
                "Could not delete the %s subscription: %s", self.transport_type, describe_error(err)
            )

    def backoff_delay(self, attempt: int) -> float:
        """Seconds before retry `attempt` (1, 2, …); see `transport.jittered_backoff`."""
        return jittered_backoff(attempt, self.retry_initial, self.retry_max, self._rng)

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


def _unusable(info: SubscriptionInfo) -> bool:
    """Blacklisted (or otherwise not active): it will not deliver again."""
    return info.blacklisted or (info.status is not None and info.status.lower() != "active")


def _gone_reason(err: RingCentralError, fallback: str) -> str:
    if isinstance(err, ApiError) and (err.status == 404 or err.error_code == "SUB-507"):
        return "subscription expired or deleted"
    return f"{fallback} ({err.message})"
