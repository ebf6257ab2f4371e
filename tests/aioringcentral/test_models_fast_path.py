"""The typed fast path (msgspec, `wire.py`) and the tolerant readers of `models` agree on every body.

Bodies are official samples and simulator-shaped ones with fields replaced by awkward values (numeric
ids, `"true"`, epoch milliseconds, timestamps msgspec would read differently, wrong types, legacy
fields). Whenever the fast path returns a model, the readers return the same one; otherwise the
public parser is the readers' result or their exact `ParseError`.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custom_components.ringcentral.aioringcentral.errors import ParseError
from custom_components.ringcentral.aioringcentral.models import (
    Presence,
    TelephonySessionEvent,
    parse_presence,
    parse_telephony_session,
)
from custom_components.ringcentral.aioringcentral.models.presence import _fast_presence
from custom_components.ringcentral.aioringcentral.models.sessions import _fast_session

FIXTURES = Path(__file__).parent / "fixtures"
SETTINGS = settings(
    max_examples=400, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)

AWKWARD: list[Any] = [
    None,
    "",
    "~",
    "x",
    "5",
    5,
    2**70,
    0,
    1.5,
    True,
    False,
    "true",
    "FALSE",
    [],
    {},
    ["a"],
    {"id": "7"},
    {"id": 7},
    {"code": ""},
    {"code": "Answered", "peerId": {"partyId": 5}},
    {"code": "Parked", "parkData": "*801"},
    {"code": "Parked", "parkData": 801},
    {"phoneNumber": 5550001},
    {"accountId": "1", "extensionId": "2"},
    "2024-01-01T00:00:00Z",
    "2024-01-01T00:00:00.1234567Z",  # msgspec would round, fromisoformat truncates
    "2024-01-01t00:00:00z",  # msgspec would read it, fromisoformat does not
    "2024-01-01T00:00:00+02:00",
    "2024-01-01T00:00:00.000+0000",
    "2024-01-01T00:00:00",
    " 2024-01-01T00:00:00Z",
    "1700000000000",
    1700000000000,
    "yesterday",
]
EXTRA_KEYS = ["_from", "owner", "park", "parkData", "creationTime", "extension", "id", "peerId", "detailed"]


def _sample_body(name: str) -> dict[str, Any]:
    raw = json.loads((FIXTURES / name).read_text())
    body: dict[str, Any] = raw.get("body") or raw["pn_apns"]["body"]
    return body


PRESENCE_BODIES = [
    _sample_body("detailed-extension-presence-with-sip.json"),
    _sample_body("detailed-extension-presence.json"),
    {
        "extensionId": "400144481008",
        "telephonyStatus": "CallConnected",
        "activeCalls": [
            {
                "id": "7hju",
                "direction": "Inbound",
                "queueCall": False,
                "from": "+14155550198",
                "fromName": "Jane Cooper",
                "to": "+16505550127",
                "toName": "User 0027",
                "telephonyStatus": "CallConnected",
                "sessionId": "213735683607",
                "startTime": "2026-12-05T21:30:30.335Z",
                "partyId": "cs7-2",
                "telephonySessionId": "Y3M3",
                "sipData": {"callId": "1", "toTag": "2", "fromTag": "3"},
            },
            {"id": "2", "_from": "+1555", "telephonyStatus": "Ringing", "terminationType": "intermediate"},
        ],
        "presenceStatus": "Busy",
        "userStatus": "Available",
        "dndStatus": "TakeAllCalls",
        "meetingStatus": "Disconnected",
        "totalActiveCalls": 2,
        "sequence": 2,
    },
    {"extension": {"id": "101"}, "presenceStatus": "Available"},
]
SESSION_BODIES = [
    _sample_body("account-telephony-sessions.json"),
    _sample_body("extension-telephony-sessions.json"),
    {
        "sequence": 2,
        "sessionId": "2137",
        "telephonySessionId": "Y3M3",
        "serverId": "10.62.25.111.TAM",
        "eventTime": "2026-12-05T21:30:30.835Z",
        "accountId": "4001",
        "parties": [
            {
                "accountId": "4001",
                "extensionId": "4002",
                "id": "cs7-2",
                "direction": "Inbound",
                "to": {"phoneNumber": "+1650", "name": "User 0027", "extensionId": "4002"},
                "from": {"phoneNumber": "+1415", "name": "Jane Cooper"},
                "status": {"code": "Gone", "reason": "Pickup", "peerId": {"sessionId": "1", "partyId": "p"}},
                "missedCall": False,
                "standAlone": False,
                "muted": False,
                "park": {"id": "*801"},
            },
            {"id": "p2", "owner": {"accountId": "1", "extensionId": "9"}, "status": {"code": "Parked"}},
            {"id": "p3", "status": {"code": "Parked", "parkData": ""}},
            {"id": "p4", "status": {"code": "Parked", "parkData": 801}},
            {"id": "p5", "status": {"code": "Parked", "parkData": "*802"}, "park": {"id": ""}},
        ],
        "origin": {"type": "Call"},
    },
    {"id": "rest-session", "creationTime": "2026-12-05T21:30:30Z", "parties": []},
]


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON value a mutation can go (keys of objects, indexes of lists)."""
    found = [path] if path else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*path, index))
    return found


@st.composite
def mutated(draw: st.DrawFn, bases: list[dict[str, Any]]) -> dict[str, Any]:
    body = copy.deepcopy(draw(st.sampled_from(bases)))
    for _ in range(draw(st.integers(0, 3))):
        paths = _paths(body)
        containers = [p for p in paths if isinstance(_at(body, p), dict)] + [()]
        if draw(st.booleans()) and paths:
            path = draw(st.sampled_from(paths))
            parent = _at(body, path[:-1])
            parent[path[-1]] = copy.deepcopy(draw(st.sampled_from(AWKWARD)))
        else:
            target = _at(body, draw(st.sampled_from(containers)))
            target[draw(st.sampled_from(EXTRA_KEYS))] = copy.deepcopy(draw(st.sampled_from(AWKWARD)))
    return body


def _at(value: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        value = value[step]
    return value


def _exactly_typed(model: Any) -> None:
    """What the readers promise: ids and statuses as exact `str`, times in UTC."""
    annotations = {
        k: v for cls in type(model).__mro__ for k, v in getattr(cls, "__annotations__", {}).items()
    }
    for name in model.__struct_fields__:
        value = getattr(model, name)
        if str(annotations[name]).startswith("str"):
            assert value is None or type(value) is str, (name, value)
        if isinstance(value, str):
            assert type(value) is str, name
        elif isinstance(value, datetime):
            assert value.tzinfo is UTC, name
        elif isinstance(value, tuple):
            for item in value:
                _exactly_typed(item)
        elif hasattr(value, "__struct_fields__"):
            _exactly_typed(value)


def _readers(parse: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return parse(*args, **kwargs)
    except ParseError as err:
        return err.message


@SETTINGS
@given(
    mutated(PRESENCE_BODIES), st.sampled_from([None, "", "~", "555"]), st.sampled_from([None, True, False])
)
def test_presence_paths_agree(body: dict[str, Any], extension_id: str | None, detailed: bool | None) -> None:
    expected = _readers(Presence.from_dict, body, extension_id=extension_id, detailed=detailed)
    fast = _fast_presence(body, extension_id, detailed)
    if fast is not None:
        assert fast == expected
        _exactly_typed(fast)
    assert _readers(parse_presence, body, extension_id=extension_id, detailed=detailed) == expected


@SETTINGS
@given(mutated(SESSION_BODIES))
def test_session_paths_agree(body: dict[str, Any]) -> None:
    expected = _readers(TelephonySessionEvent.from_dict, body)
    fast = _fast_session(body)
    if fast is not None:
        assert fast == expected
        _exactly_typed(fast)
    assert _readers(parse_telephony_session, body) == expected


@pytest.mark.parametrize("body", PRESENCE_BODIES)
def test_well_formed_presence_takes_the_fast_path(body: dict[str, Any]) -> None:
    fast = _fast_presence(body, None, None)
    assert fast is not None
    assert fast == Presence.from_dict(body)


@pytest.mark.parametrize("body", SESSION_BODIES)
def test_well_formed_session_takes_the_fast_path(body: dict[str, Any]) -> None:
    fast = _fast_session(body)
    assert fast is not None
    assert fast == TelephonySessionEvent.from_dict(body)


def test_big_integers_stay_exact() -> None:
    presence = parse_presence({"extensionId": "1", "sequence": 2**70, "totalActiveCalls": -(2**65)})
    assert (presence.sequence, presence.total_active_calls) == (2**70, -(2**65))
