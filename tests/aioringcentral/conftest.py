"""Fixtures for aioringcentral tests: a simulator on loopback, an aiohttp session, a client factory.

The client reads and waits on the simulator's clock (`clock=sim.state.clock.now`,
`sleep=sim.state.clock.sleep`), so a high `time_scale` shortens RingCentral's long windows
(rate-limit penalties, token lifetimes) without the client knowing it is being tested.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from datetime import datetime
from typing import Any, Protocol

import aiohttp
import pytest

from custom_components.ringcentral.aioringcentral.models import SubscriptionInfo
from custom_components.ringcentral.aioringcentral.rest import RingCentralClient
from custom_components.ringcentral.aioringcentral.transport import Continuity
from custom_components.ringcentral.aioringcentral.websocket import WebSocketTransport
from rcsim import SimConfig, Simulator
from rcsim.events import SimEvent
from tests.waiting import wait_for


class SimFactory(Protocol):
    async def __call__(self, config: SimConfig | None = None, *, extensions: int = 3) -> Simulator: ...


class ClientFactory(Protocol):
    def __call__(self, sim: Simulator, **overrides: Any) -> RingCentralClient: ...


def sim_time(entry: dict[str, Any]) -> float:
    """Epoch seconds of a simulator log entry (ISO 8601 with milliseconds)."""
    return datetime.fromisoformat(str(entry["time"]).replace("Z", "+00:00")).timestamp()


@pytest.fixture
async def session(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as http:
        yield http


@pytest.fixture
async def make_sim(socket_enabled: None) -> AsyncIterator[SimFactory]:
    """Start simulators (`await make_sim(SimConfig(...), extensions=3)`); all stop at teardown."""
    started: list[Simulator] = []

    async def factory(config: SimConfig | None = None, *, extensions: int = 3) -> Simulator:
        sim = Simulator(config or SimConfig(), extensions=extensions)
        await sim.start()
        started.append(sim)
        return sim

    yield factory
    for sim in reversed(started):
        await sim.stop()


@pytest.fixture
async def sim(make_sim: SimFactory) -> Simulator:
    """A simulator at 60x speed with three extensions (the first one an admin)."""
    return await make_sim(SimConfig(time_scale=60.0))


@pytest.fixture
def make_client(session: aiohttp.ClientSession) -> ClientFactory:
    """A client logged in as the simulator's admin (or `jwt=`/`extension_id=` overrides)."""

    def factory(sim: Simulator, **overrides: Any) -> RingCentralClient:
        creds = sim.credentials(overrides.pop("extension_id", None))
        kwargs: dict[str, Any] = {
            "server": creds["server"],
            "client_id": creds["client_id"],
            "client_secret": creds["client_secret"],
            "jwt": creds["jwt"],
            "clock": sim.state.clock.now,
            "sleep": sim.state.clock.sleep,
            "request_timeout": 5.0,
        }
        kwargs.update(overrides)
        return RingCentralClient(session, **kwargs)

    return factory


@pytest.fixture
def control(session: aiohttp.ClientSession) -> Callable[[Simulator, str, dict[str, Any]], Awaitable[Any]]:
    """POST to the simulator's control API and return its JSON answer."""

    async def post(sim: Simulator, path: str, body: dict[str, Any]) -> Any:
        async with session.post(f"{sim.url}/sim/{path}", json=body) as resp:
            payload = await resp.json()
            assert resp.status == 200, payload
            return payload

    return post


def requests_in_log(sim: Simulator, *, path_contains: str = "") -> list[dict[str, Any]]:
    """REST requests the simulator logged (optionally only those whose path contains a string)."""
    return [
        entry
        for entry in sim.state.log
        if entry["kind"] == "request" and path_contains in str(entry.get("path", ""))
    ]


class Recorder:
    """A `TransportListener` that records everything and lets tests await it."""

    def __init__(self) -> None:
        self.notifications: list[dict[str, Any]] = []
        self.connected: list[Continuity] = []
        self.disconnected: list[str] = []
        self.subscriptions: list[SubscriptionInfo] = []
        self.events: list[str] = []  # the order callbacks came in
        self.fail_notifications = 0  # raise from this many on_notification calls

    def on_notification(self, raw: dict[str, Any]) -> None:
        self.events.append("notification")
        self.notifications.append(raw)
        if self.fail_notifications > 0:
            self.fail_notifications -= 1
            raise RuntimeError("listener bug")

    def on_connected(self, continuity: Continuity) -> None:
        self.events.append(f"connected:{continuity.value}")
        self.connected.append(continuity)

    def on_disconnected(self, reason: str) -> None:
        self.events.append("disconnected")
        self.disconnected.append(reason)

    def on_subscription(self, info: SubscriptionInfo) -> None:
        self.events.append("subscription")
        self.subscriptions.append(info)

    def sequences(self) -> list[int]:
        """The `sequence` markers of received presence bodies, in arrival order."""
        return [int(n["body"]["sequence"]) for n in self.notifications]


class RunningTransport(Protocol):
    """What the helpers below need of any transport."""

    @property
    def connected(self) -> bool: ...

    async def stop(self) -> None: ...


async def ready(transport: RunningTransport, recorder: Recorder, count: int = 1) -> None:
    """Wait until the listener heard its `count`-th `on_connected` and the transport is connected."""
    await wait_for(lambda: len(recorder.connected) >= count and transport.connected)


def server_subscriptions(sim: Simulator, *, active_only: bool = False) -> list[dict[str, Any]]:
    """The subscriptions the simulator holds (optionally only `Active` ones)."""
    described = sim.state.subscriptions.describe()
    return [s for s in described if not active_only or s.get("status") == "Active"]


async def stop_transports(running: list[tuple[RunningTransport, asyncio.Task[None]]]) -> None:
    """Teardown: stop every transport and make sure its `run()` task is over."""
    for transport, task in running:
        await transport.stop()
        if not task.done():
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


class TransportRunner(Protocol):
    def __call__(
        self, client: RingCentralClient, filters: list[str], listener: Recorder, **kwargs: Any
    ) -> WebSocketTransport: ...


@pytest.fixture
async def run_transport() -> AsyncIterator[TransportRunner]:
    """Start `WebSocketTransport.run()` in a task; every transport is stopped at teardown."""
    running: list[tuple[RunningTransport, asyncio.Task[None]]] = []

    def start(
        client: RingCentralClient, filters: list[str], listener: Recorder, **kwargs: Any
    ) -> WebSocketTransport:
        options: dict[str, Any] = {
            "heartbeat_interval": 60.0,
            "backoff_initial": 0.05,
            "backoff_max": 0.5,
            "connect_timeout": 5.0,
            "request_timeout": 5.0,
            "rng": random.Random(7),
        }
        options.update(kwargs)
        transport = WebSocketTransport(client, filters, listener, **options)
        running.append((transport, asyncio.create_task(transport.run())))
        return transport

    yield start
    await stop_transports(running)


def publish_presence(sim: Simulator, extension_id: str, sequences: Iterable[int]) -> None:
    """Publish presence changes whose `sequence` marks them, as the call engine would."""
    for sequence in sequences:
        body = {"extensionId": extension_id, "telephonyStatus": "NoCall", "sequence": sequence}
        sim.state.bus.publish(SimEvent("presence", extension_id, body))
