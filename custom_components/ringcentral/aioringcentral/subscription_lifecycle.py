"""The life cycle of a REST-managed subscription (`SubscriptionTransport`): create it (refusals
mean the transport is unavailable), renew it before it expires, check its status, re-create it when
RingCentral dropped or blacklisted it, delete it; and the hooks each transport fills in.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from typing import Any

from .errors import (
    ApiError,
    InvalidCredentialsError,
    MissingPermissionsError,
    RingCentralError,
    TemporarilyUnavailableError,
    TransportUnavailableError,
)
from .models import SubscriptionInfo
from .subscription_delivery import SubscriptionDelivery
from .transport import Continuity, describe_disabled, describe_error, jittered_backoff, warn_disabled

_LOGGER = logging.getLogger(__name__)

DELETE_TIMEOUT = 5.0  # real seconds stop() waits for the subscription's deletion


class SubscriptionLifecycle(SubscriptionDelivery):
    """Keeps the subscription alive; part of `SubscriptionTransport`, which sets the state below."""

    filters: tuple[str, ...]
    renew_margin: float
    check_interval: float | None
    retry_initial: float
    retry_max: float
    _rng: random.Random
    _expires_at: float
    _renew_at: float
    _next_check: float
    _failures: int

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


def _unusable(info: SubscriptionInfo) -> bool:
    """Blacklisted (or otherwise not active): it will not deliver again."""
    return info.blacklisted or (info.status is not None and info.status.lower() != "active")


def _gone_reason(err: RingCentralError, fallback: str) -> str:
    if isinstance(err, ApiError) and (err.status == 404 or err.error_code == "SUB-507"):
        return "subscription expired or deleted"
    return f"{fallback} ({err.message})"
