"""Which library transport carries notifications, chosen by the `transport` option.

A factory per option value keeps the hub transport-agnostic: PubNub and WebHook slot in by adding an
entry to `TRANSPORTS` (and the option value to the translations), nothing else changes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .aioringcentral.rest import RingCentralClient
from .aioringcentral.transport import Transport, TransportListener
from .aioringcentral.websocket import WebSocketTransport
from .const import DEFAULT_TRANSPORT, LOGGER, TRANSPORT_WEBSOCKET

type TransportFactory = Callable[[RingCentralClient, Sequence[str], TransportListener], Transport]


def _websocket(client: RingCentralClient, filters: Sequence[str], listener: TransportListener) -> Transport:
    return WebSocketTransport(client, list(filters), listener)


TRANSPORTS: dict[str, TransportFactory] = {TRANSPORT_WEBSOCKET: _websocket}


def create_transport(
    name: str, client: RingCentralClient, filters: Sequence[str], listener: TransportListener
) -> Transport:
    """The transport for option value `name`; an unknown value (e.g. from a newer version) falls back."""
    factory = TRANSPORTS.get(name)
    if factory is None:
        LOGGER.warning("Unknown transport %r, using %s", name, DEFAULT_TRANSPORT)
        factory = TRANSPORTS[DEFAULT_TRANSPORT]
    return factory(client, filters, listener)
