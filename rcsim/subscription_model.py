"""What a subscription is, how it is answered over the API, and what a delivery transport must do."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from .errors import error_body
from .event_filters import EventFilter
from .model import Extension

if TYPE_CHECKING:
    from .clock import SimClock

ACTIVE = "Active"
SUSPENDED = "Suspended"
BLACKLISTED = "Blacklisted"


class SubscriptionError(Exception):
    """A request the subscription API refuses, with RingCentral's status, error code and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def body(self) -> dict[str, Any]:
        return error_body(self.code, self.message)


def not_found(subscription_id: str) -> SubscriptionError:
    return SubscriptionError(404, "SUB-507", f"Subscription [{subscription_id}] is not found or expired")


def invalid_parameter(name: str, problem: str) -> SubscriptionError:
    return SubscriptionError(400, "CMN-101", f"Parameter [{name}] value is invalid: {problem}")


@dataclass
class Subscription:
    """One subscription; transport-specific state sits in the optional fields its transport uses."""

    id: str
    owner: Extension
    filters: list[EventFilter]
    disabled: list[dict[str, str]]
    transport: str
    expires_in: int
    created_at: float
    expires_at: float
    delivery_mode: dict[str, Any] = field(default_factory=dict)
    status: str = ACTIVE
    blacklisted_data: dict[str, str] | None = None
    # WebSocket: the WS session (wsc token) the subscription lives with.
    ws_token: str | None = None
    # WebHook
    address: str | None = None
    verification_token: str | None = None
    consecutive_failures: int = 0
    # PubNub
    channel: str | None = None
    encryption_key: bytes | None = None

    def expired(self, now: float) -> bool:
        return now >= self.expires_at

    def deliverable(self, now: float) -> bool:
        return self.status == ACTIVE and not self.expired(now)

    def info(self, base_url: str, clock: SimClock) -> dict[str, Any]:
        """The `SubscriptionInfo` body RingCentral answers with."""
        body: dict[str, Any] = {
            "id": self.id,
            "uri": f"{base_url}/restapi/v1.0/subscription/{self.id}",
            "eventFilters": [f.uri for f in self.filters],
            "disabledFilters": [dict(item) for item in self.disabled],
            "expirationTime": clock.iso(self.expires_at),
            "expiresIn": max(0, round(self.expires_at - clock.now())),
            "status": self.status,
            "creationTime": clock.iso(self.created_at),
            "deliveryMode": dict(self.delivery_mode),
        }
        if self.blacklisted_data is not None:
            body["blacklistedData"] = dict(self.blacklisted_data)
        return body


class Transport(Protocol):
    """A way of delivering notifications (WebSocket, PubNub, WebHook)."""

    permission: str  # the app permission this transport needs

    def lifetime(self, requested: int | None) -> int:
        """Seconds a subscription lives (and is extended by on renewal); may raise SubscriptionError."""
        ...

    async def open(self, subscription: Subscription, mode: dict[str, Any]) -> None:
        """Prepare delivery for a new subscription, fill its `delivery_mode`; may raise SubscriptionError."""
        ...

    async def update(self, subscription: Subscription, mode: dict[str, Any] | None) -> None:
        """After a renewal or update (PUT with an optional new deliveryMode)."""
        ...

    def deliver(self, subscription: Subscription, notification: dict[str, Any]) -> None:
        """Send one notification (must not block; ordering per subscription must be kept)."""
        ...

    def remove(self, subscription: Subscription) -> None:
        """The subscription is gone: stop delivering."""
        ...

    async def close(self) -> None:
        """Simulator shutdown: finish background work."""
        ...
