"""Every REST operation the simulator serves counts against the usage-plan group the official spec
gives it (`x-throttling-group`)."""

from __future__ import annotations

import re

import pytest

from rcsim.app import build_app
from rcsim.ratelimit import group_for
from tests.reference import openapi_spec


def _served() -> set[tuple[str, str]]:
    """(method, path template) of every route of the assembled application."""
    routes = set()
    for route in build_app().router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        template = info.get("formatter") or info.get("path")
        if template and route.method != "HEAD":
            routes.add((route.method, re.sub(r"\{[^}]+\}", "{}", template)))
    return routes


def _operations() -> list[tuple[str, str, str]]:
    served = _served()
    found = []
    for path, item in openapi_spec()["paths"].items():
        for method, operation in item.items():
            if (method.upper(), re.sub(r"\{[^}]+\}", "{}", path)) in served:
                found.append((method.upper(), path, operation["x-throttling-group"]))
    return found


OPERATIONS = _operations()


def test_the_new_resources_are_covered() -> None:
    paths = {path for _, path, _ in OPERATIONS}
    assert {p.rsplit("/", 1)[-1] for p in paths} >= {
        "message-store",
        "sms",
        "phone-number",
        "entries",
        "contact",
        "call-log",
    }


@pytest.mark.parametrize(("method", "path", "group"), OPERATIONS)
def test_served_routes_have_the_spec_group(method: str, path: str, group: str) -> None:
    concrete = re.sub(r"\{[^}]+\}", "123", path).replace("{accountId}", "~")
    assert group_for(method, concrete) == group
