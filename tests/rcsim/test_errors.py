"""Middleware: RingCentral-shaped JSON errors, injected HTTP faults, and the request log."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from rcsim import SimConfig, Simulator

from .conftest import Api, error_code

ME = "/restapi/v1.0/account/~/extension/~"


@pytest.mark.parametrize(
    "path", ["/nothing", "/restapi/v1.0/unknown", "/restapi/v1.0/account/~/extension/1/nope", "/sim/nothing"]
)
async def test_unknown_routes_answer_json_404(api: Api, path: str) -> None:
    response = await api.get(path, None)
    assert response.status == 404
    assert await error_code(response) == "CMN-102"
    assert path in (await response.json())["message"]


async def test_wrong_method_answers_json_405(api: Api) -> None:
    response = await api.http.delete(f"{api.sim.url}/restapi/v1.0/account/~")
    assert response.status == 405
    assert await error_code(response) == "CMN-405"
    assert "GET" in response.headers["Allow"]


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2", b"\xff\xfe"])
async def test_malformed_json_answers_400(api: Api, body: bytes) -> None:
    response = await api.http.post(
        f"{api.sim.url}/sim/calls", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status == 400
    assert "JSON" in (await response.json())["message"]


@pytest.fixture
async def crashing_simulator(socket_enabled: None) -> AsyncIterator[Simulator]:
    sim = Simulator(SimConfig(), extensions=1)

    async def boom(request: web.Request) -> web.Response:
        raise RuntimeError("secret internals sim-jwt-xyz")

    sim.app.router.add_get("/boom", boom)
    async with sim:
        yield sim


async def test_unexpected_exception_answers_json_500_and_is_logged(
    crashing_simulator: Simulator, http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="rcsim.middleware"):
        response = await http.get(f"{crashing_simulator.url}/boom")
    assert response.status == 500
    assert await error_code(response) == "CMN-500"
    text = await response.text()
    assert "secret internals" not in text
    assert "Traceback" not in text
    assert any("Unexpected error serving GET /boom" in r.getMessage() for r in caplog.records)
    log = crashing_simulator.state.log
    assert {"kind": "request", "method": "GET", "path": "/boom", "status": 500}.items() <= log[-1].items()


async def _add_fault(api: Api, **fault: object) -> None:
    response = await api.control("POST", "faults", {"type": "http", **fault})
    assert response.status == 200, await response.text()


async def test_http_fault_answers_the_next_matching_requests(api: Api) -> None:
    token = (await api.login())["access_token"]
    await _add_fault(api, path=r"/extension/~$", status=503, count=2)
    statuses = [(await api.get(ME, token)).status for _ in range(3)]
    assert statuses == [503, 503, 200]
    # Requests that do not match are served.
    assert (await api.get("/restapi/v1.0/account/~", token)).status == 200


async def test_http_fault_body_is_ringcentral_json(api: Api) -> None:
    await _add_fault(api, path="/restapi/v1.0/account", status=502)
    response = await api.get(ME, None)
    assert response.status == 502
    assert (await error_code(response)).startswith("CMN-")


async def test_http_fault_429_has_retry_after(api: Api) -> None:
    await _add_fault(api, path="/oauth/token", status=429, retry_after=6.5)
    response = await api.token({"grant_type": "refresh_token", "refresh_token": "x"})
    assert response.status == 429
    assert await error_code(response) == "CMN-301"
    assert response.headers["Retry-After"] == "7"
    assert response.headers["X-Rate-Limit-Group"] == "Auth"
    await _add_fault(api, path="/oauth/token", status=429)
    default = await api.token({"grant_type": "refresh_token", "refresh_token": "x"})
    assert default.headers["Retry-After"] == "60"


async def test_http_fault_method_filter_and_control_api_immunity(api: Api) -> None:
    await _add_fault(api, path=".*", method="post", status=500, count=5)
    assert (await api.get("/restapi/v1.0/account/~", None)).status == 401  # GET: not affected
    # The control API is never faulted, so the fault can always be cleared.
    assert (await api.control("POST", "faults", {"type": "clear"})).status == 200
    assert api.sim.state.faults.http == []


async def test_request_log_never_contains_tokens(api: Api) -> None:
    tokens = await api.login()
    await api.get(ME, tokens["access_token"])
    await api.get("/ws", None, access_token="sim-ws-secret-token")
    response = await api.control("GET", "log")
    body = await response.json()
    requests = [e for e in body["entries"] if e["kind"] == "request"]
    assert {
        "method": "POST",
        "path": "/restapi/oauth/token",
        "status": 200,
        "group": "Auth",
    }.items() <= requests[0].items()
    assert any(e["path"] == ME and e["group"] == "Light" and e["status"] == 200 for e in requests)
    dumped = json.dumps(list(api.sim.state.log))
    for secret in (
        tokens["access_token"],
        tokens["refresh_token"],
        "sim-ws-secret-token",
        api.sim.credentials()["jwt"],
    ):
        assert secret not in dumped
    assert api.sim.config.client_secret not in dumped


async def test_log_since_and_kind(api: Api) -> None:
    await api.get("/nothing", None)
    first = await (await api.control("GET", "log")).json()
    assert first["next"] == len(api.sim.state.log)
    await api.get("/nothing-else", None)
    later = await (await api.http.get(f"{api.sim.url}/sim/log", params={"since": str(first["next"])})).json()
    paths = [e.get("path") for e in later["entries"]]
    assert "/nothing-else" in paths
    assert "/nothing" not in paths
    assert later["entries"][0]["index"] == first["next"]
    only = await (await api.http.get(f"{api.sim.url}/sim/log", params={"kind": "auth"})).json()
    assert all(e["kind"] == "auth" for e in only["entries"])
    bad = await api.http.get(f"{api.sim.url}/sim/log", params={"since": "soon"})
    assert bad.status == 400
