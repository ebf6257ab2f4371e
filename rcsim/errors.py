"""RingCentral-shaped error responses (`errorCode`, `message`, `errors[]`)."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    """The body RingCentral's REST API answers errors with."""
    return {
        "errorCode": code,
        "message": message,
        "errors": [{"errorCode": code, "message": message, **extra}],
    }


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None, **extra: Any
) -> web.Response:
    return web.json_response(error_body(code, message, **extra), status=status, headers=headers)


def oauth_error(status: int, error: str, description: str, code: str) -> web.Response:
    """OAuth endpoints answer with both OAuth and RingCentral fields."""
    body = {"error": error, "error_description": description, **error_body(code, description)}
    return web.json_response(body, status=status)


class RingCentralHTTPError(web.HTTPError):
    """An aiohttp HTTP exception whose body is a RingCentral error; raise it from any handler."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        oauth_error: str | None = None,
        **extra: Any,
    ) -> None:
        # aiohttp reads the status from the class attribute; one class serves every status.
        self.status_code = status
        self.error_code = code
        body = error_body(code, message, **extra)
        if oauth_error is not None:
            body = {"error": oauth_error, "error_description": message, **body}
        super().__init__(text=json.dumps(body), content_type="application/json", headers=headers)
