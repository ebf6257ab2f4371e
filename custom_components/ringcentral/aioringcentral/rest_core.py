"""The core of `RingCentralClient`: its construction, the session (login, close) and the plumbing
every request goes through (`_call`, `_all_pages`).

Every request goes through the shared `RateLimiter` (its usage-plan group is known from the path),
carries a token from `Auth`, and is retried on 5xx, timeouts and network errors. A 401 renews the
token (refresh, else JWT login) and repeats the request; a 401 on that fresh token (the session can
be revoked again right after it was opened) logs in with the JWT once more. Only a refused JWT means
the credentials no longer work (`InvalidCredentialsError`); a third 401 is `TemporarilyUnavailableError`.
Other errors map to the `errors` hierarchy.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Mapping
from typing import Any, Final

import aiohttp

from .api_control import ControlApi
from .api_directory import DirectoryApi
from .api_messages import MessagesApi
from .auth import Auth, TokenCallback, TokenSet
from .errors import InvalidCredentialsError, ParseError, TemporarilyUnavailableError
from .ratelimit import RateLimiter
from .requester import DEFAULT_MAX_RETRIES, DEFAULT_REQUEST_TIMEOUT, Requester, Response, error_from_response
from .timebase import Clock, Sleep

_LOGGER = logging.getLogger(__name__)

MAX_PER_PAGE: Final = 1000
# Sends of one request when RingCentral answers 401: the token as is, renewed, then after a JWT login.
_AUTH_ATTEMPTS: Final = 3


class RestCore:
    """An authenticated session for one app and one JWT user, and the requests over it; the endpoint
    methods are `RingCentralClient`'s (and its API classes')."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        server: str,
        client_id: str,
        client_secret: str,
        jwt: str,
        tokens: TokenSet | None = None,
        on_tokens: TokenCallback | None = None,
        limiter: RateLimiter | None = None,
        clock: Clock = time.time,
        sleep: Sleep | None = None,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        rng: random.Random | None = None,
    ) -> None:
        """`clock`/`sleep` read and wait in RingCentral's seconds (defaults: wall clock,
        `asyncio.sleep`); `request_timeout` is real seconds per HTTP attempt."""
        if not server.startswith(("https://", "http://")):
            raise ValueError("server must be an http(s) URL, e.g. https://platform.ringcentral.com")
        for name, value in (("client_id", client_id), ("client_secret", client_secret), ("jwt", jwt)):
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"{name} must be a non-empty string")
        self.session = session
        self.server = server.rstrip("/")
        self.clock = clock
        self.sleep: Sleep = sleep or asyncio.sleep
        self.limiter = limiter or RateLimiter(clock=clock, sleep=self.sleep)
        self.requester = Requester(
            session,
            self.server,
            self.limiter,
            sleep=self.sleep,
            clock=clock,
            request_timeout=request_timeout,
            max_retries=max_retries,
            rng=rng,
        )
        self.auth = Auth(
            self.requester,
            client_id=client_id,
            client_secret=client_secret,
            jwt=jwt,
            tokens=tokens,
            on_tokens=on_tokens,
            clock=clock,
        )
        # Acting; messages, SMS and numbers; names (directory, contacts): small API classes over `_call`.
        self.control = ControlApi(self)
        self.messages = MessagesApi(self)
        self.directory = DirectoryApi(self)

    def __repr__(self) -> str:
        return f"RingCentralClient(server={self.server!r}, owner_id={self.auth.owner_id!r})"

    @property
    def tokens(self) -> TokenSet | None:
        return self.auth.tokens

    @property
    def owner_id(self) -> str | None:
        """The extension id of the logged-in user (known after `login`)."""
        return self.auth.owner_id

    # -- session --------------------------------------------------------------------------------

    async def login(self) -> TokenSet:
        """Make sure there is a usable session: the stored tokens (refreshed if due) when given,
        otherwise a JWT login. Raises `InvalidCredentialsError` when the credentials are refused."""
        await self.auth.access_token()
        tokens = self.auth.tokens
        if tokens is None:  # pragma: no cover - access_token() either sets tokens or raises
            raise InvalidCredentialsError("RingCentral login produced no tokens")
        return tokens

    async def close(self, revoke: bool = True) -> None:
        """End the client. With `revoke`, the session is revoked on the server and the token store
        is told (`on_tokens(None)`); without, the tokens stay valid for a later resume."""
        if revoke:
            await self.auth.revoke()

    def diagnostics(self) -> dict[str, Any]:
        """Secret-free state for diagnostics."""
        tokens = self.auth.tokens
        return {
            "server": self.server,
            "owner_id": self.owner_id,
            "logged_in": tokens is not None,
            "access_expires_at": tokens.access_expires_at if tokens else None,
            "refresh_expires_at": tokens.refresh_expires_at if tokens else None,
            "logins": self.auth.logins,
            "refreshes": self.auth.refreshes,
            "rate_limits": self.limiter.as_dict(),
        }

    # -- plumbing -------------------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        group: str | None = None,
        ok: tuple[int, ...] = (200,),
        max_wait: float | None = None,
        retries: int | None = None,
    ) -> Response:
        """An authenticated request; returns an `ok` answer or raises the matching error.
        `max_wait` / `retries`: see `Requester.request` (None: the client's defaults)."""
        sent: list[str] = []

        async def bearer() -> str:
            token = await self.auth.access_token()
            sent.append(token)
            return token

        for attempt in range(1, _AUTH_ATTEMPTS + 1):
            response = await self.requester.request(
                method,
                path,
                params=params,
                json_body=json_body,
                headers=headers,
                bearer=bearer,
                group=group,
                max_wait=max_wait,
                retries=retries,
            )
            if response.status in ok:
                return response
            if response.status != 401:
                raise error_from_response(response, f"{method} {path}")
            if attempt < _AUTH_ATTEMPTS and sent:
                # A second 401 was on a token issued moments ago: the session may have been revoked
                # again in between, so log in with the JWT. Only the JWT refused means bad credentials
                # (`InvalidCredentialsError` from the login).
                _LOGGER.debug("%s %s: access token refused, renewing it", method, path)
                await self.auth.token_rejected(sent[-1], login=attempt > 1)
        raise TemporarilyUnavailableError(
            f"{method} {path}: RingCentral refused access tokens it had just issued (HTTP 401); "
            "the JWT login still works, so trying again later"
        )

    async def _all_pages(
        self, path: str, params: Mapping[str, str], per_page: int, *, max_wait: float | None = None
    ) -> list[Any]:
        """`records` of every page, following RingCentral's `navigation.nextPage`."""
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise ValueError(f"per_page must be between 1 and {MAX_PER_PAGE}")
        records: list[Any] = []
        page = 1
        while True:
            query = {**params, "page": str(page), "perPage": str(per_page)}
            body = (await self._call("GET", path, params=query, max_wait=max_wait)).json_object()
            page_records = body.get("records")
            if not isinstance(page_records, list):
                raise ParseError(f"{path}: page {page} has no records list")
            records.extend(page_records)
            navigation = body.get("navigation")
            has_next = isinstance(navigation, dict) and isinstance(navigation.get("nextPage"), dict)
            if not has_next or not page_records:
                return records
            page += 1
