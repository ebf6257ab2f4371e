"""The subscription manager's WebSocket transport, over the WebSocket gateway (`ws_gateway.py`)."""

from __future__ import annotations

from typing import Any

from .config import SimConfig
from .subscription_model import Subscription
from .ws_gateway import WsGateway


class WebSocketDelivery:
    """The subscription manager's WebSocket transport: a subscription lives with a WS session."""

    permission = "WebSocketsSubscriptions"

    def __init__(self, config: SimConfig, gateway: WsGateway) -> None:
        self._config = config
        self._gateway = gateway

    def lifetime(self, requested: int | None) -> int:
        # WebSocket subscriptions need no renewal while their session lives.
        return int(self._config.ws_absolute_timeout)

    async def open(self, subscription: Subscription, mode: dict[str, Any]) -> None:
        subscription.delivery_mode = {"transportType": "WebSocket", "encryption": False}

    async def update(self, subscription: Subscription, mode: dict[str, Any] | None) -> None:
        return None

    def deliver(self, subscription: Subscription, notification: dict[str, Any]) -> None:
        if subscription.ws_token is not None:
            self._gateway.deliver(subscription.ws_token, notification)

    def remove(self, subscription: Subscription) -> None:
        return None

    async def close(self) -> None:
        return None
