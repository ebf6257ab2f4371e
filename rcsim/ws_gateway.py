"""WebSocket gateway (`GET /ws?access_token=…[&wsc=…]`), RingCentral's recommended notification transport.

A WS *session* (named by its `wsc` token) owns at most one subscription and outlives its connection
for `ws_recovery_timeout`: notifications meanwhile are buffered (newest `ws_recovery_buffer_size`
kept) and replayed when the client reconnects with `&wsc=`. The gateway's sessions and their recovery
are in `ws_recovery.py`; a session, its connections and their frames in `ws_session.py`;
`WebSocketDelivery`, the subscription manager's transport over this gateway, in `ws_delivery.py`.

Error codes RingCentral documents: `WSG-902` (idle timeout) and `WSG-903` (absolute timeout). The
others (here and in `ws_recovery.py`) are the simulator's own choice (RingCentral does not publish them).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import Sequence
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from .auth import AuthManager, AuthSession
from .clock import SimClock
from .config import SimConfig
from .faults import Faults
from .log import SimLog
from .subscriptions import SubscriptionManager
from .ws_recovery import WsSessions
from .ws_session import Close, Frame, GatewaySocket, WsConnection, dump, error_frame

IDLE_TIMEOUT = "WSG-902"
ABSOLUTE_TIMEOUT = "WSG-903"
MISSING_TOKEN = "OAU-123"  # noqa: S105 - an error code, not a secret
INVALID_TOKEN = "OAU-213"  # noqa: S105 - an error code, not a secret
MALFORMED_FRAME = "WSG-101"
UNSUPPORTED_FRAME = "WSG-102"

# How often (real seconds) timeouts and recovery windows are checked.
HOUSEKEEPING_PERIOD = 0.05
# Protocol pings are never sent more often than this (real seconds): aiohttp closes a socket whose
# pong is later than half the ping interval, which a busy test machine must not trigger.
MIN_REAL_PING_INTERVAL = 1.0

DEFAULT_MALFORMED_FRAMES = (
    "this is not JSON {",
    json.dumps({"type": "ServerNotification", "body": "not an array"}),
)


class WsGateway:
    """WS sessions and connections, delivery to them, and the faults that break them."""

    def __init__(
        self,
        *,
        config: SimConfig,
        clock: SimClock,
        auth: AuthManager,
        subscriptions: SubscriptionManager,
        faults: Faults,
        log: SimLog,
    ) -> None:
        self._config = config
        self._clock = clock
        self._auth = auth
        self._subscriptions = subscriptions
        self._log = log
        self._sessions = WsSessions(
            config=config, clock=clock, subscriptions=subscriptions, faults=faults, log=log
        )
        self._connections: set[WsConnection] = set()
        self._housekeeper: asyncio.Task[None] | None = None
        self._writers: set[asyncio.Task[None]] = set()

    # ---- public API ---------------------------------------------------------------------------

    @property
    def connections(self) -> int:
        """Open sockets (including ones being closed, until the server has let go of them)."""
        return len(self._connections)

    @property
    def sessions(self) -> int:
        return len(self._sessions)

    def deliver(self, token: str, notification: dict[str, Any]) -> bool:
        """Send a notification to a session, or buffer it while the session has no connection."""
        session = self._sessions.get(token)
        if session is None:
            return False
        conn = session.connection
        if conn is not None and not conn.closing:
            conn.send("ServerNotification", notification, notification=notification)
            return True
        return self._sessions.buffer(session, notification)

    def drop_all(self, error_code: str | None = None) -> int:
        """Fault: close every connection (an `Error` frame first when a code is given, else abruptly).

        Sessions stay recoverable. Returns how many connections were dropped.
        """
        dropped = 0
        for conn in list(self._connections):
            if conn.closing:
                continue
            dropped += 1
            if error_code is None:
                conn.close(Close(abort=True))
            else:
                self._fail(
                    conn, error_code, "Connection dropped by the server", close_code=WSCloseCode.GOING_AWAY
                )
        return dropped

    def send_malformed(self, frames: Sequence[str] | None = None) -> int:
        """Fault: send bad frames to every connection (default: a non-JSON and a wrong-shape frame).
        Returns how many connections got them."""
        texts = list(frames) if frames is not None else list(DEFAULT_MALFORMED_FRAMES)
        sent = 0
        for conn in self._connections:
            if not conn.closing:
                for text in texts:
                    conn.put(Frame(text))
                sent += 1
        return sent

    async def close(self) -> None:
        """Shutdown: close every socket and stop background work."""
        if self._housekeeper is not None:
            self._housekeeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._housekeeper
            self._housekeeper = None
        for conn in list(self._connections):
            conn.close(Close(code=WSCloseCode.GOING_AWAY))
        if self._writers:
            await asyncio.wait(self._writers, timeout=2.0)
        for task in list(self._writers):
            task.cancel()

    def start(self) -> None:
        if self._housekeeper is None:
            self._housekeeper = asyncio.get_running_loop().create_task(self._housekeeping())

    # ---- connection handling ------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        ping = max(self._clock.to_real(self._config.ws_ping_interval), MIN_REAL_PING_INTERVAL)
        ws = GatewaySocket(heartbeat=ping, autoping=True)
        await ws.prepare(request)
        self._subscriptions.base_url = str(request.url.origin())
        token = request.query.get("access_token", "")
        auth = self._auth.validate_ws_token(token) if token else None
        if auth is None:
            code = INVALID_TOKEN if token else MISSING_TOKEN
            message = "Invalid or expired WebSocket access token" if token else "access_token is required"
            await ws.send_str(dump(error_frame(code, message, 401, None)))
            await ws.close(code=WSCloseCode.POLICY_VIOLATION)
            self._log.record("websocket", action="rejected", error=code)
            return ws
        self.start()
        session, recovery = self._sessions.open(auth, request.query.get("wsc"))
        now = self._clock.now()
        conn = WsConnection(
            ws=ws, request=request, session=session, clock=self._clock, opened_at=now, last_traffic=now
        )
        session.connection, session.disconnected_at = conn, None
        self._connections.add(conn)
        writer = asyncio.get_running_loop().create_task(conn.write())
        self._writers.add(writer)
        writer.add_done_callback(self._writers.discard)
        conn.send("ConnectionDetails", self._sessions.connection_details(session, recovery))
        if recovery is not None and recovery[0] == "Successful":
            while session.buffer:
                notification = session.buffer.popleft()
                conn.send("ServerNotification", notification, notification=notification)
        self._log.record(
            "websocket", action="connected", extension_id=auth.extension.id, recovery=recovery and recovery[0]
        )
        try:
            async for received in ws:
                if received.type == WSMsgType.TEXT:
                    conn.last_traffic = self._clock.now()
                    await self._on_text(conn, received.data)
                elif received.type == WSMsgType.BINARY:
                    conn.send_error(MALFORMED_FRAME, "Binary frames are not supported", 400)
        finally:
            self._detach(conn)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
        return ws

    async def _on_text(self, conn: WsConnection, text: str) -> None:
        try:
            frame = json.loads(text)
        except ValueError:
            conn.send_error(MALFORMED_FRAME, "Message is not valid JSON", 400)
            return
        if not isinstance(frame, list) or not frame or not isinstance(frame[0], dict) or len(frame) > 2:
            conn.send_error(MALFORMED_FRAME, "Message must be a JSON array [header] or [header, body]", 400)
            return
        header: dict[str, Any] = frame[0]
        message_id = header.get("messageId")
        message_id = message_id if isinstance(message_id, str) else str(uuid.uuid4())
        kind = header.get("type")
        if kind == "Heartbeat":
            conn.put_frame({"type": "Heartbeat", "messageId": message_id, "status": 200}, None)
        elif kind == "ClientRequest":
            await self._client_request(conn, header, frame[1] if len(frame) > 1 else None, message_id)
        else:
            conn.send_error(UNSUPPORTED_FRAME, f"Unsupported message type: {kind!r}", 400, message_id)

    async def _client_request(
        self, conn: WsConnection, header: dict[str, Any], body: Any, message_id: str
    ) -> None:
        method, path = header.get("method"), header.get("path")
        if not isinstance(method, str) or not isinstance(path, str):
            conn.send_error(MALFORMED_FRAME, "ClientRequest needs string method and path", 400, message_id)
            return
        session = conn.session
        status, reply = await self._subscriptions.handle_request(
            method, path, body, session.auth, ws_token=session.token
        )
        headers: dict[str, str] = {"RCRequestId": message_id, "Content-Type": "application/json"}
        if (
            status == 200
            and reply is not None
            and isinstance(reply.get("id"), str)
            and "deliveryMode" in reply
        ):
            # The official SDKs recognise a subscription reply by this header.
            headers["WSG-SubscriptionId"] = reply["id"]
        response = {"type": "ClientRequest", "messageId": message_id, "status": status, "headers": headers}
        if conn.session is session and not conn.closing:
            conn.put_frame(response, reply)

    def _fail(self, conn: WsConnection, code: str, message: str, *, close_code: int = WSCloseCode.OK) -> None:
        """Send an `Error` frame, then close."""
        if conn.closing:
            return
        conn.send_error(code, message, 400 if code.startswith("WSG") else 401)
        conn.close(Close(code=close_code))
        self._log.record("websocket", action="closed", error=code)

    # ---- lifetime -----------------------------------------------------------------------------

    def _detach(self, conn: WsConnection) -> None:
        """A connection ended; its session waits for a recovery."""
        self._connections.discard(conn)
        conn.closing = True
        self._sessions.detach(conn)

    def on_revoke(self, auth: AuthSession) -> None:
        """The auth session behind a WS session was revoked: close its sockets, end the session."""
        for session in self._sessions.of_auth(auth):
            if session.connection is not None:
                self._fail(session.connection, INVALID_TOKEN, "Access token was revoked")
            self._sessions.end(session, "auth session revoked")

    async def _housekeeping(self) -> None:
        while True:
            await asyncio.sleep(HOUSEKEEPING_PERIOD)
            self.check_timeouts()

    def check_timeouts(self) -> None:
        """Apply idle/absolute timeouts and end sessions whose recovery window has passed."""
        config, now = self._config, self._clock.now()
        for conn in list(self._connections):
            if conn.closing:
                continue
            if now - conn.opened_at >= config.ws_absolute_timeout:
                self._fail(conn, ABSOLUTE_TIMEOUT, "Absolute connection timeout")
            elif now - conn.last_traffic >= config.ws_idle_timeout:
                self._fail(conn, IDLE_TIMEOUT, "Idle connection timeout")
        self._sessions.end_expired()


def setup(app: web.Application, gateway: WsGateway, auth: AuthManager) -> None:
    """Serve `GET /ws`; from startup, revoking an auth session ends its WS sessions."""
    app.router.add_get("/ws", gateway.handle)

    async def on_startup(_: web.Application) -> None:
        auth.on_revoke(gateway.on_revoke)
        gateway.start()

    async def on_shutdown(_: web.Application) -> None:
        await gateway.close()

    app.on_startup.append(on_startup)
    app.on_shutdown.append(on_shutdown)
