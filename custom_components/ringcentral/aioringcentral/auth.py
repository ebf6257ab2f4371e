"""OAuth for a RingCentral app: JWT login, refresh, fallback, revoke, and token persistence.

RingCentral keeps at most about five sessions per user and app and silently revokes the oldest
when a sixth is opened, so a long-running caller should persist the `TokenSet` it is handed through
`on_tokens` and resume with it after a restart instead of logging in again.

Refresh tokens are single use: every refresh goes through one lock, and a caller that finds the
token already renewed by someone else just uses the new one. A refresh the server rejects (revoked
session, expired or reused token) falls back to a JWT login; a JWT the server rejects raises
`InvalidCredentialsError`, the one thing the user must fix.
"""

from __future__ import annotations

import asyncio
import base64
import inspect
import logging
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from .errors import InvalidCredentialsError, ParseError, RingCentralError
from .ratelimit import AUTH
from .requester import Requester, Response, error_details, error_from_response
from .timebase import Clock

_LOGGER = logging.getLogger(__name__)

TOKEN_PATH: Final = "/restapi/oauth/token"  # noqa: S105 - a path, not a secret
REVOKE_PATH: Final = "/restapi/oauth/revoke"
JWT_GRANT: Final = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# Renew the access token this long before it expires, so a request never carries a dying token.
DEFAULT_REFRESH_MARGIN: Final = 60.0

type TokenCallback = Callable[[TokenSet | None], Awaitable[None] | None]


def basic_authorization(client_id: str, client_secret: str) -> str:
    """The `Authorization` header value for HTTP Basic (RFC 7617) with the app's id and secret.

    Built here rather than with `aiohttp.BasicAuth`, which aiohttp 3.14 deprecates. It holds the
    secret: never log it. `ValueError` (naming no value) for an id with a colon, which RFC 7617 forbids.
    """
    if ":" in client_id:
        raise ValueError("client_id must not contain a colon")
    credentials = f"{client_id}:{client_secret}".encode()  # UTF-8, the one charset RFC 7617 names
    return "Basic " + base64.b64encode(credentials).decode("ascii")


@dataclass(frozen=True, slots=True)
class TokenSet:
    """One OAuth session. Expiry times are epoch seconds of the client's clock."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    access_expires_at: float
    refresh_expires_at: float
    owner_id: str | None = None
    scope: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-safe dict for the caller's token store (it holds secrets: store it as such)."""
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "access_expires_at": self.access_expires_at,
            "refresh_expires_at": self.refresh_expires_at,
            "owner_id": self.owner_id,
            "scope": self.scope,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TokenSet:
        """Read what `as_dict` wrote; `ValueError` names the first bad field (never its value)."""
        if not isinstance(data, Mapping):
            # ValueError like every other defect of stored data, so callers catch one thing.
            raise ValueError("stored tokens must be a mapping")  # noqa: TRY004
        values: dict[str, Any] = {}
        for name in ("access_token", "refresh_token"):
            value = data.get(name)
            if not isinstance(value, str) or not value:
                raise ValueError(f"stored tokens: {name} must be a non-empty string")
            values[name] = value
        for name in ("access_expires_at", "refresh_expires_at"):
            value = data.get(name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise ValueError(f"stored tokens: {name} must be a number")
            values[name] = float(value)
        for name in ("owner_id", "scope"):
            value = data.get(name)
            if value is not None and not isinstance(value, str):
                raise ValueError(f"stored tokens: {name} must be a string or null")
            values[name] = value
        return cls(**values)

    @classmethod
    def from_response(cls, body: Mapping[str, Any], now: float) -> TokenSet:
        """Build from a `/restapi/oauth/token` answer received at `now`."""
        try:
            access = body["access_token"]
            refresh = body["refresh_token"]
            expires_in = float(body["expires_in"])
            refresh_expires_in = float(body["refresh_token_expires_in"])
        except (KeyError, TypeError, ValueError) as err:
            raise ParseError("RingCentral's token answer lacks a token or its lifetime") from err
        if not isinstance(access, str) or not isinstance(refresh, str) or not access or not refresh:
            raise ParseError("RingCentral's token answer has malformed tokens")
        owner = body.get("owner_id")
        scope = body.get("scope")
        return cls(
            access_token=access,
            refresh_token=refresh,
            access_expires_at=now + expires_in,
            refresh_expires_at=now + refresh_expires_in,
            owner_id=None if owner is None else str(owner),
            scope=scope if isinstance(scope, str) else None,
        )


class Auth:
    """Keeps a valid access token for one app and one JWT user."""

    def __init__(
        self,
        requester: Requester,
        *,
        client_id: str,
        client_secret: str,
        jwt: str,
        tokens: TokenSet | None = None,
        on_tokens: TokenCallback | None = None,
        clock: Clock = time.time,
        refresh_margin: float = DEFAULT_REFRESH_MARGIN,
    ) -> None:
        self._requester = requester
        self._basic = {"Authorization": basic_authorization(client_id, client_secret)}
        self._jwt = jwt
        self._tokens = tokens
        self._on_tokens = on_tokens
        self._clock = clock
        self.refresh_margin = refresh_margin
        self._lock = asyncio.Lock()
        self.logins = 0
        self.refreshes = 0

    def __repr__(self) -> str:
        return f"Auth(owner_id={self.owner_id!r}, logged_in={self._tokens is not None})"

    @property
    def tokens(self) -> TokenSet | None:
        return self._tokens

    @property
    def owner_id(self) -> str | None:
        return self._tokens.owner_id if self._tokens else None

    async def access_token(self) -> str:
        """A valid access token: the current one, or a renewed one when it is about to expire."""
        tokens = self._tokens
        if tokens is not None and not self._access_expiring(tokens):
            return tokens.access_token
        async with self._lock:
            tokens = self._tokens
            if tokens is None or self._access_expiring(tokens):
                tokens = await self._renew(tokens)
            return tokens.access_token

    async def token_rejected(self, token: str, *, login: bool = False) -> str:
        """RingCentral answered 401 to `token` (expired early, revoked, or a sixth session pushed
        this one out): renew once, however many requests saw the 401, and return the new token.
        With `login`, renew by a JWT login (no refresh): the check that the credentials still work,
        for a token that was itself just issued."""
        async with self._lock:
            tokens = self._tokens
            if tokens is None or tokens.access_token == token:
                tokens = await (self._login() if login else self._renew(tokens))
            return tokens.access_token

    async def login(self) -> TokenSet:
        """Open a new session with the JWT, replacing the current one."""
        async with self._lock:
            return await self._login()

    async def refresh(self) -> TokenSet:
        """Renew with the refresh token now (a JWT login when there is none or it is refused)."""
        async with self._lock:
            return await self._renew(self._tokens)

    async def revoke(self) -> bool:
        """End the session on the server and forget the tokens. Best effort: a failure is logged,
        the tokens are forgotten anyway. Returns whether the server confirmed."""
        async with self._lock:
            tokens = self._tokens
            if tokens is None:
                return True
            confirmed = False
            try:
                response = await self._requester.request(
                    "POST",
                    REVOKE_PATH,
                    form={"token": tokens.access_token},
                    headers=self._basic,
                    group=AUTH,
                )
            except RingCentralError as err:
                _LOGGER.debug("Token revocation failed: %s", err.message)
            else:
                confirmed = 200 <= response.status < 300
                if not confirmed:
                    _LOGGER.debug("Token revocation answered HTTP %d", response.status)
            await self._set(None)
            return confirmed

    def _access_expiring(self, tokens: TokenSet) -> bool:
        return tokens.access_expires_at - self.refresh_margin <= self._clock()

    async def _renew(self, tokens: TokenSet | None) -> TokenSet:
        # Lock held. A refresh token about to expire is not worth trying: log in instead.
        if tokens is None or tokens.refresh_expires_at - self.refresh_margin / 6 <= self._clock():
            return await self._login()
        response = await self._token_request(
            {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token}
        )
        if response.status == 200:
            self.refreshes += 1
            _LOGGER.debug("Access token refreshed")
            return await self._accept(response)
        if 400 <= response.status < 500:
            code, message, _ = error_details(response)
            _LOGGER.info(
                "RingCentral refused the refresh token (%s: %s); logging in with the JWT", code, message
            )
            return await self._login()
        raise error_from_response(response, "Token refresh")

    async def _login(self) -> TokenSet:
        # Lock held.
        response = await self._token_request({"grant_type": JWT_GRANT, "assertion": self._jwt})
        if response.status == 200:
            self.logins += 1
            _LOGGER.debug("Logged in with the JWT")
            return await self._accept(response)
        if response.status in (400, 401, 403):
            code, message, _ = error_details(response)
            await self._set(None)
            raise InvalidCredentialsError(
                f"RingCentral rejected the app credentials or the JWT: {message} ({code or 'no error code'})"
            )
        raise error_from_response(response, "JWT login")

    async def _token_request(self, form: dict[str, str]) -> Response:
        return await self._requester.request("POST", TOKEN_PATH, form=form, headers=self._basic, group=AUTH)

    async def _accept(self, response: Response) -> TokenSet:
        tokens = TokenSet.from_response(response.json_object(), self._clock())
        await self._set(tokens)
        return tokens

    async def _set(self, tokens: TokenSet | None) -> None:
        if tokens is None and self._tokens is None:
            return
        self._tokens = tokens
        if self._on_tokens is None:
            return
        try:
            result = self._on_tokens(tokens)
            if inspect.isawaitable(result):
                await result
        except Exception:
            # The token store is the caller's; its failure must not break authentication.
            _LOGGER.exception("The on_tokens callback failed")
