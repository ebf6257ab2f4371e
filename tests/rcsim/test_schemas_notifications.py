"""Every body the call engine produces validates against RingCentral's OpenAPI schemas.

Validation uses `openapi_schema_validator` on the schemas of `ringcentral-openapi-subset.json`.
Those schemas allow undeclared properties, so a second check lists every key we emit that a schema
does not declare: each must be one RingCentral's official samples carry (or one the spec declares
on the sibling schema), never an invention of ours.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from openapi_schema_validator import OAS30Validator, oas30_format_checker

from rcsim.calls import CallEngine
from rcsim.scenarios import NEEDS_SECOND_USER, SCENARIOS
from tests.reference import SPEC_PATH

from .calls_support import Recorder, make_engine, user_ids

SCHEMAS: dict[str, Any] = json.loads(SPEC_PATH.read_text())["components"]["schemas"]

# Keys we emit beyond what a schema declares, and where RingCentral shows them.
ALLOWED_UNDECLARED: dict[str, set[str]] = {
    # samples/*-telephony-sessions.json carry them
    "TelephonySessionsEventBody": {
        "accountId",
        "extensionId",
        "parties[].sipData",
        "parties[].missedCall",
        "parties[].standAlone",
        "parties[].muted",
        "parties[].queueCall",
        # declared on CallSessionObject's party
        "parties[].park",
        # the samples spell it srvLvl, the spec srvlvl
        "parties[].status.mobilePickupData.srvLvl",
    },
    # The envelope's ownerId (every sample has it there; the spec declares it inside `body`).
    "DetailedExtensionPresenceWithSIPEvent": {"ownerId"},
    "GetPresenceInfo": set(),
    # declared on TelephonySessionsEventBody's party status
    "CallSessionObject": {"parties[].status.parkData"},
}


def _validator(schema: dict[str, Any]) -> OAS30Validator:
    return OAS30Validator(schema, format_checker=oas30_format_checker)


def _undeclared(schema: dict[str, Any], value: Any, path: str = "") -> Iterator[str]:
    """Paths (`a.b[].c`) of object keys that `schema` does not declare."""
    if isinstance(value, dict) and "properties" in schema:
        for key, item in value.items():
            where = f"{path}.{key}" if path else key
            if key not in schema["properties"]:
                yield where
            else:
                yield from _undeclared(schema["properties"][key], item, where)
    elif isinstance(value, list) and "items" in schema:
        for item in value:
            yield from _undeclared(schema["items"], item, f"{path}[]")


def _check(schema_name: str, instance: dict[str, Any], schema: dict[str, Any] | None = None) -> None:
    schema = schema or SCHEMAS[schema_name]
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in _validator(schema).iter_errors(instance)]
    assert not errors, f"{schema_name}: {errors}"
    extra = set(_undeclared(schema, instance)) - ALLOWED_UNDECLARED[schema_name]
    assert not extra, f"{schema_name}: undeclared keys {sorted(extra)}"


def _notification(engine: CallEngine, extension_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """The envelope the subscription layer wraps a presence body in."""
    account = engine.state.account.id
    return {
        "uuid": "4956997212540532738",
        "event": f"/restapi/v1.0/account/{account}/extension/{extension_id}/presence"
        "?detailedTelephonyState=true&sipData=true",
        "timestamp": engine.state.clock.iso(),
        "subscriptionId": "dfbca25e-4e2b-4c60-aa8d-47a83716fe23",
        "ownerId": extension_id,
        "body": body,
    }


def _run_checking_rest(name: str) -> tuple[CallEngine, Recorder, int]:
    """Run a scenario step by step, validating the REST views after every step."""
    engine, recorder = make_engine()
    ids = user_ids(engine)
    other = ids[1] if name in NEEDS_SECOND_USER else None
    run_id = engine.start(name, ids[0], other_extension_id=other, step=True)
    checked = 0
    while engine.step(run_id):
        for ext_id in engine.state.account.extensions:
            for detailed in (True, False):
                for sip_data in (True, False):
                    _check("GetPresenceInfo", engine.presence(ext_id, detailed=detailed, sip_data=sip_data))
                    checked += 1
        for tsid in {b["telephonySessionId"] for b in recorder.of("telephony")}:
            session = engine.telephony_session(tsid)
            if session is not None:
                _check("CallSessionObject", session)
                checked += 1
    return engine, recorder, checked


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario_bodies_validate(name: str) -> None:
    engine, recorder, rest_checked = _run_checking_rest(name)
    assert rest_checked > 0
    assert recorder.events
    for event in recorder.events:
        if event.kind == "presence":
            _check(
                "DetailedExtensionPresenceWithSIPEvent", _notification(engine, event.extension_id, event.body)
            )
        else:
            _check("TelephonySessionsEventBody", event.body)


def test_validation_catches_a_wrong_body() -> None:
    """The checks above can fail: a wrong enum value and an invented key are both caught."""
    engine, recorder = make_engine()
    me = user_ids(engine)[0]
    run_id = engine.start("inbound_answered", me, step=True)
    engine.step(run_id)
    body = dict(recorder.of("presence", me)[0])
    body["telephonyStatus"] = "Talking"
    with pytest.raises(AssertionError, match="is not one of"):
        _check("DetailedExtensionPresenceWithSIPEvent", _notification(engine, me, body))
    rest = engine.presence(me)
    rest["activeCalls"][0]["colour"] = "blue"
    with pytest.raises(AssertionError, match=r"activeCalls\[\]\.colour"):
        _check("GetPresenceInfo", rest)
