"""What the `/sim/*` control API's parts share: input checking, and how extensions and credentials look.

The control API is how tests, the demo and the benchmarks drive the simulator. All requests and
responses are JSON; bad input gets a 400 with a message naming the field. None of its routes is rate
limited or subject to injected HTTP faults. Its routes are in `control_account.py` (extensions, calls,
presence, credentials), `control_faults.py` and `control_runtime.py` (config, time, state, log).
"""

from __future__ import annotations

import math
from typing import Any

from aiohttp import web

from .errors import RingCentralHTTPError
from .model import Account, App, Extension


class ControlError(RingCentralHTTPError):
    """400 for a control request that does not make sense."""

    def __init__(self, message: str) -> None:
        super().__init__(400, "SIM-400", message)


async def json_object(request: web.Request) -> dict[str, Any]:
    """The request's JSON object body (`{}` when there is none)."""
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except ValueError:
        raise ControlError("Request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ControlError("Request body must be a JSON object")
    return body


def get_field(
    body: dict[str, Any], key: str, kind: type | tuple[type, ...], *, required: bool = False
) -> Any:
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


def number(body: dict[str, Any], key: str, *, required: bool = False, minimum: float = 0.0) -> float | None:
    value = get_field(body, key, (int, float), required=required)
    if value is not None and value < minimum:
        raise ControlError(f"Field [{key}] must be >= {minimum:g}")
    return None if value is None else float(value)


def probability(body: dict[str, Any], key: str) -> float:
    value = number(body, key)
    if value is None:
        return 0.0
    if value > 1:
        raise ControlError(f"Field [{key}] is a probability and must be between 0 and 1")
    return value


def count(body: dict[str, Any]) -> int | None:
    """The optional positive `count` field."""
    value: int | None = get_field(body, "count", int)
    if value is not None and value < 1:
        raise ControlError("Field [count] must be >= 1")
    return value


def known_extension(account: Account, body: dict[str, Any], key: str) -> Extension:
    """The extension whose id is `body[key]` (required)."""
    ext_id = get_field(body, key, str, required=True)
    ext = account.extensions.get(ext_id)
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


def credentials(account: Account, app: App, server: str, extension_id: str | None = None) -> dict[str, str]:
    """What a client needs to log in as an extension (default: the first admin, else the first)."""
    extensions = account.extensions
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
        "client_id": app.client_id,
        "client_secret": app.client_secret,
        "jwt": ext.jwt,
        "extension_id": ext.id,
    }
