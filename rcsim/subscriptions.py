"""Subscriptions: the API (`/restapi/v1.0/subscription`) that creates, lists, renews, changes, deletes them.

`SubscriptionManager` owns every subscription. REST routes and WebSocket `ClientRequest`s share
`handle_request`, which checks each request and its event filters. Keeping the subscriptions and
delivering events to them is `SubscriptionStore`'s part (`subscription_store.py`).
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from aiohttp import web

from .auth import AuthManager, AuthSession
from .clock import SimClock
from .config import SimConfig
from .errors import error_body
from .event_filters import EventFilter, FilterError, disabled_reason, parse_filter
from .events import EventBus
from .faults import Faults
from .log import SimLog
from .model import Account, App, Extension
from .subscription_model import (
    BLACKLISTED,
    Subscription,
    SubscriptionError,
    invalid_parameter,
    not_found,
)
from .subscription_store import SubscriptionStore

SUBSCRIPTION_PATH = "/restapi/v1.0/subscription"
_PATH_RE = re.compile(r"^/restapi/v1\.0/subscription(?:/(?P<id>[^/]+)(?P<renew>/renew)?)?$")

Reply = tuple[int, dict[str, Any] | None]


class SubscriptionManager(SubscriptionStore):
    """Every subscription of the simulated account, the API over them, and the routing of events to them."""

    def __init__(
        self,
        *,
        config: SimConfig,
        clock: SimClock,
        account: Account,
        app: App,
        bus: EventBus,
        faults: Faults,
        log: SimLog,
    ) -> None:
        super().__init__(config=config, clock=clock, bus=bus, faults=faults, log=log)
        self._config = config
        self._account = account
        self._app = app

    # ---- API shared by REST and WebSocket ClientRequests -------------------------------------------

    async def handle_request(
        self,
        method: str,
        path: str,
        body: Any,
        session: AuthSession,
        *,
        ws_token: str | None = None,
    ) -> Reply:
        """Serve one subscription API call; returns (HTTP status, JSON body or None)."""
        match = _PATH_RE.match(path.split("?", 1)[0].rstrip("/"))
        if match is None:
            return 404, error_body("CMN-102", f"Resource for parameter [path] is not found: {path}")
        method = method.upper()
        sub_id, renew = match["id"], bool(match["renew"])
        try:
            if sub_id is None and method == "GET":
                return 200, self._list(session)
            if sub_id is None and method == "POST":
                return 200, await self._create(body, session, ws_token)
            if sub_id is not None and renew and method == "POST":
                return 200, await self._renew(self._owned(sub_id, session), None)
            if sub_id is not None and not renew and method == "GET":
                return 200, self._info(self._owned(sub_id, session))
            if sub_id is not None and not renew and method == "PUT":
                return 200, await self._update(self._owned(sub_id, session), body)
            if sub_id is not None and not renew and method == "DELETE":
                self.remove(self._owned(sub_id, session).id, reason="deleted")
                return 204, None
        except SubscriptionError as err:
            return err.status, err.body()
        return 405, error_body("CMN-405", f"Method [{method}] is not allowed for [{path}]")

    def _list(self, session: AuthSession) -> dict[str, Any]:
        records = [self._info(sub) for sub in self._live() if sub.owner.id == session.extension.id]
        return {"uri": f"{self.base_url}{SUBSCRIPTION_PATH}", "records": records}

    async def _create(self, body: Any, session: AuthSession, ws_token: str | None) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise invalid_parameter("body", "a JSON object is required")
        mode = body.get("deliveryMode")
        if not isinstance(mode, dict):
            raise invalid_parameter("deliveryMode", "an object with transportType is required")
        transport_type = mode.get("transportType")
        if not isinstance(transport_type, str) or transport_type not in self.transports:
            raise invalid_parameter("deliveryMode.transportType", f"unsupported transport {transport_type!r}")
        transport = self.transports[transport_type]
        if transport.permission not in self._app.permissions:
            raise SubscriptionError(
                403,
                "CMN-408",
                "In order to call this API endpoint, application needs to have "
                f"[{transport.permission}] permission",
            )
        if transport_type == "WebSocket" and ws_token is None:
            raise invalid_parameter(
                "deliveryMode.transportType",
                "WebSocket subscriptions are created over the WebSocket connection",
            )
        owner = session.extension
        filters, disabled = self._parse_filters(body.get("eventFilters"), owner)
        replaced = self._by_ws_token.get(ws_token) if ws_token is not None else None
        owned = [s for s in self._live() if s.owner.id == owner.id and s.id != replaced]
        if len(owned) >= self._config.max_subscriptions:
            raise SubscriptionError(
                403,
                "SUB-505",
                f"Maximum number of subscriptions ({self._config.max_subscriptions}) exceeded",
            )
        lifetime = transport.lifetime(_expires_in(body))
        now = self._clock.now()
        subscription = Subscription(
            id=str(uuid.uuid4()),
            owner=owner,
            filters=filters,
            disabled=disabled,
            transport=transport_type,
            expires_in=lifetime,
            created_at=now,
            expires_at=now + lifetime,
            ws_token=ws_token,
        )
        await transport.open(subscription, mode)
        # One subscription per WebSocket session: a second POST replaces the first.
        if replaced is not None:
            self.remove(replaced, reason="replaced")
        self.subscriptions[subscription.id] = subscription
        if ws_token is not None:
            self._by_ws_token[ws_token] = subscription.id
        self._log.record(
            "subscription",
            action="created",
            subscription_id=subscription.id,
            transport=transport_type,
            event_filters=[f.uri for f in filters],
        )
        return self._info(subscription)

    def _parse_filters(self, raw: Any, owner: Extension) -> tuple[list[EventFilter], list[dict[str, str]]]:
        if not isinstance(raw, list) or not raw:
            raise SubscriptionError(
                400, "SUB-508", "Event filters are not valid: a non-empty list is required"
            )
        filters: list[EventFilter] = []
        disabled: list[dict[str, str]] = []
        invalid: list[str] = []
        account = self._account
        for text in raw:
            try:
                parsed = parse_filter(text, account, owner)
            except FilterError as err:
                invalid.append(str(err))
                continue
            why = disabled_reason(parsed, account, owner, self._app.permissions)
            if why is None:
                filters.append(parsed)
            else:
                disabled.append({"filter": parsed.uri, "reason": why.reason, "message": why.message})
        if invalid:
            raise SubscriptionError(400, "SUB-508", "Event filters are not valid: " + "; ".join(invalid))
        return filters, disabled

    async def _renew(self, subscription: Subscription, mode: dict[str, Any] | None) -> dict[str, Any]:
        if subscription.status != BLACKLISTED:
            subscription.expires_at = self._clock.now() + subscription.expires_in
            await self.transports[subscription.transport].update(subscription, mode)
        self._log.record("subscription", action="renewed", subscription_id=subscription.id)
        return self._info(subscription)

    async def _update(self, subscription: Subscription, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise invalid_parameter("body", "a JSON object is required")
        if "eventFilters" in body:
            filters, disabled = self._parse_filters(body["eventFilters"], subscription.owner)
            subscription.filters, subscription.disabled = filters, disabled
        mode = body.get("deliveryMode")
        if mode is not None and not isinstance(mode, dict):
            raise invalid_parameter("deliveryMode", "an object is required")
        if mode is not None and mode.get("transportType", subscription.transport) != subscription.transport:
            raise invalid_parameter("deliveryMode.transportType", "the transport cannot be changed")
        requested = _expires_in(body)
        if requested is not None:
            subscription.expires_in = self.transports[subscription.transport].lifetime(requested)
        return await self._renew(subscription, mode)

    def _owned(self, subscription_id: str, session: AuthSession) -> Subscription:
        subscription = self._get(subscription_id)
        if subscription is None or subscription.owner.id != session.extension.id:
            raise not_found(subscription_id)
        return subscription


def _expires_in(body: dict[str, Any]) -> int | None:
    value = body.get("expiresIn")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise invalid_parameter("expiresIn", "a positive integer number of seconds is required")
    return value


class SubscriptionEndpoints:
    """The REST routes of the subscription API, for callers with a Bearer token."""

    def __init__(self, manager: SubscriptionManager, auth: AuthManager) -> None:
        self._manager = manager
        self._auth = auth

    async def route(self, request: web.Request) -> web.StreamResponse:
        session = self._auth.authenticate(request)
        self._manager.base_url = str(request.url.origin())
        body: Any = None
        if request.method in ("POST", "PUT") and request.can_read_body:
            try:
                body = json.loads(await request.text())
            except ValueError:
                return web.json_response(error_body("CMN-101", "Request body is not valid JSON"), status=400)
        status, payload = await self._manager.handle_request(request.method, request.path, body, session)
        if payload is None:
            return web.Response(status=status)
        return web.json_response(payload, status=status)


def setup(app: web.Application, manager: SubscriptionManager, auth: AuthManager) -> None:
    """Serve the subscription API; close the manager (and its transports) at shutdown."""
    route = SubscriptionEndpoints(manager, auth).route
    for path in (SUBSCRIPTION_PATH, SUBSCRIPTION_PATH + "/"):
        app.router.add_route("GET", path, route)
        app.router.add_route("POST", path, route)
    item = SUBSCRIPTION_PATH + "/{id}"
    for method in ("GET", "PUT", "DELETE"):
        app.router.add_route(method, item, route)
    app.router.add_route("POST", item + "/renew", route)

    async def close(_: web.Application) -> None:
        await manager.close()

    app.on_shutdown.append(close)
