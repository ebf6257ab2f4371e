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

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any, Protocol

from .models import SubscriptionInfo


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
