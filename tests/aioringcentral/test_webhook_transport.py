"""WebhookTransport against the simulator: RingCentral's POSTs reach a real aiohttp server on
127.0.0.1 whose only route forwards to `handle_delivery`, as Home Assistant's webhook view will."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from custom_components.ringcentral.aioringcentral import filters
from custom_components.ringcentral.aioringcentral.errors import TransportUnavailableError
from custom_components.ringcentral.aioringcentral.rest import RingCentralClient
from custom_components.ringcentral.aioringcentral.transport import Continuity
from custom_components.ringcentral.aioringcentral.webhook import WebhookTransport
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


class Endpoint:
    """The test's stand-in for Home Assistant's webhook view."""

    def __init__(self) -> None:
        self.transport: WebhookTransport | None = None
        self.fail_deliveries = False
        self.answers: list[int] = []
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        if self.fail_deliveries and body:
            return web.Response(status=503)
        assert self.transport is not None
        status, headers = await self.transport.handle_delivery(request.headers, body)
        self.answers.append(status)
        return web.Response(status=status, headers=headers)


@pytest.fixture
async def wh_sim(make_sim: SimFactory) -> Simulator:
    # 60x; the validation timeout is one real second.
    return await make_sim(SimConfig(time_scale=60.0, webhook_validation_timeout=60.0), extensions=3)


@pytest.fixture
async def endpoint(socket_enabled: None) -> AsyncIterator[Endpoint]:
    hook = Endpoint()
    app = web.Application()
    app.router.add_post("/api/webhook/ringcentral", hook.handle)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    hook.url = f"http://127.0.0.1:{runner.addresses[0][1]}/api/webhook/ringcentral"
    yield hook
    await runner.cleanup()


type WebhookRunner = Callable[..., tuple[WebhookTransport, asyncio.Task[None]]]


@pytest.fixture
async def run_webhook(endpoint: Endpoint) -> AsyncIterator[WebhookRunner]:
    running: list[tuple[WebhookTransport, asyncio.Task[None]]] = []

    def start(
        client: RingCentralClient, wanted: list[str], listener: Recorder, **kwargs: Any
    ) -> tuple[WebhookTransport, asyncio.Task[None]]:
        options: dict[str, Any] = {
            "address": endpoint.url,
            "check_interval": 5.0,
            "retry_initial": 0.5,
            "retry_max": 2.0,
            "rng": random.Random(5),
        }
        options.update(kwargs)
        transport = WebhookTransport(client, wanted, listener, **options)
        endpoint.transport = transport
        task = asyncio.create_task(transport.run())
        running.append((transport, task))
        return transport, task

    yield start
    await stop_transports(running)


async def test_handshake_then_deliveries(
    wh_sim: Simulator, make_client: ClientFactory, run_webhook: WebhookRunner, endpoint: Endpoint
) -> None:
    ext_id = next(iter(wh_sim.state.account.extensions))
    recorder = Recorder()
    transport, _ = run_webhook(make_client(wh_sim), PRESENCE, recorder)
    await ready(transport, recorder)
    assert endpoint.answers == [200]  # RingCentral's validation request, echoed

    publish_presence(wh_sim, ext_id, range(3))
    tsid = wh_sim.state.calls.start("inbound_answered", ext_id, step=True)
    wh_sim.state.calls.step(tsid)
    await wait_for(lambda: len(recorder.notifications) >= 4)

    sub = transport.subscription
    assert sub is not None
    assert sub.transport_type == "WebHook"
    assert recorder.events[:2] == ["subscription", "connected:new"]
    assert recorder.sequences()[:3] == [0, 1, 2]
    assert {n["subscriptionId"] for n in recorder.notifications} == {sub.id}
    assert transport.rejected == 0
    assert transport.verification_token not in json.dumps(transport.diagnostics())


async def test_forged_deliveries_are_refused(
    wh_sim: Simulator,
    make_client: ClientFactory,
    run_webhook: WebhookRunner,
    endpoint: Endpoint,
    session: aiohttp.ClientSession,
) -> None:
    recorder = Recorder()
    transport, _ = run_webhook(make_client(wh_sim), PRESENCE, recorder, verification_token="s3cret-token")
    await ready(transport, recorder)
    sub = transport.subscription
    assert sub is not None
    note = {"uuid": "u-1", "event": sub.event_filters[0], "subscriptionId": sub.id, "body": {"sequence": 1}}

    async def post(headers: dict[str, str], body: bytes) -> int:
        async with session.post(endpoint.url, headers=headers, data=body) as response:
            return response.status

    payload = json.dumps(note).encode()
    assert await post({"Content-Type": "application/json"}, payload) == 401
    assert await post({"Verification-Token": "s3cret-tokeN"}, payload) == 401
    assert await post({"Verification-Token": ""}, payload) == 401
    assert recorder.notifications == []
    assert transport.rejected == 3
    # Both documented header names carry the token (any case).
    assert await post({"validation-token": "s3cret-token"}, payload) == 200
    assert await post({"Verification-Token": "s3cret-token"}, payload) == 200  # a duplicate
    assert [n["uuid"] for n in recorder.notifications] == ["u-1"]
    assert transport.stats.duplicates_dropped == 1
    assert await post({"Verification-Token": "s3cret-token"}, b"{not json") == 400
    assert await post({"Verification-Token": "s3cret-token"}, b"[1, 2]") == 400
    assert transport.stats.malformed_frames == 2


async def test_handshake_answers() -> None:
    transport = WebhookTransport(
        _offline_client(),
        PRESENCE,
        Recorder(),
        address="https://example.invalid/hook",
        verification_token="t",
    )
    assert await transport.handle_delivery({"Validation-Token": "abc-123"}, b"") == (
        200,
        {"Validation-Token": "abc-123"},
    )
    assert await transport.handle_delivery({"VALIDATION-TOKEN": "x"}, b"  ") == (
        200,
        {"Validation-Token": "x"},
    )
    # Nothing to echo, or nothing safe to echo (header injection, oversize): refused.
    assert (await transport.handle_delivery({}, b""))[0] == 400
    assert (await transport.handle_delivery({"Validation-Token": "a b"}, b""))[0] == 400
    assert (await transport.handle_delivery({"Validation-Token": "a" * 300}, b""))[0] == 400
    # JSON nested beyond the recursion limit is a bad body, not an exception (regression).
    assert (await transport.handle_delivery({"Verification-Token": "t"}, b"[" * 100_000))[0] == 400
    # A delivery before run(): accepted but not delivered anywhere.
    assert (await transport.handle_delivery({"Verification-Token": "t"}, b'{"uuid": "u"}'))[0] == 200
    assert transport.stats.notifications == 0


def _offline_client() -> RingCentralClient:
    return RingCentralClient(
        aiohttp.ClientSession.__new__(aiohttp.ClientSession),  # never used: no request is made
        server="https://platform.invalid",
        client_id="id",
        client_secret="secret",
        jwt="jwt",
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"address": "ftp://x"}, "address"),
        ({"verification_token": ""}, "verification_token"),
        ({"verification_token": "x" * 65}, "verification_token"),
        ({"verification_token": "has space"}, "verification_token"),
        ({"expires_in": 0}, "expires_in"),
        ({"renew_margin": 0}, "renew_margin"),
        ({"check_interval": -1}, "check_interval"),
    ],
)
def test_bad_arguments_are_refused(kwargs: dict[str, Any], message: str) -> None:
    options: dict[str, Any] = {"address": "https://example.invalid/hook", **kwargs}
    with pytest.raises(ValueError, match=message):
        WebhookTransport(_offline_client(), PRESENCE, Recorder(), **options)


def test_random_token_by_default() -> None:
    first = WebhookTransport(_offline_client(), PRESENCE, Recorder(), address="https://a.invalid/")
    second = WebhookTransport(_offline_client(), PRESENCE, Recorder(), address="https://a.invalid/")
    assert first.verification_token != second.verification_token
    assert 32 <= len(first.verification_token) <= 64
    assert first.verification_token not in repr(first)


async def test_blacklisting_recreates_and_asks_for_resync(
    wh_sim: Simulator, make_client: ClientFactory, run_webhook: WebhookRunner, endpoint: Endpoint
) -> None:
    ext_id = next(iter(wh_sim.state.account.extensions))
    recorder = Recorder()
    transport, _ = run_webhook(make_client(wh_sim), PRESENCE, recorder)
    await ready(transport, recorder)
    first = transport.subscription
    assert first is not None

    endpoint.fail_deliveries = True  # e.g. Home Assistant was restarting
    publish_presence(wh_sim, ext_id, range(wh_sim.config.webhook_blacklist_after_failures))
    await wait_for(lambda: len(recorder.connected) == 2)
    endpoint.fail_deliveries = False
    publish_presence(wh_sim, ext_id, [100])
    await wait_for(lambda: len(recorder.notifications) == 1)

    assert recorder.connected == [NEW, LOST]
    assert recorder.disconnected == ["subscription Blacklisted"]
    second = transport.subscription
    assert second is not None
    assert second.id != first.id
    assert recorder.notifications[0]["subscriptionId"] == second.id
    assert recorder.sequences() == [100]
    assert [s["id"] for s in server_subscriptions(wh_sim)] == [second.id]  # the blacklisted one was deleted


async def test_expiry_recreates(
    wh_sim: Simulator, make_client: ClientFactory, run_webhook: WebhookRunner
) -> None:
    recorder = Recorder()
    transport, _ = run_webhook(make_client(wh_sim), PRESENCE, recorder, expires_in=3600, renew_margin=600)
    await ready(transport, recorder)
    first = transport.subscription
    assert first is not None

    wh_sim.state.clock.advance(3700)  # slept through the renewal and the expiry
    await ready(transport, recorder, count=2)

    assert recorder.connected == [NEW, LOST]
    assert transport.subscription is not None
    assert transport.subscription.id != first.id
    assert [s["id"] for s in server_subscriptions(wh_sim)] == [transport.subscription.id]


async def test_renews_long_before_expiry(
    wh_sim: Simulator, make_client: ClientFactory, run_webhook: WebhookRunner
) -> None:
    recorder = Recorder()
    transport, _ = run_webhook(make_client(wh_sim), PRESENCE, recorder, expires_in=3600, renew_margin=600)
    await ready(transport, recorder)
    first = transport.subscription
    expires_at = transport.expires_at
    assert (
        3500 < server_subscriptions(wh_sim)[0]["expiresIn"] <= 3600
    )  # the lifetime asked for, not the default

    wh_sim.state.clock.advance(3100)  # within the margin, before the end
    await wait_for(lambda: transport.expires_at > expires_at + 3000)

    assert transport.subscription is not None
    assert first is not None
    assert transport.subscription.id == first.id
    assert recorder.connected == [NEW]
    assert transport.stats.subscriptions_created == 1


async def test_missing_permission_raises_transport_unavailable(
    wh_sim: Simulator, make_client: ClientFactory, run_webhook: WebhookRunner
) -> None:
    wh_sim.state.app.permissions.discard("SubscriptionWebhook")
    _, task = run_webhook(make_client(wh_sim), PRESENCE, Recorder())

    with pytest.raises(TransportUnavailableError) as caught:
        await asyncio.wait_for(task, 10)

    assert caught.value.transport == "WebHook"
    assert caught.value.status == 403


async def test_unreachable_address_raises_transport_unavailable(
    wh_sim: Simulator, make_client: ClientFactory, run_webhook: WebhookRunner, unused_tcp_port: int
) -> None:
    address = f"http://127.0.0.1:{unused_tcp_port}/api/webhook/x"
    _, task = run_webhook(make_client(wh_sim), PRESENCE, Recorder(), address=address)

    with pytest.raises(TransportUnavailableError) as caught:
        await asyncio.wait_for(task, 10)

    assert caught.value.error_code == "SUB-525"
    assert server_subscriptions(wh_sim) == []


async def test_stop_deletes_the_subscription(
    wh_sim: Simulator, make_client: ClientFactory, run_webhook: WebhookRunner
) -> None:
    recorder = Recorder()
    transport, task = run_webhook(make_client(wh_sim), PRESENCE, recorder)
    await ready(transport, recorder)

    await transport.stop()

    assert task.done()
    assert task.exception() is None
    assert server_subscriptions(wh_sim) == []
    assert not transport.connected
