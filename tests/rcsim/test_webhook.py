"""WebHook delivery: validation handshake, deliveries with the verification token, blacklisting, limits.

Receivers are real aiohttp servers on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from openapi_schema_validator import OAS30Validator, oas30_format_checker

from rcsim import SimConfig, Simulator
from tests.reference import openapi_spec
from tests.waiting import wait_for

from .delivery_support import EXT_PRESENCE, login, presence_event, rest

BASE = "/restapi/v1.0/subscription"
SCHEMA = openapi_spec()["components"]["schemas"]["SubscriptionInfo"]


@dataclass
class Receiver:
    """A WebHook endpoint whose answers tests script."""

    validation: str = "echo"  # echo | no-echo | error | hang
    statuses: list[int] = field(default_factory=list)  # answers to deliveries, then 200
    hang_deliveries: bool = False
    validations: list[str] = field(default_factory=list)
    deliveries: list[tuple[dict[str, str], Any]] = field(default_factory=list)
    attempts: int = 0
    release: asyncio.Event = field(default_factory=asyncio.Event)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        token = request.headers.get("Validation-Token")
        if token is not None and not request.can_read_body:
            self.validations.append(token)
            if self.validation == "hang":
                await self.release.wait()
            if self.validation == "error":
                return web.Response(status=500)
            headers = {"Validation-Token": token} if self.validation == "echo" else {}
            return web.Response(status=200, headers=headers)
        self.attempts += 1
        body = await request.json()
        if self.hang_deliveries:
            await self.release.wait()
            return web.Response(status=200)
        status = self.statuses.pop(0) if self.statuses else 200
        if status < 300:
            self.deliveries.append((dict(request.headers), body))
        return web.Response(status=status)


@pytest.fixture
def sim_config() -> SimConfig:
    return SimConfig(webhook_validation_timeout=0.3, webhook_blacklist_after_failures=3)


@pytest.fixture
async def receiver(simulator: Simulator) -> AsyncIterator[Receiver]:
    hook = Receiver()
    app = web.Application()
    app.router.add_post("/hook", hook.handle)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    hook.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    yield hook
    hook.release.set()
    await runner.cleanup()


@pytest.fixture
async def token(simulator: Simulator, http: aiohttp.ClientSession) -> str:
    return await login(simulator, http)


async def create(
    sim: Simulator, http: aiohttp.ClientSession, token: str, address: str, **extra: Any
) -> tuple[int, Any]:
    mode = {"transportType": "WebHook", "address": address, "verificationToken": "hook-secret"}
    mode.update(extra.pop("mode", {}))
    body = {"eventFilters": [EXT_PRESENCE], "deliveryMode": mode, **extra}
    return await rest(sim, http, token, "POST", BASE, body=body)


def publish(sim: Simulator, sequence: int) -> None:
    sim.state.bus.publish(presence_event(next(iter(sim.state.account.extensions)), sequence=sequence))


async def test_create_validates_and_delivers(
    simulator: Simulator, http: aiohttp.ClientSession, token: str, receiver: Receiver
) -> None:
    status, info = await create(simulator, http, token, receiver.url)
    assert status == 200, info
    OAS30Validator(SCHEMA, format_checker=oas30_format_checker).validate(info)
    assert len(receiver.validations) == 1
    assert info["deliveryMode"] == {"transportType": "WebHook", "address": receiver.url, "encryption": False}
    assert "hook-secret" not in json.dumps(info)
    assert info["expiresIn"] == simulator.config.webhook_default_expires_in
    for sequence in (1, 2, 3):
        publish(simulator, sequence)
    await wait_for(lambda: len(receiver.deliveries) == 3)
    assert [body["body"]["sequence"] for _, body in receiver.deliveries] == [1, 2, 3]
    headers, body = receiver.deliveries[0]
    assert headers["Verification-Token"] == "hook-secret"
    assert "Validation-Token" not in headers
    assert body["subscriptionId"] == info["id"]


async def test_verification_header_name_is_configurable(
    simulator: Simulator, http: aiohttp.ClientSession, token: str, receiver: Receiver
) -> None:
    simulator.config.webhook_verification_header = "Validation-Token"
    status, _info = await create(simulator, http, token, receiver.url)
    assert status == 200
    publish(simulator, 1)
    await wait_for(lambda: len(receiver.deliveries) == 1)
    assert receiver.deliveries[0][0]["Validation-Token"] == "hook-secret"


@pytest.mark.parametrize(("requested", "expected"), [(3600, 3600), (10**12, 315360000)])
async def test_expires_in(
    simulator: Simulator,
    http: aiohttp.ClientSession,
    token: str,
    receiver: Receiver,
    *,
    requested: int,
    expected: int,
) -> None:
    status, info = await create(simulator, http, token, receiver.url, expiresIn=requested)
    assert status == 200
    assert info["expiresIn"] == expected


@pytest.mark.parametrize("behaviour", ["no-echo", "error", "hang"])
async def test_failed_validation(
    simulator: Simulator, http: aiohttp.ClientSession, token: str, receiver: Receiver, behaviour: str
) -> None:
    receiver.validation = behaviour
    status, body = await create(simulator, http, token, receiver.url)
    assert status == 400
    assert body["errorCode"] == "SUB-525"
    assert receiver.validations
    assert simulator.state.subscriptions.describe() == []


async def test_unreachable_address(simulator: Simulator, http: aiohttp.ClientSession, token: str) -> None:
    status, body = await create(simulator, http, token, "http://127.0.0.1:9/hook")
    assert status == 400
    assert body["errorCode"] == "SUB-525"


@pytest.mark.parametrize(
    "address",
    [None, "", "not a url", "ftp://127.0.0.1/hook", "https://example.com/hook", "http://10.0.0.1/x"],
)
async def test_bad_addresses(
    simulator: Simulator, http: aiohttp.ClientSession, token: str, address: str | None
) -> None:
    status, body = await create(simulator, http, token, address)  # type: ignore[arg-type]
    assert status == 400
    assert body["errorCode"] == "CMN-101"


async def test_bad_verification_token(
    simulator: Simulator, http: aiohttp.ClientSession, token: str, receiver: Receiver
) -> None:
    status, body = await create(simulator, http, token, receiver.url, mode={"verificationToken": "x" * 65})
    assert status == 400
    assert body["errorCode"] == "CMN-101"
    assert "x" * 65 not in body["message"]


async def test_address_cannot_change(
    simulator: Simulator, http: aiohttp.ClientSession, token: str, receiver: Receiver
) -> None:
    _, info = await create(simulator, http, token, receiver.url)
    status, body = await rest(
        simulator,
        http,
        token,
        "PUT",
        f"{BASE}/{info['id']}",
        body={"deliveryMode": {"transportType": "WebHook", "address": "http://127.0.0.1:1/other"}},
    )
    assert status == 400
    assert body["errorCode"] == "CMN-101"


@pytest.mark.parametrize("failure", ["status", "timeout", "connection"])
async def test_blacklisted_after_consecutive_failures(
    simulator: Simulator, http: aiohttp.ClientSession, token: str, receiver: Receiver, failure: str
) -> None:
    _, info = await create(simulator, http, token, receiver.url)
    if failure == "status":
        receiver.statuses = [500, 503, 404]
    elif failure == "timeout":
        receiver.hang_deliveries = True
    else:
        # The receiver goes away after validation: nothing listens on port 9.
        simulator.state.subscriptions.subscriptions[info["id"]].address = "http://127.0.0.1:9/hook"
    for sequence in (1, 2, 3, 4):
        publish(simulator, sequence)
    subscription = simulator.state.subscriptions.subscriptions[info["id"]]
    await wait_for(lambda: subscription.status == "Blacklisted")
    status, body = await rest(simulator, http, token, "GET", f"{BASE}/{info['id']}")
    assert status == 200
    OAS30Validator(SCHEMA, format_checker=oas30_format_checker).validate(body)
    assert body["status"] == "Blacklisted"
    assert "3 consecutive" in body["blacklistedData"]["reason"]
    assert body["blacklistedData"]["blacklistedAt"].endswith("Z")
    if failure != "connection":
        assert receiver.attempts == 3
    # Notifications 1-4 were queued before the blacklisting; nothing is sent from now on.
    publish(simulator, 5)
    assert len([e for e in simulator.state.log if e["kind"] == "notification"]) == 4
    assert receiver.deliveries == []


async def test_success_resets_the_failure_count(
    simulator: Simulator, http: aiohttp.ClientSession, token: str, receiver: Receiver
) -> None:
    _, info = await create(simulator, http, token, receiver.url)
    receiver.statuses = [500, 500, 200, 500, 500]
    for sequence in range(1, 7):
        publish(simulator, sequence)
    await wait_for(lambda: receiver.attempts == 6)
    await wait_for(lambda: len(receiver.deliveries) == 2)
    assert [b["body"]["sequence"] for _, b in receiver.deliveries] == [3, 6]
    status, body = await rest(simulator, http, token, "GET", f"{BASE}/{info['id']}")
    assert status == 200
    assert body["status"] == "Active"
    assert "blacklistedData" not in body


async def test_delete_stops_deliveries(
    simulator: Simulator, http: aiohttp.ClientSession, token: str, receiver: Receiver
) -> None:
    _, info = await create(simulator, http, token, receiver.url)
    publish(simulator, 1)
    await wait_for(lambda: len(receiver.deliveries) == 1)
    status, _ = await rest(simulator, http, token, "DELETE", f"{BASE}/{info['id']}")
    assert status == 204
    publish(simulator, 2)
    assert len([e for e in simulator.state.log if e["kind"] == "notification"]) == 1
    assert [b["body"]["sequence"] for _, b in receiver.deliveries] == [1]
