"""WebHook delivery: validate the receiver on creation, POST each notification, blacklist on failures.

The real platform only calls public `https://` addresses. The simulator accepts loopback addresses
only (127.0.0.1, ::1, localhost) and allows plain `http://` for them, so tests can run receivers on
aiohttp servers without certificates. The header that carries the subscription's verification token
is `config.webhook_verification_header` (`Verification-Token`; RingCentral's docs disagree, see the
platform notes).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Callable
from typing import Any

import aiohttp
from yarl import URL

from .clock import SimClock
from .config import SimConfig
from .log import SimLog
from .subscription_model import Subscription, SubscriptionError, invalid_parameter

# Told when a subscription is to be blacklisted (the subscription manager marks it): (subscription, reason).
Blacklist = Callable[[Subscription, str], None]

VALIDATION_HEADER = "Validation-Token"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
MAX_VERIFICATION_TOKEN = 64


def validation_failed(detail: str) -> SubscriptionError:
    return SubscriptionError(400, "SUB-525", f"WebHook validation failed: {detail}")


class WebhookDelivery:
    """WebHook transport of the subscription manager: one ordered delivery queue per subscription."""

    permission = "SubscriptionWebhook"

    def __init__(self, config: SimConfig, clock: SimClock, log: SimLog, blacklist: Blacklist) -> None:
        self._config = config
        self._clock = clock
        self._log = log
        self._blacklist = blacklist
        self._session: aiohttp.ClientSession | None = None
        self._queues: dict[str, asyncio.Queue[dict[str, Any]]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}

    def lifetime(self, requested: int | None) -> int:
        config = self._config
        if requested is None:
            return config.webhook_default_expires_in
        return min(requested, config.webhook_max_expires_in)

    async def open(self, subscription: Subscription, mode: dict[str, Any]) -> None:
        address = _check_address(mode.get("address"))
        token = _check_token(mode.get("verificationToken"))
        await self._validate(address)
        subscription.address, subscription.verification_token = address, token
        subscription.delivery_mode = {"transportType": "WebHook", "address": address, "encryption": False}

    async def update(self, subscription: Subscription, mode: dict[str, Any] | None) -> None:
        if mode is None:
            return
        if "address" in mode and mode["address"] != subscription.address:
            raise invalid_parameter("deliveryMode.address", "the address of a WebHook cannot be changed")
        if "verificationToken" in mode:
            subscription.verification_token = _check_token(mode["verificationToken"])

    async def _validate(self, address: str) -> None:
        token = secrets.token_urlsafe(24)
        timeout = aiohttp.ClientTimeout(total=self._clock.to_real(self._config.webhook_validation_timeout))
        try:
            async with self._client().post(
                address, headers={VALIDATION_HEADER: token}, timeout=timeout
            ) as response:
                echoed = response.headers.get(VALIDATION_HEADER)
                status = response.status
        except TimeoutError:
            raise validation_failed("the address did not answer in time") from None
        except aiohttp.ClientError as err:
            raise validation_failed(f"the address could not be reached ({type(err).__name__})") from None
        if status != 200:
            raise validation_failed(f"the address answered HTTP {status}, expected 200")
        if echoed != token:
            raise validation_failed(f"the response did not echo the {VALIDATION_HEADER} header")

    def deliver(self, subscription: Subscription, notification: dict[str, Any]) -> None:
        queue = self._queues.get(subscription.id)
        if queue is None:
            queue = self._queues[subscription.id] = asyncio.Queue()
            task = asyncio.get_running_loop().create_task(self._work(subscription, queue))
            self._workers[subscription.id] = task
        queue.put_nowait(notification)

    async def _work(self, subscription: Subscription, queue: asyncio.Queue[dict[str, Any]]) -> None:
        config = self._config
        while True:
            notification = await queue.get()
            if not subscription.deliverable(self._clock.now()):
                continue
            failure = await self._post(subscription, notification)
            if failure is None:
                subscription.consecutive_failures = 0
                continue
            subscription.consecutive_failures += 1
            self._log.record("webhook", action="failed", subscription_id=subscription.id, failure=failure)
            if subscription.consecutive_failures >= config.webhook_blacklist_after_failures:
                reason = (
                    f"{subscription.consecutive_failures} consecutive delivery failures (last: {failure})"
                )
                self._blacklist(subscription, reason)
                self._queues.pop(subscription.id, None)
                self._workers.pop(subscription.id, None)
                return

    async def _post(self, subscription: Subscription, notification: dict[str, Any]) -> str | None:
        """Deliver one notification; a short failure description, or None on success."""
        if subscription.address is None:
            return "no address"
        headers = {"Content-Type": "application/json"}
        if subscription.verification_token is not None:
            headers[self._config.webhook_verification_header] = subscription.verification_token
        timeout = aiohttp.ClientTimeout(total=self._clock.to_real(self._config.webhook_validation_timeout))
        try:
            async with self._client().post(
                subscription.address, json=notification, headers=headers, timeout=timeout
            ) as response:
                await response.read()
                return None if 200 <= response.status < 300 else f"HTTP {response.status}"
        except TimeoutError:
            return "timeout"
        except aiohttp.ClientError as err:
            return type(err).__name__

    def remove(self, subscription: Subscription) -> None:
        self._queues.pop(subscription.id, None)
        task = self._workers.pop(subscription.id, None)
        if task is not None:
            task.cancel()

    async def close(self) -> None:
        tasks = list(self._workers.values())
        self._workers.clear()
        self._queues.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session


def _check_address(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise invalid_parameter("deliveryMode.address", "a URL is required for WebHook delivery")
    try:
        url = URL(value)
    except ValueError:
        raise invalid_parameter("deliveryMode.address", "not a valid URL") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise invalid_parameter("deliveryMode.address", "an http(s) URL is required")
    if url.host not in LOOPBACK_HOSTS:
        raise invalid_parameter(
            "deliveryMode.address",
            "the simulator only delivers to loopback addresses (the platform needs public https)",
        )
    return value


def _check_token(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > MAX_VERIFICATION_TOKEN:
        raise invalid_parameter(
            "deliveryMode.verificationToken", f"a string of 1-{MAX_VERIFICATION_TOKEN} characters"
        )
    return value
