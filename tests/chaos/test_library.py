"""Library-level chaos: the hub's data path (transport → parse → engine, REST resync) under faults.

Seeds rotate through the WebSocket, PubNub and WebHook transports (`seed % 3`).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from custom_components.ringcentral.aioringcentral.webhook import WebhookTransport
from rcsim import SimConfig, Simulator

from .conftest import LIBRARY_CI_SEEDS, replay_hint, seeds
from .message_feed import LibraryMessages
from .message_oracle import MessageLog
from .message_plan import with_messages
from .message_runner import MessageDriver
from .oracle import SimLog
from .pipeline import LibraryHub
from .plan import TRANSPORTS, make_plan
from .runner import CATCH_UP_TIMEOUT, HTTP_TRANSPORT_TIME_SCALE, TIME_SCALE, wait_until


class WebhookEndpoint:
    """Home Assistant's webhook view, reduced to what the transport needs: a loopback POST route."""

    def __init__(self) -> None:
        self.transport: WebhookTransport | None = None
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        if self.transport is None:
            return web.Response(status=404)
        status, headers = await self.transport.handle_delivery(request.headers, body)
        return web.Response(status=status, headers=headers)


@contextlib.asynccontextmanager
async def webhook_endpoint() -> AsyncIterator[WebhookEndpoint]:
    endpoint = WebhookEndpoint()
    app = web.Application()
    app.router.add_post("/api/webhook/ringcentral", endpoint.handle)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    endpoint.url = f"http://127.0.0.1:{runner.addresses[0][1]}/api/webhook/ringcentral"
    try:
        yield endpoint
    finally:
        await runner.cleanup()


@pytest.mark.parametrize("seed", seeds(LIBRARY_CI_SEEDS))
async def test_library_chaos(seed: int, socket_enabled: None) -> None:
    """A seeded run converges on the ground truth with a valid, exactly-once event history."""
    plan = with_messages(make_plan(seed, transports=TRANSPORTS))
    scale = TIME_SCALE if plan.transport == "websocket" else HTTP_TRANSPORT_TIME_SCALE
    config = SimConfig(
        time_scale=scale,
        seed=seed,
        # In real time: a 0.5 s PubNub long-poll, a 1 s WebHook validation timeout.
        pubnub_long_poll_timeout=scale / 2,
        webhook_validation_timeout=scale,
    )
    sim = Simulator(config, extensions=plan.extensions)
    log = SimLog()
    # The endpoint closes last: the simulator may post WebHook deliveries until it stops.
    async with webhook_endpoint() as endpoint, sim, aiohttp.ClientSession() as session:
        # The queue scenario's Department exists from the start, so the account does not change mid-run.
        sim.state.account.add_extension("Support Queue", ext_type="Department")
        users = [e.id for e in sim.state.account.extensions.values() if e.type == "User"]
        log.attach(sim, users)
        messages_log = MessageLog()
        messages_log.attach(sim, users)
        clock = sim.state.clock
        feed = LibraryMessages(users, messages_log, now=clock.now, sleep=clock.sleep)
        hub = LibraryHub(
            sim,
            session,
            users,
            monitor=plan.monitor,
            log=log,
            seed=seed,
            transport=plan.transport,
            webhook_address=endpoint.url,
            feed=feed,
        )
        feed.client = hub.client
        if isinstance(hub.transport, WebhookTransport):
            endpoint.transport = hub.transport
        driver = MessageDriver(
            plan, sim, session, log, messages_log=messages_log, messages=feed, level="library"
        )
        problems: list[str] = []
        await hub.start()
        try:
            await wait_until(lambda: hub.settled and hub.resyncs == 1, CATCH_UP_TIMEOUT, "connected")
            await driver.warm_up(hub)
            since = log.count
            await driver.execute(hub)
            problems += await driver.quiesce(hub)
            problems += driver.check(hub, users, since=since)
            problems += driver.check_messages()
        except TimeoutError as err:
            problems.append(str(err))
        finally:
            await hub.stop()
            await sim.state.calls.close()
        if problems:
            pytest.fail(
                "\n".join([replay_hint("test_library.py", seed), plan.describe(), *problems[:30]]),
                pytrace=False,
            )
