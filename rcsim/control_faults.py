"""Control API: fault injection (`POST /sim/faults`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from aiohttp import web

from .auth import AuthManager
from .control import ControlError, count, get_field, json_object, number, probability
from .faults import Faults, HttpFault, NotificationFaults
from .log import SimLog
from .subscriptions import SubscriptionManager
from .ws_gateway import WsGateway

Body = dict[str, Any]


class FaultControl:
    """Each fault `type` and what it breaks: the fault settings, or the part that owns what breaks."""

    def __init__(
        self,
        *,
        faults: Faults,
        auth: AuthManager,
        subscriptions: SubscriptionManager,
        ws: WsGateway,
        log: SimLog,
    ) -> None:
        self._faults = faults
        self._auth = auth
        self._subscriptions = subscriptions
        self._ws = ws
        self._log = log
        self._handlers: dict[str, Callable[[Body], Body]] = {
            "drop_connections": self._drop_connections,
            "notifications": self._notifications,
            "fail_recovery": self._fail_recovery,
            "expire_subscription": self._expire_subscription,
            "blacklist_subscription": self._blacklist_subscription,
            "http": self._http,
            "revoke_tokens": self._revoke_tokens,
            "malformed_frame": self._malformed_frame,
            "clear": self._clear,
        }

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_post("/sim/faults", self.add_fault)

    async def add_fault(self, request: web.Request) -> web.Response:
        body = await json_object(request)
        kind = get_field(body, "type", str, required=True)
        handler = self._handlers.get(kind)
        if handler is None:
            raise ControlError(f"Field [type] must be one of {sorted(self._handlers)}")
        result = handler(body)
        self._log.record("fault", type=kind)
        return web.json_response({"type": kind, **result})

    def _drop_connections(self, body: Body) -> Body:
        code = get_field(body, "error_code", str)
        if code is not None and not re.fullmatch(r"WSG-\d{3}", code):
            raise ControlError("Field [error_code] must look like WSG-9xx")
        dropped = self._ws.connections
        self._ws.drop_all(code)
        return {"connections": dropped}

    def _notifications(self, body: Body) -> Body:
        faults = NotificationFaults(
            drop=probability(body, "drop"),
            duplicate=probability(body, "duplicate"),
            reorder=probability(body, "reorder"),
            delay=number(body, "delay") or 0.0,
            remaining=count(body),
        )
        self._faults.notifications = faults
        return {"active": faults.active}

    def _fail_recovery(self, body: Body) -> Body:
        recoveries = get_field(body, "count", int, required=True)
        if recoveries < 0:
            raise ControlError("Field [count] must be >= 0")
        self._faults.fail_recoveries = recoveries
        return {"count": recoveries}

    def _expire_subscription(self, body: Body) -> Body:
        self._subscriptions.expire(get_field(body, "subscription_id", str))
        return {}

    def _blacklist_subscription(self, body: Body) -> Body:
        self._subscriptions.blacklist(get_field(body, "subscription_id", str))
        return {}

    def _http(self, body: Body) -> Body:
        pattern = get_field(body, "path", str, required=True)
        try:
            compiled = re.compile(pattern)
        except re.error as err:
            raise ControlError(f"Field [path] is not a valid regular expression: {err}") from None
        status = get_field(body, "status", int, required=True)
        if not 400 <= status <= 599:
            raise ControlError("Field [status] must be an HTTP error status (400-599)")
        method = get_field(body, "method", str)
        retry_after = number(body, "retry_after")
        fault = HttpFault(
            path=compiled,
            status=status,
            method=method.upper() if method else None,
            remaining=count(body) or 1,
            retry_after=retry_after,
        )
        self._faults.http.append(fault)
        return {"pending": len(self._faults.http)}

    def _revoke_tokens(self, body: Body) -> Body:
        sessions = len(self._auth.sessions)
        self._auth.revoke_all()
        return {"revoked": sessions}

    def _malformed_frame(self, body: Body) -> Body:
        self._ws.send_malformed()
        return {}

    def _clear(self, body: Body) -> Body:
        self._faults.clear()
        return {}
