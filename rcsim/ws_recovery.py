"""The WebSocket gateway's sessions: opening them, recovering them by `wsc`, buffering, ending them.

A WS *session* (named by its `wsc` token) owns at most one subscription and outlives its connection
for `ws_recovery_timeout`: notifications meanwhile are buffered (newest `ws_recovery_buffer_size`
kept) and replayed when the client reconnects with `&wsc=`. The recovery error codes are the
simulator's own choice (RingCentral does not publish them).
"""

from __future__ import annotations

import secrets
from typing import Any

from aiohttp import WSCloseCode

from .auth import AuthSession
from .clock import SimClock
from .config import SimConfig
from .faults import Faults
from .log import SimLog
from .subscriptions import SubscriptionManager
from .ws_session import Close, WsConnection, WsSession

RECOVERY_EXPIRED = "WSG-801"  # unknown wsc, or the recovery window has passed
RECOVERY_REFUSED = "WSG-802"  # injected failure, or the wsc belongs to another user

Recovery = tuple[str, str | None]  # (recoveryState, recoveryErrorCode)


class WsSessions:
    """Every WS session of the gateway, by token, with or without a connection."""

    def __init__(
        self,
        *,
        config: SimConfig,
        clock: SimClock,
        subscriptions: SubscriptionManager,
        faults: Faults,
        log: SimLog,
    ) -> None:
        self._config = config
        self._clock = clock
        self._subscriptions = subscriptions
        self._faults = faults
        self._log = log
        self._sessions: dict[str, WsSession] = {}

    def __len__(self) -> int:
        return len(self._sessions)

    def get(self, token: str) -> WsSession | None:
        return self._sessions.get(token)

    def open(self, auth: AuthSession, wsc: str | None) -> tuple[WsSession, Recovery | None]:
        """The session for a new connection and, on a recovery attempt, (recoveryState, errorCode)."""
        if wsc is None:
            return self._new(auth), None
        session = self._sessions.get(wsc)
        error: str | None = None
        if session is None or self.recovery_expired(session):
            error = RECOVERY_EXPIRED
        elif session.auth.extension.id != auth.extension.id or self._faults.take_recovery_failure():
            error = RECOVERY_REFUSED
        if session is not None and error is not None:
            self.end(session, f"recovery failed ({error})")
        if session is None or error is not None:
            return self._new(auth), ("Failed", error)
        if session.connection is not None:
            # The client reconnected before the server saw the old socket go: take the session over.
            self._take_over(session.connection)
        session.auth = auth
        self._log.record("websocket", action="recovered", buffered=len(session.buffer))
        return session, ("Successful", None)

    def connection_details(self, session: WsSession, recovery: Recovery | None) -> dict[str, Any]:
        """The body of the `ConnectionDetails` frame a new connection of `session` starts with."""
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

    def buffer(self, session: WsSession, notification: dict[str, Any]) -> bool:
        """Keep a notification for a session without a connection; False if the session is over."""
        if self.recovery_expired(session):
            self.end(session, "recovery window passed")
            return False
        session.buffer.append(notification)
        self._trim(session)
        return True

    def detach(self, conn: WsConnection) -> None:
        """A connection ended: its unsent notifications go back to the session's recovery buffer."""
        session = conn.session
        if session.connection is not conn:
            return
        unsent = conn.take_unsent()
        session.buffer.extendleft(reversed(unsent))
        self._trim(session)
        session.connection = None
        session.disconnected_at = self._clock.now()
        if session.token in self._sessions:
            self._log.record("websocket", action="disconnected", buffered=len(session.buffer))

    def recovery_expired(self, session: WsSession) -> bool:
        if session.connection is not None or session.disconnected_at is None:
            return False
        return self._clock.now() - session.disconnected_at > self._config.ws_recovery_timeout

    def end(self, session: WsSession, reason: str) -> None:
        """End a session for good: its buffer, its subscription and any connection go with it."""
        if self._sessions.pop(session.token, None) is None:
            return
        session.buffer.clear()
        self._subscriptions.drop_ws_session(session.token)
        if session.connection is not None and not session.connection.closing:
            session.connection.close(Close(code=WSCloseCode.POLICY_VIOLATION))
        self._log.record("websocket", action="session_ended", reason=reason)

    def of_auth(self, auth: AuthSession) -> list[WsSession]:
        """The sessions opened with (or recovered by) that auth session."""
        return [s for s in self._sessions.values() if s.auth.id == auth.id]

    def end_expired(self) -> None:
        """End the sessions whose recovery window has passed."""
        for session in list(self._sessions.values()):
            if self.recovery_expired(session):
                self.end(session, "recovery window passed")

    def _new(self, auth: AuthSession) -> WsSession:
        session = WsSession(token=secrets.token_urlsafe(24), auth=auth, created_at=self._clock.now())
        self._sessions[session.token] = session
        return session

    def _take_over(self, old: WsConnection) -> None:
        session = old.session
        session.buffer.extendleft(reversed(old.take_unsent()))
        session.connection = None
        old.close(Close(code=WSCloseCode.GOING_AWAY))

    def _trim(self, session: WsSession) -> None:
        while len(session.buffer) > max(0, self._config.ws_recovery_buffer_size):
            session.buffer.popleft()
