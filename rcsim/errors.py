"""RingCentral-shaped error responses (`errorCode`, `message`, `errors[]`)."""

from __future__ import annotations

from typing import Any

from aiohttp import web


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    """The body RingCentral's REST API answers errors with."""
    return {"errorCode": code, "message": message, "errors": [{"errorCode": code, "message": message, **extra}]}


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None, **extra: Any) -> web.Response:
    return web.json_response(error_body(code, message, **extra), status=status, headers=headers)


def oauth_error(status: int, error: str, description: str, code: str) -> web.Response:
    """OAuth endpoints answer with both OAuth and RingCentral fields."""
    body = {"error": error, "error_description": description, **error_body(code, description)}
    return web.json_response(body, status=status)
