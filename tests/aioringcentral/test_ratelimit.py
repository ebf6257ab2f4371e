"""The client-side rate limiter: pure behaviour with a fake clock, then 429 storms against the simulator."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from custom_components.ringcentral.aioringcentral.errors import RateLimitedError
from custom_components.ringcentral.aioringcentral.ratelimit import (
    AUTH,
    HEAVY,
    LIGHT,
    MEDIUM,
    RateLimiter,
    group_for,
    parse_retry_after,
)
from rcsim import SimConfig, Simulator

from .conftest import ClientFactory, SimFactory, requests_in_log, sim_time

Control = Callable[[Simulator, str, dict[str, Any]], Awaitable[Any]]


class FakeTime:
    """A clock that only moves when the limiter sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.mark.parametrize(
    ("method", "path", "group"),
    [
        ("POST", "/restapi/oauth/token", AUTH),
        ("POST", "/restapi/oauth/wstoken", AUTH),
        ("POST", "/restapi/oauth/revoke", AUTH),
        ("POST", "/restapi/v1.0/subscription", MEDIUM),
        ("GET", "/restapi/v1.0/subscription", LIGHT),
        ("GET", "/restapi/v1.0/subscription/abc", LIGHT),
        ("PUT", "/restapi/v1.0/subscription/abc", MEDIUM),
        ("DELETE", "/restapi/v1.0/subscription/abc", MEDIUM),
        ("POST", "/restapi/v1.0/subscription/abc/renew", LIGHT),
        ("GET", "/restapi/v1.0/account/~", LIGHT),
        ("GET", "/restapi/v1.0/account/~/extension", MEDIUM),
        ("GET", "/restapi/v1.0/account/~/extension?page=2", MEDIUM),
        ("GET", "/restapi/v1.0/account/~/extension/~", LIGHT),
        ("GET", "/restapi/v1.0/account/~/extension/1,2,3/presence", LIGHT),
        ("GET", "/restapi/v1.0/account/~/presence", HEAVY),
        ("GET", "/restapi/v1.0/account/~/telephony/sessions/s-1", LIGHT),
        ("GET", "/restapi/v1.0/unknown", LIGHT),
    ],
)
def test_endpoint_groups(method: str, path: str, group: str) -> None:
    assert group_for(method, path) == group


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("30", 30.0),
        (" 1.5 ", 1.5),
        ("-4", 0.0),
        ("Thu, 01 Jan 1970 00:01:40 GMT", 60.0),  # an HTTP date 60 s after "now" (40)
        ("soon", None),
        ("nan", None),
        (None, None),
    ],
)
def test_retry_after_parsing(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, 40.0) == expected


def test_unreadable_rate_limit_headers_are_ignored() -> None:
    """Regression: `inf` / `1e999` raised OverflowError out of `update`."""
    limiter = RateLimiter()
    headers = {
        "X-Rate-Limit-Limit": "inf",
        "X-Rate-Limit-Remaining": "1e999",
        "X-Rate-Limit-Window": "nan",
    }

    assert limiter.update(LIGHT, headers) == LIGHT

    state = limiter.group(LIGHT)
    assert (state.limit, state.remaining, state.window) == (None, None, None)


async def test_penalty_window_is_waited_out() -> None:
    time = FakeTime()
    limiter = RateLimiter(clock=time.clock, sleep=time.sleep)

    limiter.penalize(LIGHT, {"Retry-After": "30", "X-Rate-Limit-Group": LIGHT})
    async with limiter.slot(LIGHT):
        sent_at = time.now
    async with limiter.slot(MEDIUM):
        other_at = time.now

    assert sent_at == pytest.approx(1030.0)
    assert other_at == sent_at  # other groups are not held back
    assert limiter.group(LIGHT).throttled == 1


async def test_penalty_without_retry_after_uses_the_default() -> None:
    time = FakeTime()
    limiter = RateLimiter(clock=time.clock, sleep=time.sleep, default_penalty=60.0)

    assert limiter.penalize(HEAVY, {}) == 60.0
    assert limiter.delay(HEAVY) == pytest.approx(60.0)


async def test_spent_budget_waits_one_window_then_refills() -> None:
    time = FakeTime()
    limiter = RateLimiter(clock=time.clock, sleep=time.sleep)
    headers = {"X-Rate-Limit-Limit": "2", "X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Window": "60"}

    limiter.update(MEDIUM, headers)
    async with limiter.slot(MEDIUM):
        pass

    assert time.sleeps == [pytest.approx(60.0)]
    # The refilled budget (2) was charged for the request just sent.
    assert limiter.group(MEDIUM).remaining == 1


async def test_budget_is_charged_before_the_answer_arrives() -> None:
    time = FakeTime()
    limiter = RateLimiter(clock=time.clock, sleep=time.sleep)
    limiter.update(
        LIGHT, {"X-Rate-Limit-Limit": "5", "X-Rate-Limit-Remaining": "1", "X-Rate-Limit-Window": "60"}
    )

    async with limiter.slot(LIGHT):
        pass  # an answer without rate-limit headers
    async with limiter.slot(LIGHT):
        pass

    assert time.sleeps == [pytest.approx(60.0)]


async def test_wait_beyond_max_wait_raises_without_sleeping() -> None:
    time = FakeTime()
    limiter = RateLimiter(clock=time.clock, sleep=time.sleep, max_wait=10.0)
    limiter.penalize(LIGHT, {"Retry-After": "45"})

    with pytest.raises(RateLimitedError) as caught:
        async with limiter.slot(LIGHT):
            pytest.fail("must not send into the penalty window")

    assert caught.value.group == LIGHT
    assert caught.value.retry_after == pytest.approx(45.0)
    assert time.sleeps == []
    # A per-request allowance overrides the limiter's.
    async with limiter.slot(LIGHT, max_wait=60.0):
        pass
    assert time.sleeps == [pytest.approx(45.0)]


async def test_one_request_in_flight_per_group() -> None:
    limiter = RateLimiter()
    inside: list[str] = []
    peak = {LIGHT: 0, MEDIUM: 0}
    release = asyncio.Event()
    both_inside = asyncio.Event()

    async def request(group: str) -> None:
        async with limiter.slot(group):
            inside.append(group)
            peak[group] = max(peak[group], inside.count(group))
            if len(inside) == 2:
                both_inside.set()
            await release.wait()
            inside.remove(group)

    tasks = [asyncio.create_task(request(g)) for g in (LIGHT, LIGHT, MEDIUM, LIGHT, MEDIUM)]
    async with asyncio.timeout(5):
        await both_inside.wait()
    for _ in range(10):  # give any wrongly admitted third request the chance to enter
        await asyncio.sleep(0)
    assert sorted(inside) == [LIGHT, MEDIUM]
    release.set()
    await asyncio.gather(*tasks)
    assert peak == {LIGHT: 1, MEDIUM: 1}


def unbounded(sim: Simulator) -> RateLimiter:
    """A limiter on the simulator's clock that waits as long as needed (no `max_wait`)."""
    return RateLimiter(clock=sim.state.clock.now, sleep=sim.state.clock.sleep, max_wait=None)


def assert_nothing_sent_in_penalty(entries: list[dict[str, Any]], penalty: float) -> int:
    """Walk logged requests of one group in order: none may arrive while a 429's penalty runs.
    Returns how many 429s were seen."""
    penalty_until = 0.0
    throttled = 0
    for entry in entries:
        at = sim_time(entry)
        assert at >= penalty_until - 0.002, f"request at {entry['time']} inside a penalty window"
        if entry["status"] == 429:
            throttled += 1
            penalty_until = at + penalty
    return throttled


async def test_storm_after_limits_shrink(make_sim: SimFactory, make_client: ClientFactory) -> None:
    # 600x: RingCentral's 60 s window and penalty last 0.1 s of real time.
    sim = await make_sim(SimConfig(time_scale=600.0), extensions=3)
    # Six queued requests at one a minute: let them wait as long as it takes.
    client = make_client(sim, limiter=unbounded(sim))
    ext_id = next(iter(sim.state.account.extensions))
    await client.get_presence(ext_id)  # the client now believes 49 Light requests remain
    sim.state.config.rate_limits[LIGHT] = 1  # ... but the account's plan just shrank

    results = await asyncio.gather(*(client.get_presence(ext_id) for _ in range(6)))

    assert len(results) == 6
    light = [e for e in requests_in_log(sim) if e.get("group") == LIGHT]
    throttled = assert_nothing_sent_in_penalty(light, sim.state.config.penalty_window)
    # Only the request that discovered the new limit was refused; the rest were paced.
    assert throttled == 1
    assert [e["status"] for e in light].count(200) == 7


async def test_paced_below_the_limit_without_any_429(
    make_sim: SimFactory, make_client: ClientFactory
) -> None:
    sim = await make_sim(
        SimConfig(time_scale=600.0, rate_limits={"Light": 3, "Medium": 40, "Heavy": 10, "Auth": 5})
    )
    client = make_client(sim, limiter=unbounded(sim))

    await asyncio.gather(*(client.get_extension_info() for _ in range(10)))

    light = [e for e in requests_in_log(sim) if e.get("group") == LIGHT]
    assert [e["status"] for e in light] == [200] * 10


async def test_injected_429s_honour_retry_after(
    sim: Simulator, make_client: ClientFactory, control: Control
) -> None:
    await control(
        sim, "faults", {"type": "http", "path": "/presence$", "status": 429, "retry_after": 6, "count": 3}
    )
    client = make_client(sim)

    presence = await client.get_presence()

    assert presence.extension_id == client.owner_id
    attempts = requests_in_log(sim, path_contains="/presence")
    assert [e["status"] for e in attempts] == [429, 429, 429, 200]
    assert assert_nothing_sent_in_penalty(attempts, 6.0) == 3


async def test_penalty_longer_than_max_wait_raises(
    sim: Simulator, make_client: ClientFactory, control: Control
) -> None:
    limiter = RateLimiter(clock=sim.state.clock.now, sleep=sim.state.clock.sleep, max_wait=10.0)
    client = make_client(sim, limiter=limiter)
    await client.login()
    await control(sim, "faults", {"type": "http", "path": "/presence$", "status": 429, "retry_after": 300})

    with pytest.raises(RateLimitedError) as first:
        await client.get_presence()
    with pytest.raises(RateLimitedError) as second:
        await client.get_presence()

    assert first.value.group == LIGHT
    assert first.value.retry_after == pytest.approx(300.0, abs=5)
    assert second.value.retry_after <= first.value.retry_after
    # The second call was refused without a request: nothing is sent into the penalty window.
    assert len(requests_in_log(sim, path_contains="/presence")) == 1
