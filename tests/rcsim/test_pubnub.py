"""PubNub delivery: subscription fields, encryption, expiry, key rotation, and the PubNub HTTP API.

The main test uses the real `pubnub` SDK (asyncio client) with its origin pointed at the simulator.
"""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import aiohttp
import pytest
from pubnub.callbacks import SubscribeCallback
from pubnub.pnconfiguration import PNConfiguration
from pubnub.pubnub_asyncio import PubNubAsyncio

from rcsim import SimConfig, Simulator
from rcsim.pubnub_gateway import decrypt, encrypt
from tests.waiting import wait_for

from .delivery_support import (
    ACCOUNT_SESSIONS,
    EXT_PRESENCE,
    login,
    presence_event,
    rest,
    telephony_event,
)

BASE = "/restapi/v1.0/subscription"


@pytest.fixture
def sim_config() -> SimConfig:
    # Long polls end quickly when nothing is published, so "nothing arrived" is observable.
    return SimConfig(pubnub_long_poll_timeout=0.3)


@pytest.fixture
async def token(simulator: Simulator, http: aiohttp.ClientSession) -> str:
    return await login(simulator, http)


async def subscribe(
    sim: Simulator, http: aiohttp.ClientSession, token: str, filters: list[str], encryption: bool = True
) -> dict[str, Any]:
    status, info = await rest(
        sim,
        http,
        token,
        "POST",
        BASE,
        body={"eventFilters": filters, "deliveryMode": {"transportType": "PubNub", "encryption": encryption}},
    )
    assert status == 200, info
    result: dict[str, Any] = info
    return result


def admin_id(sim: Simulator) -> str:
    return next(iter(sim.state.account.extensions))


class Poller:
    """A bare PubNub long-poll client over HTTP."""

    def __init__(self, sim: Simulator, http: aiohttp.ClientSession, sub_key: str, channel: str) -> None:
        self.url = f"{sim.url}/v2/subscribe/{sub_key}/{channel}/0"
        self.http = http
        self.cursor = "0"

    async def poll(self) -> list[dict[str, Any]]:
        params = (
            {"uuid": "tester"} if self.cursor == "0" else {"tt": self.cursor, "tr": "1", "uuid": "tester"}
        )
        response = await self.http.get(self.url, params=params)
        assert response.status == 200, await response.text()
        body = await response.json()
        assert len(body["t"]["t"]) == 17
        self.cursor = body["t"]["t"]
        messages: list[dict[str, Any]] = body["m"]
        return messages


def test_encryption_round_trip() -> None:
    key = bytes(range(16))
    note = {"uuid": "u", "body": {"text": "ünïcode"}}
    payload = encrypt(note, key)
    assert len(base64.b64decode(payload)) % 16 == 0
    assert decrypt(payload, base64.b64encode(key).decode()) == note


async def test_subscription_fields(simulator: Simulator, http: aiohttp.ClientSession, token: str) -> None:
    info = await subscribe(simulator, http, token, [EXT_PRESENCE, ACCOUNT_SESSIONS])
    mode = info["deliveryMode"]
    assert mode["transportType"] == "PubNub"
    assert mode["encryption"] is True
    assert mode["encryptionAlgorithm"] == "AES"
    assert len(base64.b64decode(mode["encryptionKey"])) == 16
    assert mode["address"]
    assert mode["subscriberKey"].startswith("sub-c-")
    assert info["expiresIn"] == simulator.config.pubnub_expires_in == 900


async def test_encryption_is_forced_for_presence(
    simulator: Simulator, http: aiohttp.ClientSession, token: str
) -> None:
    info = await subscribe(simulator, http, token, [EXT_PRESENCE], encryption=False)
    assert info["deliveryMode"]["encryption"] is True


class Collector(SubscribeCallback):  # type: ignore[misc]
    def __init__(self) -> None:
        self.messages: asyncio.Queue[Any] = asyncio.Queue()
        self.connected = asyncio.Event()

    def status(self, pubnub: Any, status: Any) -> None:
        if not status.is_error():
            self.connected.set()

    def presence(self, pubnub: Any, presence: Any) -> None:
        return None

    def message(self, pubnub: Any, message: Any) -> None:
        self.messages.put_nowait(message)


async def test_official_pubnub_sdk_receives_and_decrypts(
    simulator: Simulator, http: aiohttp.ClientSession, token: str
) -> None:
    info = await subscribe(simulator, http, token, [EXT_PRESENCE])
    mode = info["deliveryMode"]
    config = PNConfiguration()
    config.subscribe_key = mode["subscriberKey"]
    config.user_id = "ha-test"
    config.origin = simulator.url.removeprefix("http://")
    config.ssl = False
    config.subscribe_request_timeout = 10
    config.disable_config_locking = False  # the SDK deprecates mutable configurations
    pubnub = PubNubAsyncio(config)
    collector = Collector()
    pubnub.add_listener(collector)
    try:
        pubnub.subscribe().channels([mode["address"]]).execute()
        await asyncio.wait_for(collector.connected.wait(), 10)
        simulator.state.bus.publish(presence_event(admin_id(simulator), sequence=42))
        message = await asyncio.wait_for(collector.messages.get(), 10)
        assert message.channel == mode["address"]
        assert isinstance(message.message, str)
        notification = decrypt(message.message, mode["encryptionKey"])
        assert notification["subscriptionId"] == info["id"]
        assert notification["body"]["sequence"] == 42
        assert notification["event"] == info["eventFilters"][0]
        assert notification["body"]["activeCalls"][0]["sipData"]
    finally:
        pubnub.unsubscribe_all()
        await pubnub.stop()


async def test_long_poll_delivers_in_order(
    simulator: Simulator, http: aiohttp.ClientSession, token: str
) -> None:
    info = await subscribe(simulator, http, token, [EXT_PRESENCE])
    mode = info["deliveryMode"]
    poller = Poller(simulator, http, mode["subscriberKey"], mode["address"])
    assert await poller.poll() == []  # handshake
    pending = asyncio.ensure_future(poller.poll())
    for sequence in (1, 2):
        simulator.state.bus.publish(presence_event(admin_id(simulator), sequence=sequence))
    messages = await pending
    while len(messages) < 2:
        messages += await poller.poll()
    decoded = [decrypt(m["d"], mode["encryptionKey"]) for m in messages]
    assert [n["body"]["sequence"] for n in decoded] == [1, 2]
    assert all(m["c"] == mode["address"] and m["k"] == mode["subscriberKey"] for m in messages)
    assert int(messages[0]["p"]["t"]) < int(messages[1]["p"]["t"])
    # Nothing new: the long poll ends empty with the same cursor.
    cursor = poller.cursor
    assert await poller.poll() == []
    assert poller.cursor == cursor


async def test_unencrypted_telephony_only(
    simulator: Simulator, http: aiohttp.ClientSession, token: str
) -> None:
    info = await subscribe(simulator, http, token, [ACCOUNT_SESSIONS], encryption=False)
    mode = info["deliveryMode"]
    assert mode["encryption"] is False
    assert "encryptionKey" not in mode
    poller = Poller(simulator, http, mode["subscriberKey"], mode["address"])
    await poller.poll()
    simulator.state.bus.publish(telephony_event(admin_id(simulator), sequence=5))
    (message,) = await poller.poll()
    assert message["d"]["body"]["sequence"] == 5


async def test_expiry_stops_delivery(simulator: Simulator, http: aiohttp.ClientSession, token: str) -> None:
    info = await subscribe(simulator, http, token, [EXT_PRESENCE])
    mode = info["deliveryMode"]
    poller = Poller(simulator, http, mode["subscriberKey"], mode["address"])
    await poller.poll()
    simulator.state.clock.advance(simulator.config.pubnub_expires_in + 1)
    simulator.state.bus.publish(presence_event(admin_id(simulator)))
    assert await poller.poll() == []
    status, body = await rest(simulator, http, token, "GET", f"{BASE}/{info['id']}")
    assert status == 404
    assert body["errorCode"] == "SUB-507"


@pytest.mark.parametrize("how", ["config", "fault"])
async def test_renewal_rotates_channel_and_key(
    simulator: Simulator, http: aiohttp.ClientSession, token: str, how: str
) -> None:
    if how == "config":
        simulator.config.pubnub_rotate_on_renew = True
    else:
        simulator.state.pubnub.rotate_next(1)
    info = await subscribe(simulator, http, token, [EXT_PRESENCE])
    old = info["deliveryMode"]
    old_poller = Poller(simulator, http, old["subscriberKey"], old["address"])
    await old_poller.poll()
    status, renewed = await rest(simulator, http, token, "POST", f"{BASE}/{info['id']}/renew")
    assert status == 200
    new = renewed["deliveryMode"]
    assert new["address"] != old["address"]
    assert new["encryptionKey"] != old["encryptionKey"]
    poller = Poller(simulator, http, new["subscriberKey"], new["address"])
    await poller.poll()
    simulator.state.bus.publish(presence_event(admin_id(simulator), sequence=3))
    (message,) = await poller.poll()
    assert decrypt(message["d"], new["encryptionKey"])["body"]["sequence"] == 3
    assert await old_poller.poll() == []


async def test_renewal_keeps_channel_by_default(
    simulator: Simulator, http: aiohttp.ClientSession, token: str
) -> None:
    info = await subscribe(simulator, http, token, [EXT_PRESENCE])
    status, renewed = await rest(
        simulator, http, token, "PUT", f"{BASE}/{info['id']}", body={"expiresIn": 600}
    )
    assert status == 200
    assert renewed["deliveryMode"] == info["deliveryMode"]
    assert renewed["expiresIn"] == 600


async def test_invalid_subscribe_key(simulator: Simulator, http: aiohttp.ClientSession) -> None:
    response = await http.get(f"{simulator.url}/v2/subscribe/sub-c-wrong/chan/0")
    assert response.status == 400
    assert (await response.json())["message"] == "Invalid Subscribe Key"


async def test_invalid_timetoken(simulator: Simulator, http: aiohttp.ClientSession) -> None:
    key = simulator.state.pubnub.hub.subscribe_key
    response = await http.get(f"{simulator.url}/v2/subscribe/{key}/chan/0", params={"tt": "soon"})
    assert response.status == 400


async def test_time_heartbeat_and_leave(simulator: Simulator, http: aiohttp.ClientSession) -> None:
    key = simulator.state.pubnub.hub.subscribe_key
    response = await http.get(f"{simulator.url}/time/0")
    (timetoken,) = await response.json()
    assert len(str(timetoken)) == 17
    presence = f"{simulator.url}/v2/presence/sub-key/{key}/channel/a,b"
    response = await http.get(f"{presence}/heartbeat", params={"heartbeat": "300"})
    assert (await response.json())["status"] == 200
    response = await http.get(f"{presence}/leave")
    assert (await response.json())["action"] == "leave"


async def test_notification_faults_apply_to_pubnub(
    simulator: Simulator, http: aiohttp.ClientSession, token: str
) -> None:
    info = await subscribe(simulator, http, token, [EXT_PRESENCE])
    mode = info["deliveryMode"]
    poller = Poller(simulator, http, mode["subscriberKey"], mode["address"])
    await poller.poll()
    response = await http.post(
        f"{simulator.url}/sim/faults", json={"type": "notifications", "duplicate": 1.0, "count": 1}
    )
    assert response.status == 200
    simulator.state.bus.publish(presence_event(admin_id(simulator), sequence=1))
    messages = await poller.poll()
    uuids = [decrypt(m["d"], mode["encryptionKey"])["uuid"] for m in messages]
    assert len(uuids) == 2
    assert uuids[0] == uuids[1]


async def test_shutdown_ends_pending_long_polls(
    simulator: Simulator, http: aiohttp.ClientSession, token: str
) -> None:
    simulator.config.pubnub_long_poll_timeout = 3600
    info = await subscribe(simulator, http, token, [EXT_PRESENCE])
    mode = info["deliveryMode"]
    poller = Poller(simulator, http, mode["subscriberKey"], mode["address"])
    await poller.poll()
    pending = asyncio.ensure_future(poller.poll())
    await wait_for(lambda: simulator.state.pubnub.hub.waiting == 1)
    await simulator.stop()
    assert await asyncio.wait_for(pending, 5) == []
