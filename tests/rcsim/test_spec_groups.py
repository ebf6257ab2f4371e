"""Every operation of the spec subset the simulator serves counts in the spec's throttling group."""

from __future__ import annotations

import re

from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from rcsim import build_app
from rcsim.ratelimit import group_for
from tests.reference import openapi_spec

_PARAMETER = re.compile(r"\{([^}]+)\}")


def _example(path: str) -> str:
    """The path with each `{parameter}` filled in (`~` for the account and extension)."""
    return _PARAMETER.sub(lambda m: "~" if m[1] in ("accountId", "extensionId") else "x-1", path)


async def _served(app: web.Application, method: str, path: str) -> bool:
    match = await app.router.resolve(make_mocked_request(method, path, app=app))
    return match.http_exception is None


async def test_served_operations_count_in_the_spec_group() -> None:
    app = build_app()
    checked: list[str] = []
    for path, operations in openapi_spec()["paths"].items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "x-throttling-group" not in operation:
                continue
            example = _example(path)
            if not await _served(app, method.upper(), example):
                continue
            assert group_for(method, example) == operation["x-throttling-group"], f"{method.upper()} {path}"
            checked.append(f"{method.upper()} {path}")
    # The acting endpoints are among them.
    assert "PUT /restapi/v1.0/account/{accountId}/extension/{extensionId}/presence" in checked
    assert "POST /restapi/v1.0/account/{accountId}/extension/{extensionId}/ring-out" in checked
    assert len(checked) >= 15, checked
