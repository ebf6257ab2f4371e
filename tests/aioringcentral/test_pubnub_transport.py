"""PubNubTransport: the real `pubnub` SDK against the simulator's PubNub endpoints over loopback.

Network loss is a real TCP proxy between the SDK and the simulator that the test cuts and restores.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from custom_components.ringcentral.aioringcentral import filters
from custom_components.ringcentral.aioringcentral.errors import TransportUnavailableError
from custom_components.ringcentral.aioringcentral.pubnub import PubNubTransport
from custom_components.ringcentral.aioringcentral.rest import RingCentralClient
from custom_components.ringcentral.aioringcentral.transport import Continuity
from rcsim import SimConfig, Simulator
from tests.waiting import wait_for

from .conftest import (
    ClientFactory,
    Recorder,
    SimFactory,
    publish_presence,
    ready,
    server_subscriptions,
    stop_transports,
)

NEW, LOST = Continuity.NEW, Continuity.LOST
PRESENCE = [filters.extension_presence()]

type PubNubRunner = Callable[..., tuple[PubNubTransport, asyncio.Task[None]]]


@pytest.fixture
async def pn_sim(make_sim: SimFactory) -> Simulator:
    # Short long-polls keep shutdown quick; 60x makes the 900 s lifetime 15 real seconds.
    return await make_sim(SimConfig(time_scale=60.0, pubnub_long_poll_timeout=30.0), extensions=3)


def origin_of(sim: Simulator) -> str:
    return sim.url.removeprefix("http://")


@pytest.fixture
async def run_pubnub() -> AsyncIterator[PubNubRunner]:
    """Start `PubNubTransport.run()` in a task; every transport is stopped at teardown."""
    running: list[tuple[PubNubTransport, asyncio.Task[None]]] = []

    def start(
        client: RingCentralClient, wanted: list[str], listener: Recorder, origin: str, **kwargs: Any
    ) -> tuple[PubNubTransport, asyncio.Task[None]]:
        options: dict[str, Any] = {
            "origin": origin,
            "ssl": False,
            "check_interval": 5.0,
            "retry_initial": 0.5,
            "retry_max": 2.0,
            "reconnect_interval": 0.05,
            "reconnect_max": 0.2,
            "first_connect_timeout": 10.0,
            "rng": random.Random(3),
        }
        options.update(kwargs)
        transport = PubNubTransport(client, wanted, listener, **options)
        task = asyncio.create_task(transport.run())
        running.append((transport, task))
        return transport, task

    yield start
    await stop_transports(running)


async def test_receives_scenario_notifications(
    pn_sim: Simulator, make_client: ClientFactory, run_pubnub: PubNubRunner
) -> None:
    ext_id = next(iter(pn_sim.state.account.extensions))
    recorder = Recorder()
    wanted = [filters.extension_presence(), filters.account_telephony_sessions()]
    transport, _ = run_pubnub(make_client(pn_sim), wanted, recorder, origin_of(pn_sim))
    await ready(transport, recorder)

    tsid = pn_sim.state.calls.start("inbound_answered", ext_id, step=True)
    while pn_sim.state.calls.step(tsid):
        pass
    truth = pn_sim.state.calls.ground_truth()[ext_id]
    await wait_for(lambda: any("telephony" in n["event"] for n in recorder.notifications))
    await wait_for(
        lambda: any(
            "presence" in n["event"] and n["body"]["telephonyStatus"] == truth["telephonyStatus"]
            for n in recorder.notifications[1:]
        )
    )

    assert recorder.events[:2] == ["subscription", "connected:new"]
    sub = transport.subscription
    assert sub is not None
    assert sub.transport_type == "PubNub"
    assert sub.delivery_mode["encryption"] is True
    assert {n["subscriptionId"] for n in recorder.notifications} == {sub.id}
    assert {n["body"]["telephonySessionId"] for n in recorder.notifications if "telephony" in n["event"]} == {
        tsid
    }
    assert transport.stats.notifications == len(recorder.notifications)
    assert transport.stats.malformed_frames == 0
    assert "encryptionKey" not in str(transport.diagnostics())


async def test_stop_deletes_the_subscription_and_returns(
    pn_sim: Simulator, make_client: ClientFactory, run_pubnub: PubNubRunner
) -> None:
    recorder = Recorder()
    transport, task = run_pubnub(make_client(pn_sim), PRESENCE, recorder, origin_of(pn_sim))
    await ready(transport, recorder)
    assert len(server_subscriptions(pn_sim)) == 1

    await transport.stop()

    assert task.done()
    assert task.exception() is None
    assert server_subscriptions(pn_sim) == []
    assert not transport.connected
    assert transport.diagnostics()["sdk_running"] is False


async def test_duplicates_are_dropped(
    pn_sim: Simulator, make_client: ClientFactory, run_pubnub: PubNubRunner
) -> None:
    ext_id = next(iter(pn_sim.state.account.extensions))
    recorder = Recorder()
    transport, _ = run_pubnub(make_client(pn_sim), PRESENCE, recorder, origin_of(pn_sim))
    await ready(transport, recorder)
    pn_sim.state.faults.notifications.duplicate = 1.0

    publish_presence(pn_sim, ext_id, range(3))
    await wait_for(lambda: transport.stats.duplicates_dropped >= 3)

    assert recorder.sequences() == [0, 1, 2]


async def test_expiry_without_renewal_recreates_and_asks_for_resync(
    pn_sim: Simulator, make_client: ClientFactory, run_pubnub: PubNubRunner
) -> None:
    ext_id = next(iter(pn_sim.state.account.extensions))
    recorder = Recorder()
    transport, _ = run_pubnub(make_client(pn_sim), PRESENCE, recorder, origin_of(pn_sim))
    await ready(transport, recorder)
    first = transport.subscription
    assert first is not None

    # The machine slept through the whole lifetime: nothing was renewed in time.
    pn_sim.state.clock.advance(pn_sim.config.pubnub_expires_in + 60)
    await ready(transport, recorder, count=2)
    publish_presence(pn_sim, ext_id, [7])
    await wait_for(lambda: len(recorder.notifications) == 1)

    assert recorder.connected == [NEW, LOST]
    assert recorder.events[-4:] == ["disconnected", "subscription", "connected:lost", "notification"]
    second = transport.subscription
    assert second is not None
    assert second.id != first.id
    assert second.delivery_mode["address"] != first.delivery_mode["address"]
    assert recorder.notifications[0]["subscriptionId"] == second.id
    assert [s["id"] for s in server_subscriptions(pn_sim)] == [second.id]


async def test_server_side_expiry_is_found_by_the_status_check(
    pn_sim: Simulator, make_client: ClientFactory, run_pubnub: PubNubRunner
) -> None:
    recorder = Recorder()
    transport, _ = run_pubnub(make_client(pn_sim), PRESENCE, recorder, origin_of(pn_sim))
    await ready(transport, recorder)
    first = transport.subscription
    assert first is not None

    pn_sim.state.subscriptions.expire(first.id)  # the next GET answers 404 SUB-507
    await ready(transport, recorder, count=2)

    assert recorder.connected == [NEW, LOST]
    assert recorder.disconnected == ["subscription expired or deleted"]
    assert transport.subscription is not None
    assert transport.subscription.id != first.id
    assert transport.stats.subscriptions_created == 2


async def test_renewal_follows_a_rotated_channel_and_key(
    pn_sim: Simulator, make_client: ClientFactory, run_pubnub: PubNubRunner
) -> None:
    ext_id = next(iter(pn_sim.state.account.extensions))
    pn_sim.config.pubnub_rotate_on_renew = True
    recorder = Recorder()
    transport, _ = run_pubnub(make_client(pn_sim), PRESENCE, recorder, origin_of(pn_sim))
    await ready(transport, recorder)
    first = transport.subscription
    assert first is not None
    publish_presence(pn_sim, ext_id, [1])
    await wait_for(lambda: len(recorder.notifications) == 1)

    expires_at = transport.expires_at
    pn_sim.state.clock.advance(pn_sim.config.pubnub_expires_in - 100)  # inside the renew margin
    await wait_for(lambda: transport.expires_at > expires_at)
    publish_presence(pn_sim, ext_id, [2])
    await wait_for(lambda: len(recorder.notifications) == 2)

    renewed = transport.subscription
    assert renewed is not None
    assert renewed.id == first.id
    assert renewed.delivery_mode["address"] != first.delivery_mode["address"]
    assert renewed.delivery_mode["encryptionKey"] != first.delivery_mode["encryptionKey"]
    assert recorder.sequences() == [1, 2]
    assert recorder.connected == [NEW]  # nothing was missed: no resync
    assert transport.stats.subscriptions_created == 1
    assert transport.stats.malformed_frames == 0


async def test_missing_permission_raises_transport_unavailable(
    pn_sim: Simulator, make_client: ClientFactory, run_pubnub: PubNubRunner
) -> None:
    pn_sim.state.app.permissions.discard("SubscriptionPubNub")
    recorder = Recorder()
    _, task = run_pubnub(make_client(pn_sim), PRESENCE, recorder, origin_of(pn_sim))

    with pytest.raises(TransportUnavailableError) as caught:
        await asyncio.wait_for(task, 10)

    assert caught.value.transport == "PubNub"
    assert "SubscriptionPubNub" in caught.value.message
    assert recorder.events == []
    assert server_subscriptions(pn_sim) == []


async def test_every_filter_disabled_raises_transport_unavailable(
    pn_sim: Simulator, make_client: ClientFactory, run_pubnub: PubNubRunner
) -> None:
    user = list(pn_sim.state.account.extensions)[1]  # not an admin: no account-wide telephony
    recorder = Recorder()
    client = make_client(pn_sim, extension_id=user)
    _, task = run_pubnub(client, [filters.account_telephony_sessions()], recorder, origin_of(pn_sim))

    with pytest.raises(TransportUnavailableError, match="disabled every event filter"):
        await asyncio.wait_for(task, 10)

    assert server_subscriptions(pn_sim) == []  # the useless subscription was deleted again


async def test_unreachable_pubnub_network_raises_transport_unavailable(
    pn_sim: Simulator, make_client: ClientFactory, run_pubnub: PubNubRunner, unused_tcp_port: int
) -> None:
    recorder = Recorder()
    _, task = run_pubnub(
        make_client(pn_sim), PRESENCE, recorder, f"127.0.0.1:{unused_tcp_port}", first_connect_timeout=0.5
    )

    with pytest.raises(TransportUnavailableError, match="could not be reached"):
        await asyncio.wait_for(task, 10)

    assert recorder.connected == []
    assert server_subscriptions(pn_sim) == []


class Proxy:
    """A loopback TCP proxy whose wire the test can cut (open connections die, new ones are refused)."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.cut = False
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.cut:
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self._writers.update((writer, up_writer))
        loop = asyncio.get_running_loop()
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            task = loop.create_task(self._pipe(source, sink))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
        sink.close()

    def sever(self) -> None:
        self.cut = True
        for writer in self._writers:
            writer.transport.abort()
        self._writers.clear()

    async def close(self) -> None:
        self.sever()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


@pytest.fixture
async def proxy(pn_sim: Simulator) -> AsyncIterator[Proxy]:
    wire = Proxy(int(pn_sim.url.rsplit(":", 1)[1]))
    await wire.start()
    yield wire
    await wire.close()


async def test_network_loss_reconnects_and_asks_for_resync(
    pn_sim: Simulator, make_client: ClientFactory, run_pubnub: PubNubRunner, proxy: Proxy
) -> None:
    ext_id = next(iter(pn_sim.state.account.extensions))
    recorder = Recorder()
    # REST goes straight to the simulator; only the PubNub traffic crosses the proxy.
    transport, _ = run_pubnub(make_client(pn_sim), PRESENCE, recorder, f"127.0.0.1:{proxy.port}")
    await ready(transport, recorder)
    first = transport.subscription

    proxy.sever()
    await wait_for(lambda: recorder.disconnected != [])
    assert not transport.connected
    proxy.cut = False  # the network is back; the SDK's next retry gets through
    await ready(transport, recorder, count=2)
    publish_presence(pn_sim, ext_id, [9])
    await wait_for(lambda: len(recorder.notifications) == 1)

    assert recorder.connected == [NEW, LOST]
    assert recorder.disconnected[0].startswith("PubNub: ")
    assert transport.subscription == first  # the subscription itself survived
    assert transport.stats.reconnects == 1
    assert recorder.sequences() == [9]
