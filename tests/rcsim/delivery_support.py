"""Helpers for the delivery tests: condition waiting, a WebSocket gateway client, sample events.

Everything goes over real loopback sockets; events are published on `state.bus`, the interface the
call engine uses, so delivery is tested independently of call scenarios.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from rcsim import Simulator
from rcsim.events import SimEvent

from .basic_auth import basic_headers

EXT_PRESENCE = "/restapi/v1.0/account/~/extension/~/presence?detailedTelephonyState=true&sipData=true"
ACCOUNT_SESSIONS = "/restapi/v1.0/account/~/telephony/sessions"


def presence_event(extension_id: str, sequence: int = 1, status: str = "Ringing") -> SimEvent:
    """A detailed presence body like the call engine publishes (with sipData)."""
    body = {
        "extensionId": extension_id,
        "telephonyStatus": status,
        "sequence": sequence,
        "presenceStatus": "Busy",
        "userStatus": "Available",
        "dndStatus": "TakeAllCalls",
        "meetingStatus": "Disconnected",
        "allowSeeMyPresence": True,
        "ringOnMonitoredCall": False,
        "pickUpCallsOnHold": False,
        "totalActiveCalls": 1,
        "activeCalls": [
            {
                "id": "call-1",
                "direction": "Inbound",
                "from": "+16505550199",
                "to": "101",
                "telephonyStatus": status,
                "sipData": {"toTag": "a", "fromTag": "b", "remoteUri": "x", "localUri": "y"},
                "sessionId": "1001",
                "telephonySessionId": "s-1",
                "partyId": "p-1",
                "startTime": "2026-01-01T00:00:00.000Z",
            }
        ],
    }
    return SimEvent("presence", extension_id, body)


def telephony_event(extension_id: str, sequence: int = 1, code: str = "Proceeding") -> SimEvent:
    body = {
        "sequence": sequence,
        "sessionId": "1001",
        "telephonySessionId": "s-1",
        "serverId": "sim",
        "eventTime": "2026-01-01T00:00:00.000Z",
        "accountId": "400144452008",
        "origin": {"type": "Call"},
        "parties": [
            {
                "id": "p-1",
                "extensionId": extension_id,
                "direction": "Inbound",
                "status": {"code": code},
                "missedCall": False,
                "standAlone": False,
                "muted": False,
            }
        ],
    }
    return SimEvent("telephony", extension_id, body)


async def login(sim: Simulator, http: aiohttp.ClientSession, extension_id: str | None = None) -> str:
    """A REST access token for an extension (default: the first, admin one)."""
    creds = sim.credentials(extension_id)
    response = await http.post(
        f"{sim.url}/restapi/oauth/token",
        data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": creds["jwt"]},
        headers=basic_headers(creds["client_id"], creds["client_secret"]),
    )
    assert response.status == 200, await response.text()
    token: str = (await response.json())["access_token"]
    return token


async def rest(
    sim: Simulator, http: aiohttp.ClientSession, token: str, method: str, path: str, *, body: Any = None
) -> tuple[int, Any]:
    """One REST call; returns (status, JSON body or None)."""
    response = await http.request(
        method, f"{sim.url}{path}", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    text = await response.text()
    return response.status, (json.loads(text) if text else None)


@dataclass
class WsClient:
    """A raw client of the WebSocket gateway that keeps every frame it receives."""

    ws: aiohttp.ClientWebSocketResponse
    frames: list[Any] = field(default_factory=list)
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    _reader: asyncio.Task[None] | None = None
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def start(self) -> None:
        self._reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        try:
            async for message in self.ws:
                if message.type == aiohttp.WSMsgType.TEXT:
                    try:
                        self.frames.append(json.loads(message.data))
                    except ValueError:
                        self.frames.append(("raw", message.data))
                    self._arrived.set()
        finally:
            self.closed.set()
            self._arrived.set()

    async def next_matching(self, predicate: Callable[[Any], bool], seconds: float = 5.0) -> Any:
        """The first frame (already received or arriving) that satisfies `predicate`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while True:
            for frame in self.frames:
                if predicate(frame):
                    return frame
            if self.closed.is_set():
                raise AssertionError(f"socket closed; frames: {self.frames}")
            self._arrived.clear()
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"no matching frame; frames: {self.frames}")
            try:
                await asyncio.wait_for(self._arrived.wait(), remaining)
            except TimeoutError:
                continue

    def of_type(self, kind: str) -> list[Any]:
        return [f for f in self.frames if isinstance(f, list) and f and f[0].get("type") == kind]

    def notifications(self) -> list[dict[str, Any]]:
        return [f[1] for f in self.of_type("ServerNotification")]

    async def send(self, frame: Any) -> None:
        await self.ws.send_str(json.dumps(frame))

    async def request(self, method: str, path: str, body: Any = None) -> tuple[dict[str, Any], Any]:
        """Send a ClientRequest; returns the reply (header, body or None)."""
        message_id = str(uuid.uuid4())
        header = {"type": "ClientRequest", "messageId": message_id, "method": method, "path": path}
        await self.send([header] if body is None else [header, body])
        reply = await self.next_matching(
            lambda f: (
                isinstance(f, list)
                and f[0].get("type") == "ClientRequest"
                and f[0]["messageId"] == message_id
            )
        )
        return reply[0], (reply[1] if len(reply) > 1 else None)

    async def subscribe(self, *filters: str) -> dict[str, Any]:
        header, body = await self.request(
            "POST",
            "/restapi/v1.0/subscription/",
            {"eventFilters": list(filters), "deliveryMode": {"transportType": "WebSocket"}},
        )
        assert header["status"] == 200, body
        result: dict[str, Any] = body
        return result

    async def close(self) -> None:
        await self.ws.close()
        if self._reader is not None:
            await self._reader


async def ws_token(sim: Simulator, http: aiohttp.ClientSession, token: str) -> dict[str, Any]:
    status, body = await rest(sim, http, token, "POST", "/restapi/oauth/wstoken")
    assert status == 200, body
    result: dict[str, Any] = body
    return result


async def ws_connect(
    sim: Simulator, http: aiohttp.ClientSession, token: str, *, wsc: str | None = None
) -> WsClient:
    """Get a wstoken, connect (recovering `wsc` if given) and start collecting frames."""
    details = await ws_token(sim, http, token)
    params = {"access_token": details["ws_access_token"]}
    if wsc is not None:
        params["wsc"] = wsc
    ws = await http.ws_connect(details["uri"], params=params, autoping=True)
    client = WsClient(ws)
    client.start()
    return client
