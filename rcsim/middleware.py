"""The HTTP middleware every request passes through, outermost first.

1. errors and logging: every error is RingCentral-shaped JSON (unknown routes, wrong methods,
   malformed bodies, unexpected exceptions), and every request is logged without its query string
   (which may carry a WebSocket token);
2. HTTP fault injection (`POST /sim/faults {"type":"http"}`), never for `/sim/*`;
3. rate limiting by usage-plan group, never for `/sim/*` or `/ws`.
"""

from __future__ import annotations

import json
import logging
import math

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from .auth import AuthManager
from .config import SimConfig
from .errors import RingCentralHTTPError, error_body
from .faults import Faults
from .log import SimLog
from .model import App
from .ratelimit import RateLimiter, group_for

_LOGGER = logging.getLogger(__name__)
_GROUP = "rate_limit_group"

_REASONS = {
    400: ("CMN-101", "Bad request"),
    401: ("OAU-123", "Authorization required"),
    403: ("CMN-408", "Forbidden"),
    405: ("CMN-405", "Method not allowed"),
    413: ("CMN-413", "Request entity too large"),
    415: ("CMN-415", "Unsupported media type"),
    429: ("CMN-301", "Request rate exceeded"),
    500: ("CMN-500", "Internal server error"),
    502: ("CMN-502", "Bad gateway"),
    503: ("CMN-211", "Service temporarily unavailable"),
    504: ("CMN-504", "Gateway timeout"),
}


def _generic_error(status: int, headers: dict[str, str] | None = None) -> web.Response:
    code, message = _REASONS.get(status, (f"CMN-{status}", "Request failed"))
    return web.json_response(error_body(code, message), status=status, headers=headers)


def _as_response(err: web.HTTPException) -> web.Response:
    """A plain response with an HTTP exception's status, headers and body.

    Returning an exception object from a handler is deprecated in aiohttp.
    """
    headers = {k: v for k, v in err.headers.items() if k.lower() != "content-length"}
    return web.Response(status=err.status, reason=err.reason, body=err.body, headers=headers)


def _is_json(response: web.StreamResponse) -> bool:
    return response.content_type in ("application/json", "application/vnd.ringcentral.multipart+json")


def _rate_key(request: web.Request, auth: AuthManager, app: App) -> str:
    """Who a request counts against: the user and app of its token, else the client and caller."""
    session = auth.peek(request)
    if session is not None:
        return f"{session.client_id}:{session.extension.id}"
    peer = request.remote or "unknown"
    return f"{app.client_id}:{peer}"


async def _token_rate_key(request: web.Request, auth: AuthManager, app: App) -> str:
    """The token endpoint is keyed by the user logging in (JWT or refresh token), else the caller."""
    if request.content_type == "application/x-www-form-urlencoded":
        form = await request.post()
        assertion, refresh = form.get("assertion"), form.get("refresh_token")
        if isinstance(assertion, str):
            ext = auth.extension_for_assertion(assertion)
            if ext is not None:
                return f"{app.client_id}:{ext.id}"
        if isinstance(refresh, str):
            session = auth.session_for_refresh(refresh)
            if session is not None:
                return f"{session.client_id}:{session.extension.id}"
    return _rate_key(request, auth, app)


def errors_middleware(log: SimLog) -> Middleware:
    """RingCentral-shaped errors for whatever fails; every platform request logged."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            response = await handler(request)
        except RingCentralHTTPError as err:
            response = _as_response(err)
        except web.HTTPException as err:
            if err.status == 404:
                response = web.json_response(
                    error_body("CMN-102", f"Resource for parameter [{request.path}] is not found"),
                    status=404,
                )
            elif err.status < 400 or _is_json(err):
                response = _as_response(err)
            else:
                response = _generic_error(
                    err.status, {"Allow": err.headers["Allow"]} if "Allow" in err.headers else None
                )
        except json.JSONDecodeError:
            response = web.json_response(error_body("CMN-101", "Request body is not valid JSON"), status=400)
        except Exception:
            _LOGGER.exception("Unexpected error serving %s %s", request.method, request.path)
            response = _generic_error(500)
        if not request.path.startswith("/sim/"):  # control calls would drown the platform traffic
            log.record(
                "request",
                method=request.method,
                path=request.path,
                status=response.status,
                group=request.get(_GROUP),
            )
        return response

    return middleware


def faults_middleware(faults: Faults, config: SimConfig) -> Middleware:
    """Injected HTTP faults answer matching requests (never `/sim/*`)."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith("/sim/"):
            return await handler(request)
        fault = faults.take_http_fault(request.method, request.path)
        if fault is None:
            return await handler(request)
        headers: dict[str, str] = {}
        if fault.retry_after is not None:
            # HTTP's Retry-After is whole seconds (simulated seconds here, like the rate limiter's).
            headers["Retry-After"] = str(math.ceil(fault.retry_after))
        elif fault.status == 429:
            headers["Retry-After"] = str(int(config.penalty_window))
        if fault.status == 429:
            group = group_for(request.method, request.path) or "Light"
            headers["X-Rate-Limit-Group"] = group
            return web.json_response(
                error_body("CMN-301", "Request rate exceeded"), status=429, headers=headers
            )
        return _generic_error(fault.status, headers)

    return middleware


def ratelimit_middleware(limiter: RateLimiter, auth: AuthManager, app: App) -> Middleware:
    """Usage-plan rate limits (never `/sim/*` or `/ws`)."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        group = group_for(request.method, request.path)
        if group is None or not limiter.enabled:
            return await handler(request)
        request[_GROUP] = group
        if request.path == "/restapi/oauth/token":
            key = await _token_rate_key(request, auth, app)
        else:
            key = _rate_key(request, auth, app)
        decision = limiter.check(group, key)
        if not decision.allowed:
            return web.json_response(
                error_body("CMN-301", "Request rate exceeded"), status=429, headers=decision.headers()
            )
        try:
            response = await handler(request)
        except web.HTTPException as err:
            err.headers.update(decision.headers())
            raise
        if not response.prepared:
            response.headers.update(decision.headers())
        return response

    return middleware
