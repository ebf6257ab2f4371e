"""`RingCentralClient`: typed REST methods over an injected `aiohttp.ClientSession`.

Every request goes through the shared `RateLimiter` (its usage-plan group is known from the path),
carries a token from `Auth`, and is retried on 5xx, timeouts and network errors. A 401 renews the
token (refresh, else JWT login) and repeats the request; a 401 on that fresh token (the session can
be revoked again right after it was opened) logs in with the JWT once more. Only a refused JWT means
the credentials no longer work (`InvalidCredentialsError`); a third 401 is `TemporarilyUnavailableError`.
Other errors map to the `errors` hierarchy.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import aiohttp

from .api_control import ControlApi
from .api_directory import DirectoryApi
from .api_messages import MessagesApi
from .auth import Auth, TokenCallback, TokenSet
from .batch import BATCH_JSON, parse_batch
from .errors import (
    ApiError,
    InvalidCredentialsError,
    ParseError,
    RingCentralError,
    TemporarilyUnavailableError,
)
from .models import (
    AccountInfo,
    ExtensionInfo,
    Presence,
    SubscriptionInfo,
    TelephonySession,
    parse_presence,
    parse_telephony_session,
)
from .ratelimit import AUTH, RateLimiter
from .requester import DEFAULT_MAX_RETRIES, DEFAULT_REQUEST_TIMEOUT, Requester, Response, error_from_response
from .timebase import Clock, Sleep
from .validate import path_id

_LOGGER = logging.getLogger(__name__)

API: Final = "/restapi/v1.0"
ACCOUNT: Final = API + "/account/~"
SUBSCRIPTION: Final = API + "/subscription"
WSTOKEN_PATH: Final = "/restapi/oauth/wstoken"
PRESENCE_BATCH: Final = 30  # RingCentral's maximum resources per batch request
MAX_PER_PAGE: Final = 1000
# Sends of one request when RingCentral answers 401: the token as is, renewed, then after a JWT login.
_AUTH_ATTEMPTS: Final = 3
_DETAILED: Final = {"detailedTelephonyState": "true", "sipData": "true"}


@dataclass(frozen=True, slots=True)
class WsToken:
    """A single-use WebSocket access token and the gateway to use it at."""

    token: str = field(repr=False)
    uri: str
    expires_at: float


class RingCentralClient:
    """An authenticated RingCentral REST client for one app and one JWT user.

    Reads are defined here; acting (presence, call control, RingOut) is `client.control` (`ControlApi`).
    """

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

    # -- account and extensions -----------------------------------------------------------------

    async def get_account_info(self) -> AccountInfo:
        response = await self._call("GET", ACCOUNT)
        return AccountInfo.from_dict(response.json_object())

    async def get_extension_info(self, ext: str = "~") -> ExtensionInfo:
        response = await self._call("GET", f"{ACCOUNT}/extension/{_id(ext)}")
        return ExtensionInfo.from_dict(response.json_object())

    async def list_extensions(
        self,
        *,
        types: Sequence[str] = (),
        statuses: Sequence[str] = (),
        per_page: int = MAX_PER_PAGE,
    ) -> list[ExtensionInfo]:
        """Every extension of the account (all pages), optionally filtered by type and status."""
        params: dict[str, str] = {}
        if types:
            params["type"] = ",".join(types)
        if statuses:
            params["status"] = ",".join(statuses)
        records = await self._all_pages(f"{ACCOUNT}/extension", params, per_page)
        return [ExtensionInfo.from_dict(record) for record in records]

    # -- presence -------------------------------------------------------------------------------

    async def get_presence(self, ext: str = "~") -> Presence:
        """One extension's detailed presence (with active calls and SIP data)."""
        response = await self._call("GET", f"{ACCOUNT}/extension/{_id(ext)}/presence", params=_DETAILED)
        return parse_presence(response.json_object(), extension_id=None if ext == "~" else ext, detailed=True)

    async def get_presences(self, ids: Iterable[str]) -> dict[str, Presence | RingCentralError]:
        """Detailed presence of many extensions, in batches of 30. Each id gets its presence or the
        error RingCentral answered for it (one unknown id does not fail the others); errors of the
        whole request (auth, rate limit, network) are raised."""
        unique = list(dict.fromkeys(_id(ext) for ext in ids))
        results: dict[str, Presence | RingCentralError] = {}
        for start in range(0, len(unique), PRESENCE_BATCH):
            chunk = unique[start : start + PRESENCE_BATCH]
            if len(chunk) == 1:
                # RingCentral answers a single id with a plain body, not a batch.
                try:
                    results[chunk[0]] = await self.get_presence(chunk[0])
                except (ApiError, ParseError) as err:
                    results[chunk[0]] = err
                continue
            response = await self._call(
                "GET",
                f"{ACCOUNT}/extension/{','.join(chunk)}/presence",
                params=_DETAILED,
                headers={"Accept": BATCH_JSON},
                ok=(200, 207),
            )
            results.update(self._presence_parts(chunk, response))
        return results

    def _presence_parts(self, chunk: list[str], response: Response) -> dict[str, Presence | RingCentralError]:
        parts = parse_batch(response.raw, response.headers.get("Content-Type", ""))
        if len(parts) != len(chunk):
            raise ParseError(f"batch presence: asked for {len(chunk)} extensions, got {len(parts)} parts")
        results: dict[str, Presence | RingCentralError] = {}
        for ext, part in zip(chunk, parts, strict=True):
            key = part.resource_id or ext
            if part.status == 200:
                try:
                    results[key] = parse_presence(part.body, extension_id=key, detailed=True)
                except ParseError as err:
                    results[key] = err
            else:
                part_response = Response(part.status, {}, "application/json", _json_bytes(part.body))
                results[key] = error_from_response(part_response, f"Presence of extension {key}")
        return results

    async def get_account_presence(self, *, per_page: int = MAX_PER_PAGE) -> list[Presence]:
        """Detailed presence of every extension of the account (all pages; admin only)."""
        records = await self._all_pages(f"{ACCOUNT}/presence", {"detailedTelephonyState": "true"}, per_page)
        return [parse_presence(record, detailed=True) for record in records]

    # -- telephony ------------------------------------------------------------------------------

    async def get_telephony_session(self, telephony_session_id: str) -> TelephonySession | None:
        """A call's current state; None when the session no longer exists."""
        try:
            response = await self._call("GET", f"{ACCOUNT}/telephony/sessions/{_id(telephony_session_id)}")
        except ApiError as err:
            if err.status == 404:
                return None
            raise
        return parse_telephony_session(response.json_object())

    # -- subscriptions --------------------------------------------------------------------------

    async def create_subscription(
        self,
        event_filters: Sequence[str],
        delivery_mode: Mapping[str, Any],
        *,
        expires_in: int | None = None,
    ) -> SubscriptionInfo:
        """Create a subscription; check `disabled_filters` for filters RingCentral refused."""
        body: dict[str, Any] = {"eventFilters": list(event_filters), "deliveryMode": dict(delivery_mode)}
        if expires_in is not None:
            body["expiresIn"] = expires_in
        response = await self._call("POST", SUBSCRIPTION, json_body=body)
        return SubscriptionInfo.from_dict(response.json_object())

    async def list_subscriptions(self) -> list[SubscriptionInfo]:
        response = await self._call("GET", SUBSCRIPTION)
        records = response.json_object().get("records")
        if not isinstance(records, list):
            raise ParseError("subscription list: records missing")
        return [SubscriptionInfo.from_dict(record) for record in records]

    async def get_subscription(self, subscription_id: str) -> SubscriptionInfo:
        response = await self._call("GET", f"{SUBSCRIPTION}/{_id(subscription_id)}")
        return SubscriptionInfo.from_dict(response.json_object())

    async def update_subscription(
        self,
        subscription_id: str,
        event_filters: Sequence[str],
        *,
        delivery_mode: Mapping[str, Any] | None = None,
        expires_in: int | None = None,
    ) -> SubscriptionInfo:
        """Replace the filters (and optionally delivery mode / lifetime); also renews it."""
        body: dict[str, Any] = {"eventFilters": list(event_filters)}
        if delivery_mode is not None:
            body["deliveryMode"] = dict(delivery_mode)
        if expires_in is not None:
            body["expiresIn"] = expires_in
        response = await self._call("PUT", f"{SUBSCRIPTION}/{_id(subscription_id)}", json_body=body)
        return SubscriptionInfo.from_dict(response.json_object())

    async def renew_subscription(self, subscription_id: str) -> SubscriptionInfo:
        response = await self._call("POST", f"{SUBSCRIPTION}/{_id(subscription_id)}/renew")
        return SubscriptionInfo.from_dict(response.json_object())

    async def delete_subscription(self, subscription_id: str) -> bool:
        """Delete; returns False when it was already gone (404), which is not an error here."""
        try:
            await self._call("DELETE", f"{SUBSCRIPTION}/{_id(subscription_id)}", ok=(200, 204))
        except ApiError as err:
            if err.status == 404:
                return False
            raise
        return True

    # -- WebSocket ------------------------------------------------------------------------------

    async def get_wstoken(self) -> WsToken:
        """A fresh single-use WebSocket token (`POST /restapi/oauth/wstoken`, Auth group)."""
        now = self.clock()
        body = (await self._call("POST", WSTOKEN_PATH, group=AUTH)).json_object()
        token = body.get("ws_access_token")
        uri = body.get("uri")
        if not isinstance(token, str) or not token or not isinstance(uri, str) or not uri:
            raise ParseError("wstoken answer: ws_access_token or uri missing")
        expires_in = body.get("expires_in")
        lifetime = float(expires_in) if isinstance(expires_in, int | float) else 30.0
        return WsToken(token=token, uri=uri, expires_at=now + lifetime)

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


def _id(value: str) -> str:
    """An id for a URL path; `ValueError` for anything that is not a plain id."""
    return path_id(value)


def _json_bytes(body: Any) -> bytes:
    return json.dumps(body).encode()
