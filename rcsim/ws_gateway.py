"""WebSocket gateway (`GET /ws?access_token=…[&wsc=…]`), RingCentral's recommended notification transport.

A WS *session* (named by its `wsc` token) owns at most one subscription and outlives its connection
for `ws_recovery_timeout`: notifications meanwhile are buffered (newest `ws_recovery_buffer_size`
kept) and replayed when the client reconnects with `&wsc=`. Sessions, connections and frames are in
`ws_session.py`; `WebSocketDelivery` is the subscription manager's transport over this gateway.

Error codes RingCentral documents: `WSG-902` (idle timeout) and `WSG-903` (absolute timeout). The
others below are the simulator's own choice (RingCentral does not publish them).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import uuid
from collections.abc import Sequence
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from .auth import AuthManager, AuthSession
from .clock import SimClock
from .config import SimConfig
from .faults import Faults
from .log import SimLog
from .subscription_model import Subscription
from .subscriptions import SubscriptionManager
from .ws_session import Close, Frame, GatewaySocket, WsConnection, WsSession, dump, error_frame

IDLE_TIMEOUT = "WSG-902"
ABSOLUTE_TIMEOUT = "WSG-903"
MISSING_TOKEN = "OAU-123"  # noqa: S105 - an error code, not a secret
INVALID_TOKEN = "OAU-213"  # noqa: S105 - an error code, not a secret
MALFORMED_FRAME = "WSG-101"
UNSUPPORTED_FRAME = "WSG-102"
RECOVERY_EXPIRED = "WSG-801"  # unknown wsc, or the recovery window has passed
RECOVERY_REFUSED = "WSG-802"  # injected failure, or the wsc belongs to another user

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
        self._faults = faults
        self._log = log
        self._sessions: dict[str, WsSession] = {}
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
        if self._recovery_expired(session):
            self._end_session(session, "recovery window passed")
            return False
        session.buffer.append(notification)
        while len(session.buffer) > max(0, self._config.ws_recovery_buffer_size):
            session.buffer.popleft()
        return True

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
        session, recovery = self._open_session(auth, request.query.get("wsc"))
        now = self._clock.now()
        conn = WsConnection(
            ws=ws, request=request, session=session, clock=self._clock, opened_at=now, last_traffic=now
        )
        session.connection, session.disconnected_at = conn, None
        self._connections.add(conn)
        writer = asyncio.get_running_loop().create_task(conn.write())
        self._writers.add(writer)
        writer.add_done_callback(self._writers.discard)
        conn.send("ConnectionDetails", self._connection_details(session, recovery))
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

    def _open_session(
        self, auth: AuthSession, wsc: str | None
    ) -> tuple[WsSession, tuple[str, str | None] | None]:
        """The session for a new connection and, on a recovery attempt, (recoveryState, errorCode)."""
        if wsc is None:
            return self._new_session(auth), None
        session = self._sessions.get(wsc)
        error: str | None = None
        if session is None or self._recovery_expired(session):
            error = RECOVERY_EXPIRED
        elif session.auth.extension.id != auth.extension.id or self._faults.take_recovery_failure():
            error = RECOVERY_REFUSED
        if session is not None and error is not None:
            self._end_session(session, f"recovery failed ({error})")
        if session is None or error is not None:
            return self._new_session(auth), ("Failed", error)
        if session.connection is not None:
            # The client reconnected before the server saw the old socket go: take the session over.
            self._take_over(session.connection)
        session.auth = auth
        self._log.record("websocket", action="recovered", buffered=len(session.buffer))
        return session, ("Successful", None)

    def _new_session(self, auth: AuthSession) -> WsSession:
        session = WsSession(token=secrets.token_urlsafe(24), auth=auth, created_at=self._clock.now())
        self._sessions[session.token] = session
        return session

    def _connection_details(
        self, session: WsSession, recovery: tuple[str, str | None] | None
    ) -> dict[str, Any]:
        config = self._config
        body: dict[str, Any] = {
            "creationTime": self._clock.iso(session.created_at),
            "maxConnectionsPerSession": config.ws_max_connections_per_session,
            "recoveryBufferSize": config.ws_recovery_buffer_size,
            "recoveryTimeout": round(config.ws_recovery_timeout),
            "idleTimeout": round(config.ws_idle_timeout),
            "absoluteTimeout": round(config.ws_absolute_timeout),
            "maxActiveRequests": config.ws_max_active_requests,
        }
        if recovery is not None:
            body["recoveryState"] = recovery[0]
            if recovery[1] is not None:
                body["recoveryErrorCode"] = recovery[1]
        return body

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
        """A connection ended: its unsent notifications go back to the session's recovery buffer."""
        self._connections.discard(conn)
        conn.closing = True
        session = conn.session
        if session.connection is not conn:
            return
        unsent = conn.take_unsent()
        session.buffer.extendleft(reversed(unsent))
        while len(session.buffer) > max(0, self._config.ws_recovery_buffer_size):
            session.buffer.popleft()
        session.connection = None
        session.disconnected_at = self._clock.now()
        if session.token in self._sessions:
            self._log.record("websocket", action="disconnected", buffered=len(session.buffer))

    def _take_over(self, old: WsConnection) -> None:
        session = old.session
        session.buffer.extendleft(reversed(old.take_unsent()))
        session.connection = None
        old.close(Close(code=WSCloseCode.GOING_AWAY))

    def _recovery_expired(self, session: WsSession) -> bool:
        if session.connection is not None or session.disconnected_at is None:
            return False
        return self._clock.now() - session.disconnected_at > self._config.ws_recovery_timeout

    def _end_session(self, session: WsSession, reason: str) -> None:
        if self._sessions.pop(session.token, None) is None:
            return
        session.buffer.clear()
        self._subscriptions.drop_ws_session(session.token)
        if session.connection is not None and not session.connection.closing:
            session.connection.close(Close(code=WSCloseCode.POLICY_VIOLATION))
        self._log.record("websocket", action="session_ended", reason=reason)

    def on_revoke(self, auth: AuthSession) -> None:
        """The auth session behind a WS session was revoked: close its sockets, end the session."""
        for session in [s for s in self._sessions.values() if s.auth.id == auth.id]:
            if session.connection is not None:
                self._fail(session.connection, INVALID_TOKEN, "Access token was revoked")
            self._end_session(session, "auth session revoked")

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
        for session in list(self._sessions.values()):
            if self._recovery_expired(session):
                self._end_session(session, "recovery window passed")


class WebSocketDelivery:
    """The subscription manager's WebSocket transport: a subscription lives with a WS session."""

    permission = "WebSocketsSubscriptions"

    def __init__(self, config: SimConfig, gateway: WsGateway) -> None:
        self._config = config
        self._gateway = gateway

    def lifetime(self, requested: int | None) -> int:
        # WebSocket subscriptions need no renewal while their session lives.
        return int(self._config.ws_absolute_timeout)

    async def open(self, subscription: Subscription, mode: dict[str, Any]) -> None:
        subscription.delivery_mode = {"transportType": "WebSocket", "encryption": False}

    async def update(self, subscription: Subscription, mode: dict[str, Any] | None) -> None:
        return None

    def deliver(self, subscription: Subscription, notification: dict[str, Any]) -> None:
        if subscription.ws_token is not None:
            self._gateway.deliver(subscription.ws_token, notification)

    def remove(self, subscription: Subscription) -> None:
        return None

    async def close(self) -> None:
        return None


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
