"""A WebSocket gateway session and its connections: the frames they send, in order, and how they close.

Every frame is a JSON array `[header]` / `[header, body]`; every server frame carries `wsc {token,
sequence}`. A connection queues its frames and one writer task sends them, so a notification that
was not sent yet can go back to its session's recovery buffer when the socket goes.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSCloseCode, web

from .auth import AuthSession
from .clock import SimClock


class GatewaySocket(web.WebSocketResponse):
    """A server socket whose heartbeat stays off once it is closed.

    aiohttp 3.14 re-arms the heartbeat timer when the peer's close reply arrives after a server-side
    `close()` has begun, and nothing cancels it afterwards: the timer would outlive the connection.
    """

    def _reset_heartbeat(self) -> None:
        if not self.closed:
            super()._reset_heartbeat()


@dataclass(frozen=True, slots=True)
class Frame:
    text: str
    notification: dict[str, Any] | None = None  # kept so an unsent notification can be buffered again


@dataclass(frozen=True, slots=True)
class Close:
    code: int = WSCloseCode.OK
    abort: bool = False  # drop the TCP connection without a close handshake


@dataclass(eq=False)
class WsSession:
    """A WS session: survives its connection for the recovery window."""

    token: str
    auth: AuthSession
    created_at: float
    sequence: int = 0
    connection: WsConnection | None = None
    disconnected_at: float | None = None
    buffer: deque[dict[str, Any]] = field(default_factory=deque)

    def next_wsc(self) -> dict[str, Any]:
        self.sequence += 1
        return {"token": self.token, "sequence": self.sequence}


@dataclass(eq=False)
class WsConnection:
    """One open socket of a session; frames go out through `queue` in order."""

    ws: web.WebSocketResponse
    request: web.Request
    session: WsSession
    clock: SimClock
    opened_at: float
    last_traffic: float
    queue: asyncio.Queue[Frame | Close] = field(default_factory=asyncio.Queue)
    closing: bool = False

    def put(self, item: Frame | Close) -> None:
        self.queue.put_nowait(item)

    def send(
        self,
        kind: str,
        body: dict[str, Any] | None,
        *,
        status: int = 200,
        notification: dict[str, Any] | None = None,
    ) -> None:
        """Queue a server frame of type `kind` (a notification keeps its `uuid` as the message id)."""
        message_id = notification["uuid"] if notification is not None else str(uuid.uuid4())
        header = {
            "type": kind,
            "messageId": message_id,
            "status": status,
            "headers": {"RCRequestId": message_id},
        }
        self.put_frame(header, body, notification=notification)

    def put_frame(
        self,
        header: dict[str, Any],
        body: dict[str, Any] | None,
        *,
        notification: dict[str, Any] | None = None,
    ) -> None:
        header.setdefault("headers", {"RCRequestId": header["messageId"]})
        header["wsc"] = self.session.next_wsc()
        self.put(Frame(dump([header] if body is None else [header, body]), notification))
        self.last_traffic = self.clock.now()

    def send_error(self, code: str, message: str, status: int, message_id: str | None = None) -> None:
        header, body = error_frame(code, message, status, message_id)
        self.put_frame(header, body)

    def close(self, close: Close) -> None:
        """Close after the frames already queued."""
        self.closing = True
        self.put(close)

    def take_unsent(self) -> list[dict[str, Any]]:
        """Empty the queue; the notifications in it were not sent."""
        unsent: list[dict[str, Any]] = []
        while not self.queue.empty():
            item = self.queue.get_nowait()
            if isinstance(item, Frame) and item.notification is not None:
                unsent.append(item.notification)
        return unsent

    async def write(self) -> None:
        """The writer task: send queued frames until a `Close` (or the socket fails)."""
        while True:
            item = await self.queue.get()
            if isinstance(item, Close):
                if item.abort and self.request.transport is not None:
                    self.request.transport.abort()
                else:
                    await self.ws.close(code=item.code)
                return
            try:
                await self.ws.send_str(item.text)
            except (ConnectionError, RuntimeError):
                return


def error_frame(
    code: str, message: str, status: int, message_id: str | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    message_id = message_id or str(uuid.uuid4())
    header = {
        "type": "Error",
        "messageId": message_id,
        "status": status,
        "headers": {"RCRequestId": message_id},
    }
    return header, {"errorCode": code, "message": message}


def dump(frame: Any) -> str:
    return json.dumps(frame, separators=(",", ":"))
