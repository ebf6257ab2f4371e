"""The client counts every operation of the official spec subset against the usage-plan group the
spec gives it (`x-throttling-group`), whatever the ids in the path."""

from __future__ import annotations

import re

import pytest

from custom_components.ringcentral.aioringcentral.ratelimit import group_for
from tests.reference import openapi_spec

OPERATIONS = [
    (method.upper(), path, operation["x-throttling-group"])
    for path, item in openapi_spec()["paths"].items()
    for method, operation in item.items()
]


def test_every_operation_is_listed() -> None:
    assert len(OPERATIONS) >= 40


@pytest.mark.parametrize(("method", "path", "group"), OPERATIONS)
@pytest.mark.parametrize(
    "ids", [("~", "~", "1"), ("400144452008", "400144455008", "Y3MxNzE4Nzc0ODEyMDc5MDA1Nw")]
)
def test_operation_group(method: str, path: str, group: str, ids: tuple[str, str, str]) -> None:
    account, extension, other = ids
    concrete = path.replace("{accountId}", account).replace("{extensionId}", extension)
    concrete = re.sub(r"\{[^}]+\}", other, concrete)
    assert group_for(method, concrete) == group
    assert group_for(method.lower(), concrete + "/?x=1") == group  # query strings and a trailing slash
