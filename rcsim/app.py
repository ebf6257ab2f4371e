"""Wiring: the aiohttp application, its middleware, and `Simulator` (a server on a loopback port).

Middleware, outermost first:
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
from types import TracebackType
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from . import auth, control, rest, subscriptions, ws_gateway
from .calls import CallEngine
from .config import SimConfig
from .errors import RingCentralHTTPError, error_body
from .model import SimState, populate
from .ratelimit import RateLimiter, group_for

_LOGGER = logging.getLogger(__name__)
_STATE = "state"
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


def _rate_key(request: web.Request, state: SimState) -> str:
    """Who a request counts against: the user and app of its token, else the client and caller."""
    session = state.auth.peek(request)
    if session is not None:
        return f"{session.client_id}:{session.extension.id}"
    peer = request.remote or "unknown"
    return f"{state.app.client_id}:{peer}"


async def _token_rate_key(request: web.Request, state: SimState) -> str:
    """The token endpoint is keyed by the user logging in (JWT or refresh token), else the caller."""
    if request.content_type == "application/x-www-form-urlencoded":
        form = await request.post()
        assertion, refresh = form.get("assertion"), form.get("refresh_token")
        if isinstance(assertion, str):
            ext = state.auth.extension_for_assertion(assertion)
            if ext is not None:
                return f"{state.app.client_id}:{ext.id}"
        if isinstance(refresh, str):
            session = state.auth.session_for_refresh(refresh)
            if session is not None:
                return f"{session.client_id}:{session.extension.id}"
    return _rate_key(request, state)


@web.middleware
async def errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    state: SimState = request.app[_STATE]
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
        state.record(
            "request",
            method=request.method,
            path=request.path,
            status=response.status,
            group=request.get(_GROUP),
        )
    return response


@web.middleware
async def faults_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    state: SimState = request.app[_STATE]
    if request.path.startswith("/sim/"):
        return await handler(request)
    fault = state.faults.take_http_fault(request.method, request.path)
    if fault is None:
        return await handler(request)
    headers: dict[str, str] = {}
    if fault.retry_after is not None:
        # HTTP's Retry-After is whole seconds (simulated seconds here, like the rate limiter's).
        headers["Retry-After"] = str(math.ceil(fault.retry_after))
    elif fault.status == 429:
        headers["Retry-After"] = str(int(state.config.penalty_window))
    if fault.status == 429:
        group = group_for(request.method, request.path) or "Light"
        headers["X-Rate-Limit-Group"] = group
        return web.json_response(error_body("CMN-301", "Request rate exceeded"), status=429, headers=headers)
    return _generic_error(fault.status, headers)


@web.middleware
async def ratelimit_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    state: SimState = request.app[_STATE]
    group = group_for(request.method, request.path)
    if group is None or not state.limiter.enabled:
        return await handler(request)
    request[_GROUP] = group
    if request.path == "/restapi/oauth/token":
        key = await _token_rate_key(request, state)
    else:
        key = _rate_key(request, state)
    decision = state.limiter.check(group, key)
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


def build_app(config: SimConfig | None = None, state: SimState | None = None) -> web.Application:
    """The simulator's aiohttp application; every manager is stored on `state`."""
    if state is None:
        state = SimState(config or SimConfig())
    app = web.Application(
        middlewares=[errors_middleware, faults_middleware, ratelimit_middleware],
        client_max_size=1024 * 1024,
    )
    app[_STATE] = state
    state.limiter = RateLimiter(state)
    state.calls = CallEngine(state)
    auth.setup(app, state)
    rest.setup(app, state)
    control.setup(app, state)
    # The subscription layer also serves PubNub and runs WebHook delivery.
    subscriptions.setup(app, state)
    ws_gateway.setup(app, state)

    async def on_startup(app: web.Application) -> None:
        if state.config.demo:
            state.calls.start_demo()

    async def on_cleanup(app: web.Application) -> None:
        await state.calls.close()

    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    return app


class Simulator:
    """A simulator serving on a loopback port: `async with Simulator(extensions=3) as sim: sim.url`."""

    def __init__(self, config: SimConfig | None = None, *, extensions: int = 0) -> None:
        self.config = config or SimConfig()
        self.state = SimState(self.config)
        if extensions:
            populate(self.state, extensions)
        self.app = build_app(self.config, self.state)
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    @property
    def url(self) -> str:
        """Base URL, e.g. `http://127.0.0.1:8765` (only once started)."""
        if self._port is None:
            raise RuntimeError("Simulator is not started")
        return f"http://{self.config.host}:{self._port}"

    async def start(self) -> None:
        runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.config.host, self.config.port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        address = runner.addresses[0]
        self._port = int(address[1])

    async def stop(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def __aenter__(self) -> Simulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def credentials(self, extension_id: str | None = None) -> dict[str, Any]:
        """`server, client_id, client_secret, jwt` (and `extension_id`) to log in as an extension."""
        return control.credentials(self.state, self.url, extension_id)
