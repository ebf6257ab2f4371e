"""Rate limits: route groups (table), the limiter (pure, simulated time), and 429s over HTTP."""

from __future__ import annotations

import pytest

from rcsim import SimConfig, Simulator
from rcsim.clock import SimClock
from rcsim.ratelimit import RateLimiter, group_for

from .conftest import JWT_GRANT, Api, error_code

ACCOUNT = "/restapi/v1.0/account/~"
ME = ACCOUNT + "/extension/~"


@pytest.mark.parametrize(
    ("method", "path", "group"),
    [
        ("POST", "/restapi/oauth/token", "Auth"),
        ("POST", "/restapi/oauth/revoke", "Auth"),
        ("POST", "/restapi/oauth/wstoken", "Auth"),
        ("POST", "/restapi/v1.0/subscription", "Medium"),
        ("POST", "/restapi/v1.0/subscription/", "Medium"),
        ("GET", "/restapi/v1.0/subscription", "Light"),
        ("GET", "/restapi/v1.0/subscription/abc", "Light"),
        ("PUT", "/restapi/v1.0/subscription/abc", "Medium"),
        ("DELETE", "/restapi/v1.0/subscription/abc", "Medium"),
        ("POST", "/restapi/v1.0/subscription/abc/renew", "Light"),
        ("GET", "/restapi/v1.0/account/~/extension/~/presence", "Light"),
        ("GET", "/restapi/v1.0/account/~/extension/1,2,3/presence", "Light"),
        ("GET", "/restapi/v1.0/account/~/presence", "Heavy"),
        ("GET", "/restapi/v1.0/account/~/extension", "Medium"),
        ("GET", "/restapi/v1.0/account/~/extension/123", "Light"),
        ("GET", "/restapi/v1.0/account/~", "Light"),
        ("GET", "/restapi/v1.0/account/~/telephony/sessions/s-1", "Light"),
        ("get", "/restapi/v1.0/account/~", "Light"),
        ("GET", "/sim/state", None),
        ("POST", "/sim/faults", None),
        ("GET", "/ws", None),
        ("GET", "/restapi/oauth/token", None),
        ("GET", "/restapi/v1.0/unknown", None),
    ],
)
def test_route_groups(method: str, path: str, group: str | None) -> None:
    assert group_for(method, path) == group


def limiter(**config: object) -> tuple[RateLimiter, SimClock]:
    settings = SimConfig(**config)  # type: ignore[arg-type]
    clock = SimClock(settings.time_scale)
    return RateLimiter(settings, clock), clock


def test_limit_then_penalty_that_restarts_on_every_request() -> None:
    rate, clock = limiter(rate_limits={"Light": 3}, rate_window=60.0, penalty_window=60.0)
    decisions = [rate.check("Light", "user") for _ in range(3)]
    assert [d.allowed for d in decisions] == [True, True, True]
    assert [d.remaining for d in decisions] == [2, 1, 0]
    denied = rate.check("Light", "user")
    assert not denied.allowed
    assert denied.retry_after == 60
    assert denied.headers()["Retry-After"] == "60"
    # A request 50 s into the penalty restarts it: 59 s later it is still in force.
    clock.advance(50)
    assert not rate.check("Light", "user").allowed
    clock.advance(59)
    assert not rate.check("Light", "user").allowed
    # Quiet for a full penalty window: served again, with a fresh window.
    clock.advance(61)
    again = rate.check("Light", "user")
    assert again.allowed
    assert again.remaining == 2


def test_window_slides() -> None:
    rate, clock = limiter(rate_limits={"Heavy": 2}, rate_window=60.0)
    assert rate.check("Heavy", "u").allowed
    clock.advance(30)
    assert rate.check("Heavy", "u").allowed
    clock.advance(31)  # the first request left the window
    assert rate.check("Heavy", "u").allowed


def test_callers_and_groups_are_independent() -> None:
    rate, _ = limiter(rate_limits={"Light": 1, "Medium": 1})
    assert rate.check("Light", "a").allowed
    assert not rate.check("Light", "a").allowed
    assert rate.check("Light", "b").allowed
    assert rate.check("Medium", "a").allowed
    rate.reset()
    assert rate.check("Light", "a").allowed


def test_headers_of_an_allowed_request() -> None:
    rate, _ = limiter(rate_limits={"Medium": 40}, rate_window=60.0)
    assert rate.check("Medium", "a").headers() == {
        "X-Rate-Limit-Group": "Medium",
        "X-Rate-Limit-Limit": "40",
        "X-Rate-Limit-Remaining": "39",
        "X-Rate-Limit-Window": "60",
    }


async def _set_limits(api: Api, **limits: int) -> None:
    response = await api.control("POST", "config", {"rate_limits": limits})
    assert response.status == 200


async def test_429_over_http_with_headers(api: Api) -> None:
    await _set_limits(api, Light=3)
    token = (await api.login())["access_token"]
    responses = [await api.get(ME, token) for _ in range(3)]
    assert [r.status for r in responses] == [200, 200, 200]
    assert [r.headers["X-Rate-Limit-Remaining"] for r in responses] == ["2", "1", "0"]
    for response in responses:
        assert response.headers["X-Rate-Limit-Group"] == "Light"
        assert response.headers["X-Rate-Limit-Limit"] == "3"
        assert response.headers["X-Rate-Limit-Window"] == "60"
    limited = await api.get(ME, token)
    assert limited.status == 429
    assert await error_code(limited) == "CMN-301"
    assert (await limited.json())["message"] == "Request rate exceeded"
    assert limited.headers["Retry-After"] == "60"
    assert limited.headers["X-Rate-Limit-Group"] == "Light"
    assert limited.headers["X-Rate-Limit-Remaining"] == "0"
    # Other groups are unaffected.
    assert (await api.get(ACCOUNT + "/extension", token)).status == 200


async def test_penalty_restarts_over_http(api: Api, simulator: Simulator) -> None:
    await _set_limits(api, Heavy=1)
    token = (await api.login())["access_token"]
    path = ACCOUNT + "/presence"
    assert (await api.get(path, token)).status == 200
    assert (await api.get(path, token)).status == 429
    simulator.state.clock.advance(45)
    assert (await api.get(path, token)).status == 429  # restarts the 60 s penalty
    simulator.state.clock.advance(45)
    assert (await api.get(path, token)).status == 429
    simulator.state.clock.advance(61)
    assert (await api.get(path, token)).status == 200


async def test_limits_are_per_user(api: Api) -> None:
    await _set_limits(api, Light=1)
    admin = (await api.login())["access_token"]
    other = (await api.login(api.extension_ids[1]))["access_token"]
    assert (await api.get(ME, admin)).status == 200
    assert (await api.get(ME, admin)).status == 429
    assert (await api.get(ME, other)).status == 200


async def test_token_endpoint_is_keyed_by_the_user_logging_in(api: Api) -> None:
    limit = api.sim.config.rate_limits["Auth"]
    first = api.sim.credentials()["jwt"]
    for _ in range(limit):
        assert (await api.token({"grant_type": JWT_GRANT, "assertion": first})).status == 200
    limited = await api.token({"grant_type": JWT_GRANT, "assertion": first})
    assert limited.status == 429
    assert limited.headers["X-Rate-Limit-Group"] == "Auth"
    second = api.sim.credentials(api.extension_ids[1])["jwt"]
    assert (await api.token({"grant_type": JWT_GRANT, "assertion": second})).status == 200


async def test_error_responses_carry_rate_headers(api: Api) -> None:
    response = await api.get(ME, "bad-token")
    assert response.status == 401
    assert response.headers["X-Rate-Limit-Group"] == "Light"


async def test_control_api_and_unknown_routes_are_never_limited(api: Api) -> None:
    await _set_limits(api, Light=0, Medium=0, Heavy=0, Auth=0)
    for _ in range(3):
        response = await api.control("GET", "state")
        assert response.status == 200
        assert "X-Rate-Limit-Group" not in response.headers
    assert (await api.get("/restapi/v1.0/nothing", None)).status == 404


async def test_rate_limits_can_be_disabled(api: Api) -> None:
    token = (await api.login())["access_token"]
    response = await api.control(
        "POST", "config", {"rate_limits": {"Light": 1}, "rate_limits_enabled": False}
    )
    assert response.status == 200
    statuses = [(await api.get(ME, token)).status for _ in range(3)]
    assert statuses == [200, 200, 200]
