"""Fixtures for simulator tests: a started `Simulator` on a loopback port and a client session.

Every test talks HTTP to a real server; helpers here only shorten the requests.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from rcsim import SimConfig, Simulator

from .basic_auth import basic_headers

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
EXTENSIONS = 5


@pytest.fixture
def sim_config() -> SimConfig:
    """Override in a test module to change settings."""
    return SimConfig()


@pytest.fixture
async def simulator(sim_config: SimConfig, socket_enabled: None) -> AsyncIterator[Simulator]:
    """A started simulator with 5 extensions (the first an admin). Sockets stay loopback-only."""
    async with Simulator(sim_config, extensions=EXTENSIONS) as sim:
        yield sim


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@dataclass
class Api:
    """A logged-out client of one simulator; `login()` returns tokens, the rest wrap requests."""

    sim: Simulator
    http: aiohttp.ClientSession

    def basic(self, secret: str | None = None) -> dict[str, str]:
        """The app's Basic `Authorization` header (with `secret` instead of the right one)."""
        return basic_headers(self.sim.config.client_id, secret or self.sim.config.client_secret)

    async def token(self, data: dict[str, str], auth: dict[str, str] | None = None) -> aiohttp.ClientResponse:
        response = await self.http.post(
            f"{self.sim.url}/restapi/oauth/token", data=data, headers=auth or self.basic()
        )
        await response.read()
        return response

    async def login(self, extension_id: str | None = None) -> dict[str, Any]:
        jwt = self.sim.credentials(extension_id)["jwt"]
        response = await self.token({"grant_type": JWT_GRANT, "assertion": jwt})
        assert response.status == 200, await response.text()
        body: dict[str, Any] = await response.json()
        return body

    async def get(
        self,
        path: str,
        token: str | None,
        *,
        headers: dict[str, str] | None = None,
        query: dict[str, str] | None = None,
        **params: str,
    ) -> aiohttp.ClientResponse:
        all_headers = dict(headers or {})
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        response = await self.http.get(
            f"{self.sim.url}{path}", headers=all_headers, params={**(query or {}), **params}
        )
        await response.read()
        return response

    async def control(self, method: str, path: str, body: Any = None) -> aiohttp.ClientResponse:
        response = await self.http.request(method, f"{self.sim.url}/sim/{path}", json=body)
        await response.read()
        return response

    @property
    def extension_ids(self) -> list[str]:
        return list(self.sim.state.account.extensions)


@pytest.fixture
def api(simulator: Simulator, http: aiohttp.ClientSession) -> Api:
    return Api(simulator, http)


async def error_code(response: aiohttp.ClientResponse) -> str:
    """The RingCentral `errorCode` of an error response (which must be JSON)."""
    assert response.content_type == "application/json", response.content_type
    body = await response.json()
    assert body["errors"][0]["errorCode"] == body["errorCode"]
    assert body["message"]
    code: str = body["errorCode"]
    return code
