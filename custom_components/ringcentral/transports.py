"""Which library transport carries notifications, chosen by the `transport` option.

- `websocket` (default): `WebSocketTransport`.
- `pubnub` (legacy): `PubNubTransport` on HA's shared aiohttp session, PubNub's public network.
- `webhook`: `HomeAssistantWebhookTransport` (see `webhook.py`).

PubNub and WebHook run inside a `FallbackTransport`: when RingCentral (or HA, for want of a public
address) refuses them, notifications come over WebSocket instead and a repair issue says why; the
issue goes away once the chosen transport works again or the option changes.

Simulator mode: an entry whose `server` is a plain-http loopback URL (`http://127.0.0.1:PORT`) talks
to the RingCentral simulator, never to RingCentral. Then PubNub's origin is the simulator itself
(`127.0.0.1:PORT`, no TLS) and the webhook may be a plain-http loopback address. Nothing else changes,
and no real RingCentral server can be at such an address, so production always uses PubNub's
network over TLS and requires an https webhook.

`TIMINGS` holds the production timing of the REST-managed transports; tests replace it with shorter
values (the simulator's clock runs faster than the wall clock the client reads).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant
from yarl import URL

from .aioringcentral.errors import TransportUnavailableError
from .aioringcentral.models import SubscriptionInfo
from .aioringcentral.pubnub import PubNubTransport
from .aioringcentral.rest import RingCentralClient
from .aioringcentral.transport import Continuity, Transport, TransportListener
from .aioringcentral.websocket import WebSocketTransport
from .const import (
    CONF_SERVER,
    DEFAULT_TRANSPORT,
    LOGGER,
    TRANSPORT_PUBNUB,
    TRANSPORT_WEBHOOK,
    TRANSPORT_WEBSOCKET,
)
from .issues import async_create_transport_issue, async_delete_transport_issue
from .webhook import HomeAssistantWebhookTransport

if TYPE_CHECKING:
    from .coordinator import RingCentralConfigEntry


@dataclass(frozen=True, slots=True)
class TransportTimings:
    """Seconds. `check_interval`/`retry_*`/renew margins are the client's clock; the PubNub SDK's
    reconnect and first-connect times are real seconds."""

    check_interval: float = 300.0
    retry_initial: float = 1.0
    retry_max: float = 60.0
    pubnub_renew_margin: float = 120.0
    pubnub_reconnect_interval: float = 2.0
    pubnub_reconnect_max: float = 60.0
    pubnub_first_connect_timeout: float = 60.0
    webhook_renew_margin: float = 24 * 3600.0


TIMINGS = TransportTimings()


@dataclass(frozen=True, slots=True)
class TransportContext:
    """What a transport factory gets."""

    hass: HomeAssistant
    entry: RingCentralConfigEntry
    client: RingCentralClient
    filters: Sequence[str]
    listener: TransportListener


type TransportFactory = Callable[[TransportContext], Transport]


def simulator_host(server: str) -> str | None:
    """`host:port` of the RingCentral simulator when `server` is a plain-http loopback URL, else None."""
    try:
        url = URL(server)
        loopback = url.host is not None and ipaddress.ip_address(url.host).is_loopback
    except ValueError:
        return None
    if url.scheme != "http" or not loopback or url.host is None or url.port is None:
        return None
    host = f"[{url.host}]" if ":" in url.host else url.host
    return f"{host}:{url.port}"


def _websocket(ctx: TransportContext) -> Transport:
    return WebSocketTransport(ctx.client, list(ctx.filters), ctx.listener)


def _pubnub(ctx: TransportContext) -> Transport:
    origin = simulator_host(ctx.entry.data[CONF_SERVER])
    timings = TIMINGS

    def primary(listener: TransportListener) -> Transport:
        return PubNubTransport(
            ctx.client,
            ctx.filters,
            listener,
            origin=origin,
            ssl=origin is None,
            renew_margin=timings.pubnub_renew_margin,
            check_interval=timings.check_interval,
            retry_initial=timings.retry_initial,
            retry_max=timings.retry_max,
            reconnect_interval=timings.pubnub_reconnect_interval,
            reconnect_max=timings.pubnub_reconnect_max,
            first_connect_timeout=timings.pubnub_first_connect_timeout,
        )

    return FallbackTransport(ctx, TRANSPORT_PUBNUB, primary)


def _webhook(ctx: TransportContext) -> Transport:
    allow_plain_http = simulator_host(ctx.entry.data[CONF_SERVER]) is not None
    timings = TIMINGS

    def primary(listener: TransportListener) -> Transport:
        return HomeAssistantWebhookTransport(
            ctx.hass,
            ctx.entry,
            ctx.client,
            ctx.filters,
            listener,
            allow_plain_http=allow_plain_http,
            renew_margin=timings.webhook_renew_margin,
            check_interval=timings.check_interval,
            retry_initial=timings.retry_initial,
            retry_max=timings.retry_max,
        )

    return FallbackTransport(ctx, TRANSPORT_WEBHOOK, primary)


TRANSPORTS: dict[str, TransportFactory] = {
    TRANSPORT_WEBSOCKET: _websocket,
    TRANSPORT_PUBNUB: _pubnub,
    TRANSPORT_WEBHOOK: _webhook,
}


def create_transport(
    name: str,
    *,
    hass: HomeAssistant,
    entry: RingCentralConfigEntry,
    client: RingCentralClient,
    filters: Sequence[str],
    listener: TransportListener,
) -> Transport:
    """The transport for option value `name`; an unknown value (e.g. from a newer version) falls back.

    Repair issues about transports other than `name` are stale (the option changed): deleted.
    """
    factory = TRANSPORTS.get(name)
    if factory is None:
        LOGGER.warning("Unknown transport %r, using %s", name, DEFAULT_TRANSPORT)
        name, factory = DEFAULT_TRANSPORT, TRANSPORTS[DEFAULT_TRANSPORT]
    for other in (TRANSPORT_PUBNUB, TRANSPORT_WEBHOOK):
        if other != name:
            async_delete_transport_issue(hass, entry, other)
    return factory(TransportContext(hass, entry, client, filters, listener))


class FallbackTransport:
    """Runs the chosen transport; if it is refused (`TransportUnavailableError`), WebSocket instead.

    It stands between the transport and the coordinator (the listener), so it knows when the chosen
    transport delivers: that clears a repair issue left from an earlier refusal.
    """

    def __init__(
        self, ctx: TransportContext, name: str, primary: Callable[[TransportListener], Transport]
    ) -> None:
        self._ctx = ctx
        self.name = name
        self.active_name = name
        self.fallback_reason: str | None = None
        self._active: Transport = primary(self)
        self._stopping = False

    def diagnostics(self) -> dict[str, Any]:
        """Chosen and active transport, why they differ, and the active one's own state."""
        own = getattr(self._active, "diagnostics", None)
        return {
            "configured": self.name,
            "active": self.active_name,
            "fallback_reason": self.fallback_reason,
            **(own() if callable(own) else {}),
        }

    async def run(self) -> None:
        try:
            await self._active.run()
        except TransportUnavailableError as err:
            if self._stopping:
                return
            LOGGER.warning(
                "RingCentral notifications cannot use %s (%s); using WebSocket instead",
                self.name,
                err.message,
            )
            self.fallback_reason = err.message
            async_create_transport_issue(self._ctx.hass, self._ctx.entry, self.name, err)
        else:
            return
        self._active = _websocket(self._ctx)
        self.active_name = TRANSPORT_WEBSOCKET
        if not self._stopping:
            await self._active.run()

    async def stop(self) -> None:
        self._stopping = True
        await self._active.stop()

    # -- the chosen transport's listener: forward to the coordinator -----------------------------

    def on_notification(self, raw: dict[str, Any]) -> None:
        self._ctx.listener.on_notification(raw)

    def on_connected(self, continuity: Continuity) -> None:
        async_delete_transport_issue(self._ctx.hass, self._ctx.entry, self.name)
        self._ctx.listener.on_connected(continuity)

    def on_disconnected(self, reason: str) -> None:
        self._ctx.listener.on_disconnected(reason)

    def on_subscription(self, info: SubscriptionInfo) -> None:
        self._ctx.listener.on_subscription(info)
