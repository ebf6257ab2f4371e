"""What every notification transport (WebSocket now; PubNub and WebHook later) shares.

A transport keeps one subscription alive and hands each notification's raw JSON object to a
`TransportListener`. After every (re)connection it says whether anything may have been missed:

- `Continuity.NEW`: the first connection; the caller reads the initial state from REST.
- `Continuity.KEPT`: the session was recovered; missed notifications are (being) replayed, so the
  caller's state is still complete.
- `Continuity.LOST`: a new session or a failed recovery; notifications may have been lost and the
  caller must resync its state from REST.

Listener methods are plain callbacks on the event loop; an exception in one is logged and never
ends the transport.
"""

from __future__ import annotations

import logging
import random
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any, Protocol

import aiohttp

from .errors import RingCentralError
from .models import DisabledFilter, SubscriptionInfo

_LOGGER = logging.getLogger(__name__)


class Continuity(StrEnum):
    """What a (re)connection means for the caller's state."""

    NEW = "new"
    KEPT = "kept"
    LOST = "lost"

    @property
    def needs_resync(self) -> bool:
        """Whether the caller must re-read state over REST."""
        return self is not Continuity.KEPT


class TransportListener(Protocol):
    """Receives what a transport produces."""

    def on_notification(self, raw: dict[str, Any]) -> None:
        """One notification of the current subscription (`uuid, event, timestamp, subscriptionId,
        ownerId, body`), each uuid at most once."""

    def on_connected(self, continuity: Continuity) -> None:
        """A connection is ready; see `Continuity`."""

    def on_disconnected(self, reason: str) -> None:
        """The connection was lost; the transport is already reconnecting. `reason` holds no secrets."""

    def on_subscription(self, info: SubscriptionInfo) -> None:
        """The subscription was created or re-created (check `info.disabled_filters`)."""


class Transport(Protocol):
    """A notification transport."""

    async def run(self) -> None:
        """Connect and deliver until `stop()`, reconnecting after every loss.

        Returns after `stop()`. Raises only what retrying cannot fix: `InvalidCredentialsError`,
        `MissingPermissionsError`, or an `ApiError` refusing the subscription itself.
        """

    async def stop(self) -> None:
        """Delete the subscription, close the connection, and make `run()` return."""


@dataclass
class TransportStats:
    """Health counters for diagnostics. Times are the client's clock (epoch seconds)."""

    connects: int = 0
    reconnects: int = 0
    recoveries_ok: int = 0
    recoveries_failed: int = 0
    subscriptions_created: int = 0
    notifications: int = 0
    duplicates_dropped: int = 0
    foreign_dropped: int = 0  # notifications of another (old) subscription
    malformed_frames: int = 0
    callback_errors: int = 0
    heartbeats_sent: int = 0
    last_message_at: float | None = None
    connected_since: float | None = None
    last_disconnect_reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Delivery:
    """Hands notifications of the current subscription to a listener, each `uuid` at most once.

    Shared by every transport: the dedupe memory is a bounded LRU (`size` uuids), notifications of
    another (older) subscription are dropped, and a listener exception is logged and counted, never
    raised into the transport's receive loop.
    """

    def __init__(self, listener: TransportListener, stats: TransportStats, size: int) -> None:
        if size < 1:
            raise ValueError("dedupe_size must be at least 1")
        self._listener = listener
        self._stats = stats
        self._size = size
        self._seen: OrderedDict[str, None] = OrderedDict()

    def deliver(self, raw: dict[str, Any], subscription: SubscriptionInfo | None) -> None:
        """Pass `raw` on unless it belongs to another subscription or its uuid was delivered."""
        subscription_id = raw.get("subscriptionId")
        if subscription is None or (subscription_id is not None and subscription_id != subscription.id):
            self._stats.foreign_dropped += 1
            return
        key = raw.get("uuid")
        if isinstance(key, str) and key:
            if key in self._seen:
                self._seen.move_to_end(key)
                self._stats.duplicates_dropped += 1
                return
            self._seen[key] = None
            if len(self._seen) > self._size:
                self._seen.popitem(last=False)
        self._stats.notifications += 1
        self.call("on_notification", raw)

    def call(self, method: str, argument: Any) -> None:
        """Call a listener method; its exceptions are logged and counted."""
        try:
            getattr(self._listener, method)(argument)
        except Exception:
            self._stats.callback_errors += 1
            _LOGGER.exception("The transport listener's %s failed", method)


def check_filters(filters: Iterable[str]) -> tuple[str, ...]:
    """The filters as a tuple; `ValueError` unless it is a non-empty list of non-empty strings."""
    checked = tuple(filters)
    if not checked or not all(isinstance(f, str) and f for f in checked):
        raise ValueError("filters must be a non-empty list of event filter paths")
    return checked


def describe_disabled(disabled: Iterable[DisabledFilter]) -> str:
    """`filter (reason)` of every refused filter, for a log line or an error message."""
    return "; ".join(f"{d.filter} ({d.reason or d.message})" for d in disabled)


def warn_disabled(info: SubscriptionInfo) -> None:
    """Log the filters RingCentral refused in a new subscription (a permission is usually missing)."""
    if info.disabled_filters:
        _LOGGER.warning("RingCentral refused event filters: %s", describe_disabled(info.disabled_filters))


def disabled_as_dicts(disabled: Iterable[DisabledFilter]) -> list[Mapping[str, str | None]]:
    """Refused filters for diagnostics."""
    return [{"filter": d.filter, "reason": d.reason, "message": d.message} for d in disabled]


def jittered_backoff(attempt: int, initial: float, maximum: float, rng: random.Random) -> float:
    """Seconds before retry `attempt` (1, 2, …): exponential up to `maximum`, with jitter in the
    upper half so many clients do not retry in step."""
    ceiling = min(maximum, initial * 2.0 ** max(0, attempt - 1))
    return ceiling * (0.5 + 0.5 * rng.random())


def describe_error(err: BaseException) -> str:
    """A loss reason without URLs (they carry tokens) or other secrets."""
    if isinstance(err, RingCentralError):
        return err.message
    if isinstance(err, aiohttp.WSServerHandshakeError):
        return f"WebSocket handshake refused (HTTP {err.status})"
    if isinstance(err, TimeoutError):
        return "timed out"
    return type(err).__name__
