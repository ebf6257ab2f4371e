"""PubNub delivery (legacy transport) and the slice of PubNub's HTTP API its SDKs need to receive it.

RingCentral publishes each notification on a per-subscription channel: JSON → UTF-8 → PKCS#7 →
AES-128-ECB with the subscription's `encryptionKey` → base64. Clients subscribe with a PubNub SDK;
pointing its origin at the simulator (`PNConfiguration.origin = "127.0.0.1:PORT"`, `ssl = False`)
makes it talk to the endpoints below instead of PubNub's network:

- `GET /v2/subscribe/{sub_key}/{channels}/0` — handshake (no `tt`, or `tt=0`) answers the current
  timetoken at once; with `tt` it long-polls until a message newer than `tt` is published or
  `pubnub_long_poll_timeout` (simulated seconds) passes. `tr` (region) is accepted and ignored.
- `GET /v2/presence/sub-key/{sub_key}/channel/{channels}/heartbeat` and `.../leave` — acknowledged.
- `GET /time/0` — the current timetoken.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
from collections import deque
from typing import Any

from aiohttp import web
from Cryptodome.Cipher import AES
from Cryptodome.Util.Padding import pad, unpad

from .clock import SimClock
from .config import SimConfig
from .log import SimLog
from .subscription_model import Subscription

REGION = 1
PUBLISHER = "rcsim"
# Messages kept per channel for clients that poll with an older timetoken.
CHANNEL_HISTORY = 100


def encrypt(notification: dict[str, Any], key: bytes) -> str:
    """RingCentral's PubNub payload: base64(AES-128-ECB(PKCS#7(UTF-8 JSON)))."""
    data = json.dumps(notification, separators=(",", ":")).encode()
    return base64.b64encode(AES.new(key, AES.MODE_ECB).encrypt(pad(data, AES.block_size))).decode()


def decrypt(payload: str, encryption_key: str) -> dict[str, Any]:
    """The reverse of `encrypt`, given the base64 `encryptionKey` from the subscription."""
    cipher = AES.new(base64.b64decode(encryption_key), AES.MODE_ECB)
    plain = unpad(cipher.decrypt(base64.b64decode(payload)), AES.block_size)
    result: dict[str, Any] = json.loads(plain.decode())
    return result


class PubNubHub:
    """The simulated PubNub network: channels with recent messages, and long-polling subscribers."""

    def __init__(self, config: SimConfig, clock: SimClock) -> None:
        self._config = config
        self._clock = clock
        self.subscribe_key = "sub-c-" + secrets.token_hex(16)
        self._channels: dict[str, deque[tuple[int, Any]]] = {}
        self._last_tt = 0
        self._wakeup = asyncio.Event()
        self._closing = False
        self.waiting = 0  # long polls in progress

    def next_timetoken(self) -> int:
        """A fresh, strictly increasing 17-digit timetoken (100 ns units since the epoch)."""
        self._last_tt = max(self._last_tt + 1, int(self._clock.now() * 10_000_000))
        return self._last_tt

    def publish(self, channel: str, message: Any) -> int:
        timetoken = self.next_timetoken()
        self._channels.setdefault(channel, deque(maxlen=CHANNEL_HISTORY)).append((timetoken, message))
        self._wake()
        return timetoken

    def forget(self, channel: str) -> None:
        self._channels.pop(channel, None)

    def since(self, channels: list[str], timetoken: int) -> list[tuple[int, str, Any]]:
        found = [
            (tt, channel, message)
            for channel in channels
            for tt, message in self._channels.get(channel, ())
            if tt > timetoken
        ]
        return sorted(found, key=lambda item: item[0])

    async def wait_since(self, channels: list[str], timetoken: int) -> list[tuple[int, str, Any]]:
        """Messages newer than `timetoken`, waiting up to the long-poll timeout for the first one."""
        loop = asyncio.get_running_loop()
        timeout = self._clock.to_real(self._config.pubnub_long_poll_timeout)
        deadline = loop.time() + timeout
        while True:
            wakeup = self._wakeup
            found = self.since(channels, timetoken)
            remaining = deadline - loop.time()
            if found or self._closing or remaining <= 0:
                return found
            self.waiting += 1
            try:
                await asyncio.wait_for(wakeup.wait(), remaining)
            except TimeoutError:
                return self.since(channels, timetoken)
            finally:
                self.waiting -= 1

    def close(self) -> None:
        """Shutdown: answer every pending long-poll now."""
        self._closing = True
        self._wake()

    def _wake(self) -> None:
        self._wakeup.set()
        self._wakeup = asyncio.Event()

    # ---- HTTP ------------------------------------------------------------------------------------

    def _check_key(self, request: web.Request) -> web.Response | None:
        if request.match_info["sub_key"] != self.subscribe_key:
            body = {
                "status": 400,
                "error": True,
                "message": "Invalid Subscribe Key",
                "service": "Access Manager",
            }
            return web.json_response(body, status=400)
        return None

    async def subscribe(self, request: web.Request) -> web.Response:
        refused = self._check_key(request)
        if refused is not None:
            return refused
        channels = [c for c in request.match_info["channels"].split(",") if c]
        raw_tt = request.query.get("tt", "0")
        try:
            since = int(raw_tt)
        except ValueError:
            body = {"status": 400, "error": True, "message": "Invalid timetoken", "service": "Subscribe"}
            return web.json_response(body, status=400)
        if since == 0:
            # Handshake: where the client's cursor starts.
            return web.json_response({"t": {"t": str(self.next_timetoken()), "r": REGION}, "m": []})
        found = await self.wait_since(channels, since)
        cursor = found[-1][0] if found else since
        messages = [
            {
                "a": "4",
                "f": 0,
                "i": PUBLISHER,
                "p": {"t": str(tt), "r": REGION},
                "k": self.subscribe_key,
                "c": channel,
                "d": message,
                "b": channel,
            }
            for tt, channel, message in found
        ]
        return web.json_response({"t": {"t": str(cursor), "r": REGION}, "m": messages})

    async def heartbeat(self, request: web.Request) -> web.Response:
        refused = self._check_key(request)
        if refused is not None:
            return refused
        return web.json_response({"status": 200, "message": "OK", "service": "Presence"})

    async def leave(self, request: web.Request) -> web.Response:
        refused = self._check_key(request)
        if refused is not None:
            return refused
        return web.json_response({"status": 200, "message": "OK", "action": "leave", "service": "Presence"})

    async def time(self, request: web.Request) -> web.Response:
        return web.json_response([self.next_timetoken()])


class PubNubDelivery:
    """PubNub transport of the subscription manager."""

    permission = "SubscriptionPubNub"

    def __init__(self, config: SimConfig, clock: SimClock, log: SimLog) -> None:
        self._config = config
        self._log = log
        self.hub = PubNubHub(config, clock)
        self._rotations = 0

    def rotate_next(self, count: int = 1) -> None:
        """Fault: the next `count` renewals hand out a new channel and key."""
        self._rotations += count

    def lifetime(self, requested: int | None) -> int:
        limit = self._config.pubnub_expires_in
        return min(requested, limit) if requested is not None else limit

    async def open(self, subscription: Subscription, mode: dict[str, Any]) -> None:
        # RingCentral forces encryption whenever a presence filter is present.
        encryption = bool(mode.get("encryption")) or any(f.kind == "presence" for f in subscription.filters)
        self._assign(subscription, encryption)

    async def update(self, subscription: Subscription, mode: dict[str, Any] | None) -> None:
        if self._config.pubnub_rotate_on_renew or self._rotations > 0:
            self._rotations = max(0, self._rotations - 1)
            if subscription.channel is not None:
                self.hub.forget(subscription.channel)
            self._assign(subscription, subscription.encryption_key is not None)
            self._log.record("subscription", action="pubnub_rotated", subscription_id=subscription.id)

    def _assign(self, subscription: Subscription, encryption: bool) -> None:
        subscription.channel = secrets.token_hex(16)
        subscription.encryption_key = secrets.token_bytes(16) if encryption else None
        mode: dict[str, Any] = {
            "transportType": "PubNub",
            "encryption": encryption,
            "address": subscription.channel,
            "subscriberKey": self.hub.subscribe_key,
        }
        if subscription.encryption_key is not None:
            mode["encryptionAlgorithm"] = "AES"
            mode["encryptionKey"] = base64.b64encode(subscription.encryption_key).decode()
        subscription.delivery_mode = mode

    def deliver(self, subscription: Subscription, notification: dict[str, Any]) -> None:
        if subscription.channel is None:
            return
        key = subscription.encryption_key
        message: Any = encrypt(notification, key) if key is not None else notification
        self.hub.publish(subscription.channel, message)

    def remove(self, subscription: Subscription) -> None:
        if subscription.channel is not None:
            self.hub.forget(subscription.channel)

    async def close(self) -> None:
        self.hub.close()


def setup(router: web.UrlDispatcher, hub: PubNubHub) -> None:
    """Serve the PubNub endpoints of `hub`."""
    router.add_get("/v2/subscribe/{sub_key}/{channels}/0", hub.subscribe)
    router.add_get("/v2/presence/sub-key/{sub_key}/channel/{channels}/heartbeat", hub.heartbeat)
    router.add_get("/v2/presence/sub-key/{sub_key}/channel/{channels}/leave", hub.leave)
    router.add_get("/time/0", hub.time)
