"""RingCentral's PubNub notification transport (legacy), on the official `pubnub` asyncio SDK.

RingCentral deprecated PubNub delivery in 2023; this exists for accounts that still need it and
falls back cleanly: when RingCentral refuses it, `run()` raises `TransportUnavailableError` and the
caller switches to WebSocket.

How it works: a `PubNub` subscription (`encryption: true`) names a channel (`address`), the
PubNub `subscriberKey` and an AES key; the SDK long-polls that channel on the PubNub network
(`origin`, PubNub's public one unless told otherwise) and each message is RingCentral's
notification, encrypted (see `crypto.py`). The subscription lives 900 s and is renewed
`renew_margin` before; a renewal may hand out a new channel or key, which the SDK switches to
without losing its place (cursor). A subscription RingCentral dropped is re-created.

Decisions:
- The SDK runs on the caller's `aiohttp` session (its request handler is replaced, in
  `pubnub_sdk.py`), so it opens no other HTTP client, TLS context or thread. Its HTTP exchanges for
  the subscribe long-poll are what tells this transport whether delivery works: the SDK reports no
  status when a reconnect succeeds, so the request handler reports every subscribe poll's outcome
  instead.
- Any failed poll is a possible gap (PubNub's catch-up from the cursor is best effort), so
  delivery counts as interrupted and the next successful poll announces `LOST`. The SDK retries
  by itself (exponential backoff, `reconnect_interval`..`reconnect_max`, real seconds).
- The first connection must succeed within `first_connect_timeout` (real seconds): a PubNub
  network that cannot be reached at all means the transport is unavailable here.
- One SDK instance per subscription: a re-created subscription gets a fresh one (its helpers
  around re-subscribing after `unsubscribe_all` are not reliable).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from collections.abc import Iterable
from typing import Any, ClassVar, Final

from pubnub.enums import PNReconnectionPolicy
from pubnub.pnconfiguration import PNConfiguration

from .crypto import decode_key, decrypt_notification
from .errors import ParseError, TransportUnavailableError
from .models import SubscriptionInfo
from .pubnub_sdk import PubNubSdk
from .rest import RingCentralClient
from .subscription_transport import SubscriptionTransport
from .transport import Continuity, TransportListener

_LOGGER = logging.getLogger(__name__)

DELIVERY_MODE: Final = {"transportType": "PubNub", "encryption": True}
_KEPT_CHANNELS: Final = 2  # the current channel and the one before a rotation (late messages)


class PubNubTransport(SubscriptionTransport):
    """Keeps one PubNub subscription alive and feeds its decrypted notifications to a listener."""

    transport_type: ClassVar[str] = "PubNub"

    def __init__(
        self,
        client: RingCentralClient,
        filters: Iterable[str],
        listener: TransportListener,
        *,
        origin: str | None = None,
        ssl: bool = True,
        user_id: str | None = None,
        renew_margin: float = 120.0,
        check_interval: float | None = 300.0,
        retry_initial: float = 1.0,
        retry_max: float = 60.0,
        reconnect_interval: float = 2.0,
        reconnect_max: float = 60.0,
        first_connect_timeout: float = 60.0,
        subscribe_timeout: int = 310,
        connect_timeout: int = 10,
        dedupe_size: int = 4096,
        rng: random.Random | None = None,
    ) -> None:
        """`origin` is the PubNub host (`host[:port]`; default PubNub's public network) and `ssl`
        whether to use https there. `renew_margin`, `check_interval` (status checks over REST) and
        `retry_*` are client-clock seconds; the rest are real seconds (the SDK's timeouts are whole
        seconds)."""
        super().__init__(
            client,
            filters,
            listener,
            renew_margin=renew_margin,
            check_interval=check_interval,
            retry_initial=retry_initial,
            retry_max=retry_max,
            dedupe_size=dedupe_size,
            rng=rng,
        )
        if origin is not None and (not origin or "/" in origin):
            raise ValueError("origin must be a host[:port] such as ps.pndsn.com")
        for name, value in (
            ("reconnect_interval", reconnect_interval),
            ("first_connect_timeout", first_connect_timeout),
            ("subscribe_timeout", subscribe_timeout),
            ("connect_timeout", connect_timeout),
        ):
            if not value > 0:
                raise ValueError(f"{name} must be positive")
        if not isinstance(subscribe_timeout, int) or not isinstance(connect_timeout, int):
            raise TypeError("subscribe_timeout and connect_timeout must be whole seconds (int)")
        if reconnect_max < reconnect_interval:
            raise ValueError("reconnect_max must be at least reconnect_interval")
        self.origin = origin
        self.ssl = ssl
        self.user_id = user_id or f"ha-ringcentral-{uuid.uuid4()}"
        self.reconnect_interval = reconnect_interval
        self.reconnect_max = reconnect_max
        self.first_connect_timeout = first_connect_timeout
        self.subscribe_timeout = subscribe_timeout
        self.connect_timeout = connect_timeout
        self._sdk: PubNubSdk | None = None
        self._generation = 0
        self._channel: str | None = None
        self._keys: dict[str, list[str]] = {}  # channel → encryption keys, newest first
        self._first_ready = asyncio.Event()

    def diagnostics(self) -> dict[str, Any]:
        data = super().diagnostics()
        data["origin"] = self.origin or "PubNub default"
        data["sdk_running"] = self._sdk is not None
        return data

    # -- subscription life cycle ----------------------------------------------------------------

    def _delivery_mode(self) -> dict[str, Any]:
        return dict(DELIVERY_MODE)

    def _check_created(self, info: SubscriptionInfo) -> None:
        mode = info.delivery_mode
        if not isinstance(mode.get("address"), str) or not isinstance(mode.get("subscriberKey"), str):
            raise TransportUnavailableError(
                "RingCentral's PubNub subscription has no channel or subscriber key", self.transport_type
            )
        key = mode.get("encryptionKey")
        if key is not None:
            try:
                decode_key(key if isinstance(key, str) else "")
            except ParseError as err:
                raise TransportUnavailableError(err.message, self.transport_type) from None

    async def _main(self) -> None:
        info = await self._create()
        await self._attach(info, Continuity.NEW)
        try:
            async with asyncio.timeout(self.first_connect_timeout):
                await self._first_ready.wait()
        except TimeoutError:
            last = self.stats.last_disconnect_reason or "no answer"
            raise TransportUnavailableError(
                f"The PubNub network ({self.origin or 'default origin'}) could not be reached "
                f"within {self.first_connect_timeout:g} s ({last})",
                self.transport_type,
            ) from None
        while True:
            await self._maintain()

    async def _attach(self, info: SubscriptionInfo, continuity: Continuity) -> None:
        self._begin(info, continuity)
        mode = info.delivery_mode
        channel = str(mode["address"])
        self._channel = channel
        key = mode.get("encryptionKey")
        self._keys = {channel: [key] if isinstance(key, str) else []}
        await self._start_sdk(str(mode["subscriberKey"]), channel)

    async def _renewed(self, info: SubscriptionInfo) -> None:
        mode = info.delivery_mode
        channel, sub_key, key = mode.get("address"), mode.get("subscriberKey"), mode.get("encryptionKey")
        if not isinstance(channel, str) or not isinstance(sub_key, str):
            await self._recreate("renewal answered without a PubNub channel")
            return
        if self._sdk is not None and sub_key != self._sdk.subscribe_key:
            # Another PubNub key set: a new SDK instance, whose cursor starts afresh.
            self._lose("PubNub keys changed on renewal")
            self._keys = {channel: [key] if isinstance(key, str) else []}
            self._channel = channel
            await self._start_sdk(sub_key, channel)
            return
        keys = self._keys.setdefault(channel, [])
        if isinstance(key, str) and (not keys or keys[0] != key):
            keys.insert(0, key)
            del keys[_KEPT_CHANNELS:]
            _LOGGER.debug("PubNub encryption key rotated on renewal")
        if channel != self._channel and self._sdk is not None:
            _LOGGER.debug("PubNub channel rotated on renewal")
            old, self._channel = self._channel, channel
            self._sdk.switch(old, channel)
            for stale in list(self._keys)[:-_KEPT_CHANNELS]:
                del self._keys[stale]

    async def _detach(self) -> None:
        sdk, self._sdk = self._sdk, None
        self._generation += 1
        if sdk is not None:
            await sdk.close()

    async def _start_sdk(self, subscribe_key: str, channel: str) -> None:
        await self._detach()
        self._generation += 1
        generation = self._generation
        self._sdk = PubNubSdk(
            self._client.session,
            self._sdk_config(subscribe_key),
            on_poll=lambda error: self._on_poll(generation, error),
            on_message=lambda ch, payload: self._on_message(generation, ch, payload),
        )
        self._sdk.subscribe(channel)

    def _sdk_config(self, subscribe_key: str) -> PNConfiguration:
        config = PNConfiguration()
        config.subscribe_key = subscribe_key
        config.user_id = self.user_id
        if self.origin is not None:
            config.origin = self.origin
        config.ssl = self.ssl
        config.subscribe_request_timeout = self.subscribe_timeout
        config.connect_timeout = self.connect_timeout
        config.non_subscribe_request_timeout = self.connect_timeout
        config.reconnect_policy = PNReconnectionPolicy.EXPONENTIAL
        config.maximum_reconnection_retries = -1  # never give up; stop() ends it
        config.reconnection_interval = self.reconnect_interval
        config.maximum_reconnection_interval = self.reconnect_max
        config.enable_presence_heartbeat = False
        config.suppress_leave_events = True
        config.disable_config_locking = False  # the SDK deprecates mutable configurations
        return config

    # -- what the SDK reports -------------------------------------------------------------------

    def _on_poll(self, generation: int, error: str | None) -> None:
        if generation != self._generation:
            return
        if error is None:
            self._announce()
            if self._ready:
                self._first_ready.set()
        else:
            self._lose(f"PubNub: {error}")

    def _on_message(self, generation: int, channel: str, payload: Any) -> None:
        if generation != self._generation:
            return
        keys = self._keys.get(channel)
        if keys is None:
            self.stats.foreign_dropped += 1
            return
        notification = _open(payload, keys)
        if notification is None:
            self.stats.malformed_frames += 1
            _LOGGER.warning("Ignoring a PubNub message that is not a RingCentral notification")
            return
        self._deliver(notification)


def _open(payload: Any, keys: list[str]) -> dict[str, Any] | None:
    """The notification in a PubNub message: decrypted with the first key that works."""
    if isinstance(payload, dict):
        return payload  # an unencrypted subscription (telephony-only filters)
    if not isinstance(payload, str):
        return None
    for key in keys:
        with contextlib.suppress(ParseError):
            return decrypt_notification(payload, key)
    return None
