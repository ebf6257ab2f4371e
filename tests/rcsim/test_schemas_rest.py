"""Every REST body the simulator serves validates against RingCentral's OpenAPI schemas.

The schemas come from the official spec subset in the shared reference directory; the validator
resolves `#/components/schemas/...` against that whole document. Bodies are checked in a strict
variant that also forbids fields the schema does not declare, so a misspelt field cannot slip through.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

import pytest
from openapi_schema_validator import OAS30Validator, oas30_format_checker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from rcsim import Simulator
from tests.reference import SPEC_PATH

from .conftest import Api

SPEC_URI = "urn:ringcentral:openapi-subset"
ACCOUNT = "/restapi/v1.0/account/~"
BATCH_JSON = "application/vnd.ringcentral.multipart+json"


@cache
def spec() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(SPEC_PATH.read_text())
    return document


def _closed(schema: Any) -> Any:
    """A copy of `schema` where every object with declared properties allows no other fields."""
    if isinstance(schema, dict):
        closed = {key: _closed(value) for key, value in schema.items()}
        if "properties" in closed and "additionalProperties" not in closed:
            closed["additionalProperties"] = False
        return closed
    if isinstance(schema, list):
        return [_closed(item) for item in schema]
    return schema


def validator(name: str, *, strict: bool = False) -> OAS30Validator:
    document = _closed(copy.deepcopy(spec())) if strict else spec()
    registry: Registry[Any] = Registry().with_resource(
        SPEC_URI, Resource.from_contents(document, default_specification=DRAFT4)
    )
    return OAS30Validator(
        {"$ref": f"{SPEC_URI}#/components/schemas/{name}"},
        registry=registry,
        format_checker=oas30_format_checker,
    )


def assert_valid(body: Any, name: str, *, strict: bool = True) -> None:
    errors = sorted(validator(name, strict=strict).iter_errors(body), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


@cache
def _closed_spec() -> dict[str, Any]:
    closed: dict[str, Any] = _closed(copy.deepcopy(spec()))
    return closed


def assert_valid_operation(body: Any, method: str, path: str, status: str = "200") -> None:
    """`body` validates (strictly) against the answer schema of the spec's operation `method path`
    (its `status` answer, else its `default` one): many operations declare theirs inline."""
    responses = spec()["paths"][path][method]["responses"]
    key = status if status in responses else "default"
    pointer = "/".join(
        part.replace("~", "~0").replace("/", "~1")
        for part in ("paths", path, method, "responses", key, "content", "application/json", "schema")
    )
    registry: Registry[Any] = Registry().with_resource(
        SPEC_URI, Resource.from_contents(_closed_spec(), default_specification=DRAFT4)
    )
    checker = OAS30Validator(
        {"$ref": f"{SPEC_URI}#/{pointer}"}, registry=registry, format_checker=oas30_format_checker
    )
    errors = sorted(checker.iter_errors(body), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_validator_rejects_what_the_schema_forbids() -> None:
    """The harness itself must be able to fail."""
    presence = "/restapi/v1.0/account/{accountId}/extension/{extensionId}/presence"
    with pytest.raises(AssertionError, match="Dancing"):
        assert_valid_operation({"dndStatus": "Dancing"}, "put", presence)
    with pytest.raises(AssertionError, match="invented"):
        assert_valid_operation({"invented": 1}, "put", presence)
    assert list(validator("GetPresenceInfo").iter_errors({"telephonyStatus": "Dancing"}))
    assert list(validator("GetExtensionInfoResponse").iter_errors({"id": "not-a-number"}))
    assert not list(validator("GetAccountInfoResponse").iter_errors({"invented": 1}))
    assert list(validator("GetAccountInfoResponse", strict=True).iter_errors({"invented": 1}))
    assert list(validator("GetExtensionListResponse", strict=True).iter_errors({"records": [{"extra": 1}]}))


@pytest.fixture
async def token(api: Api, simulator: Simulator) -> str:
    # Give the account calls so presence bodies carry activeCalls, and a Department extension.
    await api.control("POST", "extensions", {"extensions": [{"name": "Sales Queue", "type": "Department"}]})
    for index in (1, 2):
        tsid = simulator.state.calls.start("inbound_answered", api.extension_ids[index], step=True)
        simulator.state.calls.step(tsid)
    tokens = await api.login()
    access: str = tokens["access_token"]
    return access


async def get_json(api: Api, token: str, path: str, **params: str) -> Any:
    response = await api.get(path, token, query=params)
    assert response.status in (200, 207), await response.text()
    return await response.json(content_type=None)


@pytest.mark.parametrize(
    ("path", "schema"),
    [
        (ACCOUNT, "GetAccountInfoResponse"),
        (ACCOUNT + "/extension/~", "GetExtensionInfoResponse"),
        (ACCOUNT + "/extension", "GetExtensionListResponse"),
    ],
)
async def test_account_and_extension_bodies(api: Api, token: str, path: str, schema: str) -> None:
    body = await get_json(api, token, path, perPage="2", page="2")
    assert_valid(body, schema)


async def test_every_extension_info_body(api: Api, token: str) -> None:
    for ext_id in api.extension_ids:
        assert_valid(await get_json(api, token, f"{ACCOUNT}/extension/{ext_id}"), "GetExtensionInfoResponse")


@pytest.mark.parametrize(
    "params",
    [{}, {"detailedTelephonyState": "true"}, {"detailedTelephonyState": "true", "sipData": "true"}],
)
async def test_presence_bodies(api: Api, token: str, params: dict[str, str]) -> None:
    for ext_id in api.extension_ids:
        body = await get_json(api, token, f"{ACCOUNT}/extension/{ext_id}/presence", **params)
        assert_valid(body, "GetPresenceInfo")
    account = await get_json(api, token, f"{ACCOUNT}/presence", **params)
    assert account["records"]
    assert_valid(account, "AccountPresenceInfo")


async def test_batch_presence_parts(api: Api, token: str) -> None:
    path = f"{ACCOUNT}/extension/{','.join(api.extension_ids)}/presence"
    response = await api.get(path, token, headers={"Accept": BATCH_JSON}, detailedTelephonyState="true")
    parts = await response.json(content_type=None)
    assert len(parts) == len(api.extension_ids)
    for part in parts:
        assert part["status"] == 200
        assert_valid(part["body"], "GetPresenceInfo")


async def test_telephony_session_body(api: Api, token: str, simulator: Simulator) -> None:
    tsid = simulator.state.calls.start("hold_resume", api.extension_ids[3], step=True)
    for _ in range(3):
        simulator.state.calls.step(tsid)
        body = await get_json(api, token, f"{ACCOUNT}/telephony/sessions/{tsid}")
        assert_valid(body, "CallSessionObject")


async def test_subscription_body(api: Api, token: str) -> None:
    """`SubscriptionInfo` of a PubNub subscription created over REST (served by the delivery layer)."""
    request = {
        "eventFilters": [f"{ACCOUNT}/extension/~/presence?detailedTelephonyState=true"],
        "deliveryMode": {"transportType": "PubNub", "encryption": True},
    }
    response = await api.http.post(
        f"{api.sim.url}/restapi/v1.0/subscription", json=request, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status == 200, await response.text()
    assert_valid(await response.json(), "SubscriptionInfo")
