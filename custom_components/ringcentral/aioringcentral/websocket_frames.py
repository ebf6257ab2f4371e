"""The frames of `WebSocketTransport`'s connection: reading and parsing them, sending requests
and heartbeats over it.

RingCentral's frames are JSON arrays: `[header]` or `[header, body]`. A `ClientRequest` is answered
by a frame with its `messageId`; a server `Error` without one ends the connection. Every frame may
carry a newer `wsc` (the session-recovery token).
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any, Final

import aiohttp

from .errors import ParseError, RingCentralError, TemporarilyUnavailableError
from .jsonload import load_json
from .models import SubscriptionInfo
from .requester import Response, error_from_response
from .rest import RingCentralClient
from .transport import Delivery, TransportStats

_LOGGER = logging.getLogger(__name__)

_CLOSED_TYPES: Final = (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED)


class _ConnectionLostError(TemporarilyUnavailableError):
    """The socket went away while a request over it waited for its answer."""


@dataclass
class _Wsc:
    """The session-recovery token and the sequence it came with."""

    token: str = field(repr=False)
    sequence: int


class WebSocketFrames:
    """Reading, sending and heartbeats; part of `WebSocketTransport`, which sets the state below."""

    _client: RingCentralClient
    stats: TransportStats
    subscription: SubscriptionInfo | None
    connection_details: dict[str, Any]
    heartbeat_interval: float
    heartbeat_timeout: float
    request_timeout: float
    _delivery: Delivery
    _wsc: _Wsc | None
    _pending: dict[str, asyncio.Future[tuple[int, Any]]]
    _hold: list[dict[str, Any]] | None
    _loss: str | None
    _last_received: float
    _last_sent: float
    _heartbeat_sent_at: float | None

    # -- reading --------------------------------------------------------------------------------

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> str:
        try:
            while True:
                message = await ws.receive()
                if message.type == aiohttp.WSMsgType.TEXT:
                    self._last_received = self._client.clock()
                    self.stats.last_message_at = self._last_received
                    self._on_text(message.data)
                    if self._loss is not None:
                        return self._loss
                elif message.type in _CLOSED_TYPES:
                    return f"closed by the server (code {ws.close_code})"
                elif message.type == aiohttp.WSMsgType.ERROR:
                    return f"network error ({type(ws.exception()).__name__})"
                else:
                    self.stats.malformed_frames += 1
        finally:
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(_ConnectionLostError("WebSocket connection lost"))

    def _on_text(self, text: str) -> None:
        header, body = _split_frame(text)
        if header is None:
            self.stats.malformed_frames += 1
            _LOGGER.warning("Ignoring a malformed WebSocket frame (%d characters)", len(text))
            return
        self._track_wsc(header)
        kind = header.get("type")
        message_id = header.get("messageId")
        if kind == "ServerNotification":
            if isinstance(body, dict):
                self._deliver(body)
            else:
                self.stats.malformed_frames += 1
                _LOGGER.warning("Ignoring a ServerNotification without a JSON object body")
        elif (
            kind in ("ClientRequest", "Error") and isinstance(message_id, str) and message_id in self._pending
        ):
            status = header.get("status")
            future = self._pending[message_id]
            if not future.done():
                future.set_result((status if isinstance(status, int) else 400, body))
        elif kind == "Error":
            code = body.get("errorCode") if isinstance(body, dict) else None
            _LOGGER.debug("RingCentral WebSocket error %s", code)
            self._loss = f"server error {code or '(no error code)'}"
        elif kind == "ConnectionDetails" and isinstance(body, dict):
            self.connection_details = body
        elif kind not in ("Heartbeat", "ClientRequest"):
            _LOGGER.debug("Ignoring a WebSocket frame of type %r", kind)

    def _track_wsc(self, header: dict[str, Any], *, force: bool = False) -> None:
        wsc = header.get("wsc")
        if not isinstance(wsc, dict):
            return
        token, sequence = wsc.get("token"), wsc.get("sequence")
        if not isinstance(token, str) or not token or not isinstance(sequence, int):
            return
        if force or self._wsc is None or sequence > self._wsc.sequence:
            self._wsc = _Wsc(token, sequence)

    def _deliver(self, raw: dict[str, Any]) -> None:
        if self._hold is not None:
            self._hold.append(raw)
            return
        self._delivery.deliver(raw, self.subscription)

    # -- sending --------------------------------------------------------------------------------

    async def _send(self, ws: aiohttp.ClientWebSocketResponse, frame: list[dict[str, Any]]) -> None:
        await ws.send_str(json.dumps(frame, separators=(",", ":")))
        self._last_sent = self._client.clock()

    async def _request(
        self, ws: aiohttp.ClientWebSocketResponse, method: str, path: str, body: Any = None
    ) -> tuple[int, Any]:
        """A `ClientRequest` over the socket; returns (status, body) of its answer."""
        message_id = str(uuid.uuid4())
        future: asyncio.Future[tuple[int, Any]] = asyncio.get_running_loop().create_future()
        self._pending[message_id] = future
        header = {"type": "ClientRequest", "messageId": message_id, "method": method, "path": path}
        try:
            await self._send(ws, [header] if body is None else [header, body])
            async with asyncio.timeout(self.request_timeout):
                return await future
        finally:
            del self._pending[message_id]

    async def _heartbeat(self, ws: aiohttp.ClientWebSocketResponse) -> str:
        """Send heartbeats on quiet connections; returns when one goes unanswered or cannot be sent."""
        clock, sleep = self._client.clock, self._client.sleep
        while True:
            now = clock()
            sent_at = self._heartbeat_sent_at
            if sent_at is not None and self._last_received < sent_at:
                if now - sent_at >= self.heartbeat_timeout:
                    return "heartbeat not answered"
                # Look again when the answer is overdue, or at the next heartbeat if that is sooner
                # (the answer usually arrives at once, and the cadence must not slip).
                overdue = sent_at + self.heartbeat_timeout
                wake = (
                    min(overdue, sent_at + self.heartbeat_interval)
                    if now < sent_at + self.heartbeat_interval
                    else overdue
                )
            else:
                quiet_since = min(self._last_received, self._last_sent)
                if now - quiet_since >= self.heartbeat_interval:
                    try:
                        await self._send(ws, [{"type": "Heartbeat", "messageId": str(uuid.uuid4())}])
                    except (aiohttp.ClientError, ConnectionError, RuntimeError) as err:
                        return f"heartbeat could not be sent ({type(err).__name__})"
                    self._heartbeat_sent_at = clock()
                    self.stats.heartbeats_sent += 1
                    continue
                self._heartbeat_sent_at = None
                wake = quiet_since + self.heartbeat_interval
            await sleep(max(wake - now, self.heartbeat_interval / 100))


def _connection_details(message: aiohttp.WSMessage) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and body of the `ConnectionDetails` frame every connection must start with."""
    if message.type != aiohttp.WSMsgType.TEXT:
        raise TemporarilyUnavailableError(f"WebSocket closed before ConnectionDetails ({message.type.name})")
    header, body = _split_frame(message.data)
    if header is None:
        raise TemporarilyUnavailableError("WebSocket's first frame was malformed")
    if header.get("type") == "Error":
        code = body.get("errorCode") if isinstance(body, dict) else None
        raise TemporarilyUnavailableError(f"WebSocket refused the connection ({code or 'no error code'})")
    if header.get("type") != "ConnectionDetails":
        raise TemporarilyUnavailableError(f"WebSocket's first frame was {header.get('type')!r}")
    return header, body if isinstance(body, dict) else {}


def _split_frame(text: str) -> tuple[dict[str, Any] | None, Any]:
    """`[header]` or `[header, body]`; (None, None) when the frame has another shape."""
    try:
        frame = load_json(text, "WebSocket frame")
    except ParseError:
        return None, None
    if not isinstance(frame, list) or not 1 <= len(frame) <= 2 or not isinstance(frame[0], dict):
        return None, None
    return frame[0], frame[1] if len(frame) == 2 else None


def _reply_error(status: int, body: Any, what: str) -> RingCentralError:
    if status == 401:
        return TemporarilyUnavailableError(f"{what}: the WebSocket session's token was refused")
    raw = json.dumps(body).encode() if body is not None else b""
    return error_from_response(Response(status, {}, "application/json", raw), what)
