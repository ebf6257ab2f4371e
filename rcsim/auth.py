"""OAuth sessions: JWT login, refresh, revoke, WebSocket tokens, and Bearer validation for every REST route.

Behaviour follows RingCentral's documentation: access tokens live `access_token_ttl`, refresh tokens
are single use (a reused one still works for `refresh_grace` seconds, then is rejected), and a user
may hold at most `max_sessions_per_user` sessions per app: one more login silently revokes the oldest.
All expiry is measured on the simulator's clock (simulated time). The HTTP endpoints are in `oauth.py`.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .clock import SimClock
from .config import SimConfig
from .errors import RingCentralHTTPError
from .log import SimLog
from .model import Account, App, Extension


@dataclass
class AuthSession:
    """One login of one user through the app: a chain of access/refresh token pairs."""

    id: str
    extension: Extension
    client_id: str
    created_at: float
    access_token: str = ""
    refresh_token: str = ""
    access_expires_at: float = 0.0
    refresh_expires_at: float = 0.0
    endpoint_id: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    revoked: bool = False


@dataclass
class _UsedRefresh:
    """A refresh token already exchanged: accepted again until `grace_until`."""

    session: AuthSession
    grace_until: float


def grant_error(status: int, error: str, code: str, message: str) -> RingCentralHTTPError:
    return RingCentralHTTPError(status, code, message, oauth_error=error)


def bearer_token(request: web.Request) -> str | None:
    """The token of an `Authorization: Bearer` header, if any."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


class AuthManager:
    """Issues, validates and revokes tokens."""

    def __init__(self, config: SimConfig, clock: SimClock, account: Account, app: App, log: SimLog) -> None:
        self._config = config
        self._clock = clock
        self._account = account
        self._app = app
        self._log = log
        self._by_access: dict[str, AuthSession] = {}
        self._by_refresh: dict[str, AuthSession] = {}
        self._used_refresh: dict[str, _UsedRefresh] = {}
        self._retired_access: dict[str, tuple[AuthSession, float]] = {}
        self._ws_tokens: dict[str, tuple[AuthSession, float]] = {}
        self._sessions: list[AuthSession] = []  # live sessions, oldest first
        self._revoke_callbacks: list[Callable[[AuthSession], None]] = []

    # -- queries -------------------------------------------------------------------------------

    @property
    def sessions(self) -> list[AuthSession]:
        """Live (not revoked) sessions, oldest first."""
        return list(self._sessions)

    def sessions_of(self, extension_id: str, client_id: str | None = None) -> list[AuthSession]:
        client = client_id or self._app.client_id
        return [s for s in self._sessions if s.extension.id == extension_id and s.client_id == client]

    def peek(self, request: web.Request) -> AuthSession | None:
        """The live session of a request's Bearer token, or None; never raises (rate-limit keying)."""
        token = bearer_token(request)
        if token is None:
            return None
        session = self._lookup_access(token)
        if session is None or session.revoked or self._clock.now() >= session.access_expires_at:
            return None
        return session

    def session_for_refresh(self, token: str) -> AuthSession | None:
        """Who a refresh token belongs to (rate-limit keying); None when unknown."""
        if token in self._by_refresh:
            return self._by_refresh[token]
        used = self._used_refresh.get(token)
        return used.session if used else None

    def extension_for_assertion(self, assertion: str) -> Extension | None:
        for ext in self._account.extensions.values():
            if secrets.compare_digest(ext.jwt, assertion):
                return ext
        return None

    # -- validation ----------------------------------------------------------------------------

    def authenticate(self, request: web.Request) -> AuthSession:
        """The session of a request's Bearer token; raises a 401 RingCentral error otherwise."""
        token = bearer_token(request)
        if token is None:
            raise RingCentralHTTPError(401, "OAU-123", "Authorization header is not specified")
        session = self._lookup_access(token)
        if session is None or session.revoked:
            raise RingCentralHTTPError(401, "OAU-213", "Token not found")
        if self._clock.now() >= session.access_expires_at:
            raise RingCentralHTTPError(401, "OAU-128", "Access token expired")
        return session

    def _lookup_access(self, token: str) -> AuthSession | None:
        session = self._by_access.get(token)
        if session is not None:
            return session
        # The access token a refresh replaced stays usable during the refresh grace period.
        retired = self._retired_access.get(token)
        if retired is not None and self._clock.now() < retired[1]:
            return retired[0]
        return None

    def require_permission(self, permission: str) -> None:
        """403 CMN-408 when the app lacks an app permission."""
        if permission not in self._app.permissions:
            raise RingCentralHTTPError(
                403,
                "CMN-408",
                f"In order to call this API endpoint, application needs to have [{permission}] permission",
                permissionName=permission,
            )

    def validate_ws_token(self, token: str) -> AuthSession | None:
        """The session a WebSocket token was issued for; single use, expires after `wstoken_ttl`."""
        entry = self._ws_tokens.pop(token, None)
        if entry is None:
            return None
        session, expires_at = entry
        if session.revoked or self._clock.now() >= expires_at:
            return None
        return session

    # -- lifecycle -----------------------------------------------------------------------------

    def login(self, extension: Extension, client_id: str) -> AuthSession:
        """Start a session; evicts the user's oldest ones beyond `max_sessions_per_user`."""
        now = self._clock.now()
        session = AuthSession(
            id=secrets.token_hex(8), extension=extension, client_id=client_id, created_at=now
        )
        self._issue(session)
        self._sessions.append(session)
        mine = self.sessions_of(extension.id, client_id)
        for old in mine[: max(0, len(mine) - self._config.max_sessions_per_user)]:
            self.revoke(old)
        return session

    def refresh(self, refresh_token: str) -> AuthSession:
        """Exchange a refresh token; a token already used is accepted only within the grace period."""
        now = self._clock.now()
        session = self._by_refresh.get(refresh_token)
        if session is None:
            used = self._used_refresh.get(refresh_token)
            if used is not None and now < used.grace_until and not used.session.revoked:
                return used.session  # a retry of the same exchange gets the same new pair
            raise grant_error(400, "invalid_grant", "OAU-149", "Invalid refresh token")
        if session.revoked:
            raise grant_error(400, "invalid_grant", "OAU-149", "Invalid refresh token")
        if now >= session.refresh_expires_at:
            raise grant_error(400, "invalid_grant", "OAU-149", "Refresh token has expired")
        grace_until = now + self._config.refresh_grace
        del self._by_refresh[refresh_token]
        self._used_refresh[refresh_token] = _UsedRefresh(session, grace_until)
        self._by_access.pop(session.access_token, None)
        self._retired_access[session.access_token] = (session, min(grace_until, session.access_expires_at))
        self._issue(session)
        self._prune(now)
        return session

    def _issue(self, session: AuthSession) -> None:
        now = self._clock.now()
        config = self._config
        session.access_token = "sim-at-" + secrets.token_urlsafe(32)
        session.refresh_token = "sim-rt-" + secrets.token_urlsafe(32)
        session.access_expires_at = now + config.access_token_ttl
        session.refresh_expires_at = now + config.refresh_token_ttl
        self._by_access[session.access_token] = session
        self._by_refresh[session.refresh_token] = session

    def issue_ws_token(self, session: AuthSession) -> tuple[str, int]:
        ttl = self._config.wstoken_ttl
        token = "sim-ws-" + secrets.token_urlsafe(32)
        self._ws_tokens[token] = (session, self._clock.now() + ttl)
        return token, ttl

    def revoke(self, session: AuthSession) -> None:
        """End a session: its access, refresh and WebSocket tokens stop working at once."""
        if session.revoked:
            return
        session.revoked = True
        self._by_access.pop(session.access_token, None)
        self._by_refresh.pop(session.refresh_token, None)
        for store in (self._ws_tokens, self._retired_access):
            for token in [t for t, (s, _) in store.items() if s is session]:
                del store[token]
        for token in [t for t, used in self._used_refresh.items() if used.session is session]:
            del self._used_refresh[token]
        if session in self._sessions:
            self._sessions.remove(session)
        self._log.record("auth", action="revoked", session=session.id, extension_id=session.extension.id)
        for callback in list(self._revoke_callbacks):
            callback(session)

    def revoke_token(self, token: str) -> bool:
        """Revoke the session an access or refresh token belongs to; False when unknown."""
        session = self._by_access.get(token) or self._by_refresh.get(token)
        if session is None:
            return False
        self.revoke(session)
        return True

    def revoke_all(self) -> None:
        for session in list(self._sessions):
            self.revoke(session)

    def on_revoke(self, callback: Callable[[AuthSession], None]) -> None:
        """Call `callback(session)` whenever a session ends (revoke, eviction by a newer login)."""
        self._revoke_callbacks.append(callback)

    def _prune(self, now: float) -> None:
        for token in [t for t, used in self._used_refresh.items() if used.grace_until <= now]:
            del self._used_refresh[token]
        for token in [t for t, (_, until) in self._retired_access.items() if until <= now]:
            del self._retired_access[token]
        for token in [t for t, (_, until) in self._ws_tokens.items() if until <= now]:
            del self._ws_tokens[token]

    # -- HTTP ----------------------------------------------------------------------------------

    def token_body(self, session: AuthSession) -> dict[str, Any]:
        now = self._clock.now()
        return {
            "access_token": session.access_token,
            "token_type": "bearer",
            "expires_in": max(0, round(session.access_expires_at - now)),
            "refresh_token": session.refresh_token,
            "refresh_token_expires_in": max(0, round(session.refresh_expires_at - now)),
            "scope": " ".join(sorted(self._app.permissions)),
            "owner_id": session.extension.id,
            "endpoint_id": session.endpoint_id,
        }

    def check_client(self, request: web.Request) -> str:
        """The client id of valid HTTP Basic client credentials; 401 OAU-140 otherwise."""
        scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
        try:
            client_id, sep, secret = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            sep = client_id = secret = ""
        app = self._app
        if (
            scheme.lower() != "basic"
            or not sep
            or not secrets.compare_digest(client_id, app.client_id)
            or not secrets.compare_digest(secret, app.client_secret)
        ):
            raise grant_error(401, "invalid_client", "OAU-140", "Invalid client credentials")
        return client_id
