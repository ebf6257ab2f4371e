"""The `/sim/*` control API: tests, the demo and the benchmarks drive the simulator through it.

All requests and responses are JSON; bad input gets a 400 with a message naming the field.
None of these routes is rate limited or subject to injected HTTP faults.
"""

from __future__ import annotations

import dataclasses
import math
import re
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .errors import RingCentralHTTPError
from .faults import HttpFault, NotificationFaults
from .model import ALL_PERMISSIONS
from .presence import DND_STATUSES, USER_STATUSES
from .rest import EXTENSION_TYPES

if TYPE_CHECKING:
    from .model import Extension, SimState

# Config fields `POST /sim/config` must not change at run time (identity, listening socket, seeding),
# or changes through its own keys (`permissions`, `rate_limits`, `time_scale`).
_FIXED_CONFIG = frozenset({"host", "port", "client_id", "client_secret", "seed", "demo"})
_SPECIAL_CONFIG = frozenset({"permissions", "rate_limits", "time_scale"})
_HIDDEN_CONFIG = frozenset({"client_secret"})
MAX_NEW_EXTENSIONS = 5000


class ControlError(RingCentralHTTPError):
    """400 for a control request that does not make sense."""

    def __init__(self, message: str) -> None:
        super().__init__(400, "SIM-400", message)


def _state(request: web.Request) -> SimState:
    state: SimState = request.app["state"]
    return state


async def _json_object(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except ValueError:
        raise ControlError("Request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ControlError("Request body must be a JSON object")
    return body


def _get(body: dict[str, Any], key: str, kind: type | tuple[type, ...], *, required: bool = False) -> Any:
    """`body[key]` checked against `kind` (bool is never accepted as a number)."""
    if key not in body or body[key] is None:
        if required:
            raise ControlError(f"Field [{key}] is required")
        return None
    value = body[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
        names = " or ".join(k.__name__ for k in kinds)
        raise ControlError(f"Field [{key}] must be of type {names}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ControlError(f"Field [{key}] must be a finite number")
    return value


def _number(body: dict[str, Any], key: str, *, required: bool = False, minimum: float = 0.0) -> float | None:
    value = _get(body, key, (int, float), required=required)
    if value is not None and value < minimum:
        raise ControlError(f"Field [{key}] must be >= {minimum:g}")
    return None if value is None else float(value)


def _probability(body: dict[str, Any], key: str) -> float:
    value = _number(body, key)
    if value is None:
        return 0.0
    if value > 1:
        raise ControlError(f"Field [{key}] is a probability and must be between 0 and 1")
    return value


def _extension(state: SimState, body: dict[str, Any], key: str) -> Extension:
    ext_id = _get(body, key, str, required=True)
    ext = state.account.extensions.get(ext_id)
    if ext is None:
        raise ControlError(f"Field [{key}]: unknown extension {ext_id!r}")
    return ext


def describe_extension(ext: Extension) -> dict[str, Any]:
    return {
        "id": ext.id,
        "extension_number": ext.extension_number,
        "name": ext.name,
        "type": ext.type,
        "status": ext.status,
        "admin": ext.admin,
        "phone_number": ext.phone_number,
        "jwt": ext.jwt,
    }


def credentials(state: SimState, server: str, extension_id: str | None = None) -> dict[str, str]:
    """What a client needs to log in as an extension (default: the first admin, else the first)."""
    extensions = state.account.extensions
    if extension_id is not None:
        ext = extensions.get(extension_id)
        if ext is None:
            raise KeyError(extension_id)
    else:
        ext = next((e for e in extensions.values() if e.admin), None) or next(iter(extensions.values()), None)
        if ext is None:
            raise KeyError("no extensions")
    return {
        "server": server,
        "client_id": state.app.client_id,
        "client_secret": state.app.client_secret,
        "jwt": ext.jwt,
        "extension_id": ext.id,
    }


# -- extensions, calls, presence -------------------------------------------------------------------


async def list_extensions(request: web.Request) -> web.Response:
    extensions = _state(request).account.extensions.values()
    return web.json_response({"extensions": [describe_extension(e) for e in extensions]})


async def create_extensions(request: web.Request) -> web.Response:
    state = _state(request)
    body = await _json_object(request)
    if ("count" in body) == ("extensions" in body):
        raise ControlError("Give exactly one of [count] or [extensions]")
    if "count" in body:
        count = _get(body, "count", int, required=True)
        if not 1 <= count <= MAX_NEW_EXTENSIONS:
            raise ControlError(f"Field [count] must be between 1 and {MAX_NEW_EXTENSIONS}")
        created = _add_users(state, count)
    else:
        specs = _get(body, "extensions", list, required=True)
        if not specs:
            raise ControlError("Field [extensions] must not be empty")
        validated = [_extension_spec(state, spec, index) for index, spec in enumerate(specs)]
        numbers = [spec["extension_number"] for spec in validated if spec["extension_number"]]
        if len(numbers) != len(set(numbers)):
            raise ControlError("Duplicate [extension_number] in request")
        created = [
            state.add_extension(
                spec["name"],
                spec["extension_number"],
                ext_type=spec["type"],
                admin=spec["admin"],
            )
            for spec in validated
        ]
    state.record("control", action="extensions_created", ids=[e.id for e in created])
    return web.json_response({"extensions": [describe_extension(e) for e in created]}, status=201)


def _add_users(state: SimState, count: int) -> list[Extension]:
    """`count` more users named like `populate` names them (never admins: there is one already)."""
    created = []
    for _ in range(count):
        index = len(state.account.extensions) + 1
        created.append(state.add_extension(f"User {index:04d}", admin=not state.account.extensions))
    return created


def _extension_spec(state: SimState, spec: Any, index: int) -> dict[str, Any]:
    where = f"extensions[{index}]"
    if not isinstance(spec, dict):
        raise ControlError(f"Field [{where}] must be an object")
    name = _get(spec, "name", str, required=True).strip()
    if not name:
        raise ControlError(f"Field [{where}.name] must not be empty")
    number = _get(spec, "extension_number", str)
    if number is not None:
        if not re.fullmatch(r"\d{1,8}", number):
            raise ControlError(f"Field [{where}.extension_number] must be 1 to 8 digits")
        if state.account.by_number(number) is not None:
            raise ControlError(f"Field [{where}.extension_number]: {number} is already in use")
    ext_type = _get(spec, "type", str) or "User"
    if ext_type not in EXTENSION_TYPES:
        raise ControlError(f"Field [{where}.type] must be one of {sorted(EXTENSION_TYPES)}")
    admin = _get(spec, "admin", bool) or False
    return {"name": name, "extension_number": number, "type": ext_type, "admin": admin}


async def list_scenarios(request: web.Request) -> web.Response:
    return web.json_response({"scenarios": _state(request).calls.scenarios()})


async def start_call(request: web.Request) -> web.Response:
    state = _state(request)
    body = await _json_object(request)
    scenario = _get(body, "scenario", str, required=True)
    ext = _extension(state, body, "extension_id")
    other = _extension(state, body, "other_extension_id") if body.get("other_extension_id") else None
    speed = _number(body, "speed")
    if speed is not None and speed <= 0:
        raise ControlError("Field [speed] must be positive")
    step = _get(body, "step", bool) or False
    try:
        tsid = state.calls.start(
            scenario,
            ext.id,
            other_extension_id=other.id if other else None,
            speed=speed or 1.0,
            step=step,
        )
    except ValueError as err:
        raise ControlError(str(err)) from None
    return web.json_response({"telephonySessionId": tsid}, status=201)


async def step_call(request: web.Request) -> web.Response:
    tsid = request.match_info["tsid"]
    stepped = _state(request).calls.step(tsid)
    return web.json_response({"telephonySessionId": tsid, "stepped": stepped})


async def set_presence(request: web.Request) -> web.Response:
    state = _state(request)
    body = await _json_object(request)
    ext = _extension(state, body, "extension_id")
    user_status = _get(body, "user_status", str)
    dnd_status = _get(body, "dnd_status", str)
    if user_status is None and dnd_status is None:
        raise ControlError("Give [user_status] and/or [dnd_status]")
    if user_status is not None and user_status not in USER_STATUSES:
        raise ControlError(f"Field [user_status] must be one of {list(USER_STATUSES)}")
    if dnd_status is not None and dnd_status not in DND_STATUSES:
        raise ControlError(f"Field [dnd_status] must be one of {list(DND_STATUSES)}")
    try:
        state.calls.set_presence(ext.id, user_status=user_status, dnd_status=dnd_status)
    except ValueError as err:
        raise ControlError(str(err)) from None
    return web.json_response(state.calls.ground_truth().get(ext.id, {}))


# -- faults ----------------------------------------------------------------------------------------


async def add_fault(request: web.Request) -> web.Response:
    state = _state(request)
    body = await _json_object(request)
    kind = _get(body, "type", str, required=True)
    handler = _FAULTS.get(kind)
    if handler is None:
        raise ControlError(f"Field [type] must be one of {sorted(_FAULTS)}")
    result = handler(state, body) or {}
    state.record("fault", type=kind)
    return web.json_response({"type": kind, **result})


def _count(body: dict[str, Any]) -> int | None:
    count: int | None = _get(body, "count", int)
    if count is not None and count < 1:
        raise ControlError("Field [count] must be >= 1")
    return count


def _drop_connections(state: SimState, body: dict[str, Any]) -> dict[str, Any]:
    code = _get(body, "error_code", str)
    if code is not None and not re.fullmatch(r"WSG-\d{3}", code):
        raise ControlError("Field [error_code] must look like WSG-9xx")
    dropped = state.ws.connections
    state.ws.drop_all(code)
    return {"connections": dropped}


def _notifications(state: SimState, body: dict[str, Any]) -> dict[str, Any]:
    faults = NotificationFaults(
        drop=_probability(body, "drop"),
        duplicate=_probability(body, "duplicate"),
        reorder=_probability(body, "reorder"),
        delay=_number(body, "delay") or 0.0,
        remaining=_count(body),
    )
    state.faults.notifications = faults
    return {"active": faults.active}


def _fail_recovery(state: SimState, body: dict[str, Any]) -> dict[str, Any]:
    count = _get(body, "count", int, required=True)
    if count < 0:
        raise ControlError("Field [count] must be >= 0")
    state.faults.fail_recoveries = count
    return {"count": count}


def _expire_subscription(state: SimState, body: dict[str, Any]) -> dict[str, Any]:
    state.subscriptions.expire(_get(body, "subscription_id", str))
    return {}


def _blacklist_subscription(state: SimState, body: dict[str, Any]) -> dict[str, Any]:
    state.subscriptions.blacklist(_get(body, "subscription_id", str))
    return {}


def _http(state: SimState, body: dict[str, Any]) -> dict[str, Any]:
    pattern = _get(body, "path", str, required=True)
    try:
        compiled = re.compile(pattern)
    except re.error as err:
        raise ControlError(f"Field [path] is not a valid regular expression: {err}") from None
    status = _get(body, "status", int, required=True)
    if not 400 <= status <= 599:
        raise ControlError("Field [status] must be an HTTP error status (400-599)")
    method = _get(body, "method", str)
    retry_after = _number(body, "retry_after")
    fault = HttpFault(
        path=compiled,
        status=status,
        method=method.upper() if method else None,
        remaining=_count(body) or 1,
        retry_after=retry_after,
    )
    state.faults.http.append(fault)
    return {"pending": len(state.faults.http)}


def _revoke_tokens(state: SimState, body: dict[str, Any]) -> dict[str, Any]:
    sessions = len(state.auth.sessions)
    state.auth.revoke_all()
    return {"revoked": sessions}


def _malformed_frame(state: SimState, body: dict[str, Any]) -> dict[str, Any]:
    state.ws.send_malformed()
    return {}


def _clear(state: SimState, body: dict[str, Any]) -> dict[str, Any]:
    state.faults.clear()
    return {}


_FAULTS = {
    "drop_connections": _drop_connections,
    "notifications": _notifications,
    "fail_recovery": _fail_recovery,
    "expire_subscription": _expire_subscription,
    "blacklist_subscription": _blacklist_subscription,
    "http": _http,
    "revoke_tokens": _revoke_tokens,
    "malformed_frame": _malformed_frame,
    "clear": _clear,
}


# -- config, time, inspection ----------------------------------------------------------------------


def describe_config(state: SimState) -> dict[str, Any]:
    config = {k: v for k, v in dataclasses.asdict(state.config).items() if k not in _HIDDEN_CONFIG}
    config["time_scale"] = state.clock.time_scale
    return {**config, "permissions": sorted(state.app.permissions)}


async def get_config(request: web.Request) -> web.Response:
    return web.json_response(describe_config(_state(request)))


def _config_value(state: SimState, body: dict[str, Any], name: str) -> Any:
    """`body[name]` checked against the type of the current setting (durations and counts are >= 0)."""
    current = getattr(state.config, name)
    if isinstance(current, bool):
        return _get(body, name, bool, required=True)
    if isinstance(current, str):
        return _get(body, name, str, required=True)
    if isinstance(current, int):
        value = _number(body, name, required=True)
        if value is None or not value.is_integer():
            raise ControlError(f"Field [{name}] must be an integer")
        return int(value)
    if isinstance(current, float):
        return _number(body, name, required=True)
    raise ControlError(f"Field [{name}] cannot be changed at run time")


async def set_config(request: web.Request) -> web.Response:
    state = _state(request)
    body = await _json_object(request)
    tunable = {f.name for f in dataclasses.fields(state.config)} - _FIXED_CONFIG - _SPECIAL_CONFIG
    unknown = set(body) - tunable - _SPECIAL_CONFIG
    if unknown:
        raise ControlError(f"Unknown or fixed config field(s): {sorted(unknown)}")
    # Validate everything before changing anything.
    permissions = _get(body, "permissions", list)
    if permissions is not None:
        bad = [p for p in permissions if p not in ALL_PERMISSIONS]
        if bad:
            raise ControlError(
                f"Field [permissions]: unknown permission(s) {bad}; known: {sorted(ALL_PERMISSIONS)}"
            )
    rate_limits = _get(body, "rate_limits", dict)
    if rate_limits is not None:
        for group, limit in rate_limits.items():
            if group not in state.config.rate_limits:
                raise ControlError(f"Field [rate_limits]: unknown group {group!r}")
            if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
                raise ControlError(f"Field [rate_limits.{group}] must be a non-negative integer")
    time_scale = _number(body, "time_scale")
    if time_scale is not None and time_scale <= 0:
        raise ControlError("Field [time_scale] must be positive")
    values = {name: _config_value(state, body, name) for name in tunable & set(body)}

    if permissions is not None:
        state.app.permissions = set(permissions)
    if rate_limits is not None:
        state.config.rate_limits.update(rate_limits)
    if time_scale is not None:
        state.clock.set_time_scale(time_scale)
        state.config.time_scale = time_scale
    for name, value in values.items():
        setattr(state.config, name, value)
    state.record("control", action="config", fields=sorted(body))
    return web.json_response(describe_config(state))


async def advance_time(request: web.Request) -> web.Response:
    state = _state(request)
    body = await _json_object(request)
    seconds = _number(body, "advance", required=True) or 0.0
    state.clock.advance(seconds)
    return web.json_response(_now(state))


async def get_time(request: web.Request) -> web.Response:
    return web.json_response(_now(_state(request)))


def _now(state: SimState) -> dict[str, Any]:
    return {"now": state.clock.now(), "iso": state.clock.iso(), "time_scale": state.clock.time_scale}


async def get_state(request: web.Request) -> web.Response:
    state = _state(request)
    return web.json_response(
        {"extensions": state.calls.ground_truth(), "subscriptions": state.subscriptions.describe()}
    )


async def get_log(request: web.Request) -> web.Response:
    state = _state(request)
    try:
        since = int(request.query.get("since", "0"))
    except ValueError:
        raise ControlError("Query parameter [since] must be an integer") from None
    if since < 0:
        raise ControlError("Query parameter [since] must be >= 0")
    kinds = set(request.query.getall("kind", []))
    first = state.log_dropped
    entries = [
        {"index": first + offset, **entry}
        for offset, entry in enumerate(state.log[max(0, since - first) :], start=max(0, since - first))
        if not kinds or entry["kind"] in kinds
    ]
    return web.json_response({"entries": entries, "next": first + len(state.log)})


async def get_credentials(request: web.Request) -> web.Response:
    state = _state(request)
    extension_id = request.query.get("extension_id")
    try:
        creds = credentials(state, f"{request.scheme}://{request.host}", extension_id)
    except KeyError:
        raise ControlError(
            f"Unknown extension {extension_id!r}" if extension_id else "The account has no extensions yet"
        ) from None
    return web.json_response(creds)


def setup(app: web.Application, state: SimState) -> None:
    """Serve the control API under `/sim`."""
    del state
    router = app.router
    router.add_get("/sim/extensions", list_extensions)
    router.add_post("/sim/extensions", create_extensions)
    router.add_get("/sim/calls", list_scenarios)
    router.add_post("/sim/calls", start_call)
    router.add_post("/sim/calls/{tsid}/step", step_call)
    router.add_post("/sim/presence", set_presence)
    router.add_post("/sim/faults", add_fault)
    router.add_get("/sim/config", get_config)
    router.add_post("/sim/config", set_config)
    router.add_get("/sim/time", get_time)
    router.add_post("/sim/time", advance_time)
    router.add_get("/sim/state", get_state)
    router.add_get("/sim/log", get_log)
    router.add_get("/sim/credentials", get_credentials)
