"""`RingCentralClient`: typed REST methods over an injected `aiohttp.ClientSession`.

The reads (account, extensions, presence, telephony sessions), subscriptions and the WebSocket token
are defined here; construction, the session and the request plumbing (auth, rate limits, retries,
errors) are `RestCore`'s (`rest_core.py`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from .batch import BATCH_JSON, parse_batch
from .errors import ApiError, ParseError, RingCentralError
from .models import (
    AccountInfo,
    ExtensionInfo,
    Presence,
    SubscriptionInfo,
    TelephonySession,
    parse_presence,
    parse_telephony_session,
)
from .ratelimit import AUTH
from .requester import Response, error_from_response
from .rest_core import MAX_PER_PAGE, RestCore
from .validate import path_id

API: Final = "/restapi/v1.0"
ACCOUNT: Final = API + "/account/~"
SUBSCRIPTION: Final = API + "/subscription"
WSTOKEN_PATH: Final = "/restapi/oauth/wstoken"
PRESENCE_BATCH: Final = 30  # RingCentral's maximum resources per batch request
_DETAILED: Final = {"detailedTelephonyState": "true", "sipData": "true"}


@dataclass(frozen=True, slots=True)
class WsToken:
    """A single-use WebSocket access token and the gateway to use it at."""

    token: str = field(repr=False)
    uri: str
    expires_at: float


class RingCentralClient(RestCore):
    """An authenticated RingCentral REST client for one app and one JWT user.

    Reads are defined here; acting (presence, call control, RingOut) is `client.control` (`ControlApi`).
    """

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


def _id(value: str) -> str:
    """An id for a URL path; `ValueError` for anything that is not a plain id."""
    return path_id(value)


def _json_bytes(body: Any) -> bytes:
    return json.dumps(body).encode()
