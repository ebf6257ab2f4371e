"""Subscription API: CRUD, filters and permissions, limits, expiry, blacklisting, event routing, faults."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openapi_schema_validator import OAS30Validator, oas30_format_checker

from rcsim import SimConfig, Simulator
from rcsim.event_filters import EventFilter, FilterError, parse_filter
from rcsim.model import Account, Extension
from tests.reference import openapi_spec
from tests.waiting import wait_for

from .delivery_support import (
    ACCOUNT_SESSIONS,
    EXT_PRESENCE,
    WsClient,
    login,
    presence_event,
    rest,
    telephony_event,
    ws_connect,
)

SPEC = openapi_spec()
SCHEMAS = SPEC["components"]["schemas"]
BASE = "/restapi/v1.0/subscription"
PUBNUB = {"transportType": "PubNub", "encryption": True}


def validate(instance: Any, name: str, *, websocket: bool = False) -> None:
    schema = copy.deepcopy(SCHEMAS[name])
    if websocket:
        # The spec's transportType enum (v1.0.46) predates WebSocket, which the platform answers.
        schema["properties"]["deliveryMode"]["properties"]["transportType"]["enum"].append("WebSocket")
    OAS30Validator(schema, format_checker=oas30_format_checker).validate(instance)


@pytest.fixture
def sim_config() -> SimConfig:
    return SimConfig(max_subscriptions=3)


@pytest.fixture
async def token(simulator: Simulator, http: aiohttp.ClientSession) -> str:
    return await login(simulator, http)


@pytest.fixture
async def client(simulator: Simulator, http: aiohttp.ClientSession, token: str) -> AsyncIterator[WsClient]:
    ws = await ws_connect(simulator, http, token)
    yield ws
    await ws.close()


def ids(sim: Simulator) -> list[str]:
    return list(sim.state.account.extensions)


async def create(
    sim: Simulator,
    http: aiohttp.ClientSession,
    token: str,
    filters: list[Any],
    mode: Any = None,
    **extra: Any,
) -> tuple[int, Any]:
    body = {"eventFilters": filters, "deliveryMode": PUBNUB if mode is None else mode, **extra}
    return await rest(sim, http, token, "POST", BASE, body=body)


# ---- CRUD ------------------------------------------------------------------------------------------


async def test_crud_round_trip(simulator: Simulator, http: aiohttp.ClientSession, token: str) -> None:
    status, info = await create(simulator, http, token, [EXT_PRESENCE])
    assert status == 200, info
    validate(info, "SubscriptionInfo")
    assert info["uri"] == f"{simulator.url}{BASE}/{info['id']}"
    assert info["status"] == "Active"
    assert info["expiresIn"] == simulator.config.pubnub_expires_in
    assert info["deliveryMode"]["transportType"] == "PubNub"

    status, got = await rest(simulator, http, token, "GET", f"{BASE}/{info['id']}")
    assert status == 200
    validate(got, "SubscriptionInfo")
    assert got["eventFilters"] == info["eventFilters"]

    status, listed = await rest(simulator, http, token, "GET", BASE)
    assert status == 200
    assert [r["id"] for r in listed["records"]] == [info["id"]]

    simulator.state.clock.advance(300)
    status, renewed = await rest(simulator, http, token, "POST", f"{BASE}/{info['id']}/renew")
    assert status == 200
    validate(renewed, "SubscriptionInfo")
    assert renewed["expirationTime"] > info["expirationTime"]
    assert renewed["expiresIn"] == simulator.config.pubnub_expires_in

    status, updated = await rest(
        simulator, http, token, "PUT", f"{BASE}/{info['id']}", body={"eventFilters": [ACCOUNT_SESSIONS]}
    )
    assert status == 200
    validate(updated, "SubscriptionInfo")
    assert updated["eventFilters"] == [
        f"/restapi/v1.0/account/{simulator.state.account.id}/telephony/sessions"
    ]

    status, body = await rest(simulator, http, token, "DELETE", f"{BASE}/{info['id']}")
    assert (status, body) == (204, None)
    status, body = await rest(simulator, http, token, "GET", f"{BASE}/{info['id']}")
    assert status == 404
    assert body["errorCode"] == "SUB-507"


async def test_websocket_subscription_matches_schema(client: WsClient) -> None:
    validate(await client.subscribe(EXT_PRESENCE, ACCOUNT_SESSIONS), "SubscriptionInfo", websocket=True)


async def test_websocket_transport_is_refused_over_rest(
    simulator: Simulator, http: aiohttp.ClientSession, token: str
) -> None:
    status, body = await create(simulator, http, token, [EXT_PRESENCE], {"transportType": "WebSocket"})
    assert status == 400
    assert body["errorCode"] == "CMN-101"


async def test_requires_authentication(simulator: Simulator, http: aiohttp.ClientSession) -> None:
    response = await http.get(f"{simulator.url}{BASE}")
    assert response.status == 401
    assert (await response.json())["errorCode"].startswith("OAU-")


async def test_malformed_json(simulator: Simulator, http: aiohttp.ClientSession, token: str) -> None:
    response = await http.post(
        f"{simulator.url}{BASE}", data="{nope", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status == 400
    assert (await response.json())["errorCode"] == "CMN-101"


@pytest.mark.parametrize(
    "body",
    [
        {"eventFilters": [EXT_PRESENCE]},
        {"eventFilters": [EXT_PRESENCE], "deliveryMode": {"transportType": "Carrier pigeon"}},
        {"eventFilters": [EXT_PRESENCE], "deliveryMode": "PubNub"},
        {"eventFilters": [EXT_PRESENCE], "deliveryMode": PUBNUB, "expiresIn": -5},
        [1, 2],
    ],
)
async def test_bad_requests(simulator: Simulator, http: aiohttp.ClientSession, token: str, body: Any) -> None:
    status, answer = await rest(simulator, http, token, "POST", BASE, body=body)
    assert status == 400
    assert answer["errorCode"] == "CMN-101"
    assert answer["message"]


@pytest.mark.parametrize(
    "filters",
    [
        [],
        "not a list",
        ["/restapi/v1.0/account/~/extension/~/missed-calls"],
        ["/restapi/v1.0/account/~/extension/~/message-store?type=Carrier"],
        ["/restapi/v1.0/account/~/extension/~/message-store?direction=Inbound"],
        ["/restapi/v1.0/account/~/extension/~/message-store/instant"],
        ["/restapi/v1.0/account/~/extension/~/message-store/instant?type=Fax"],
        ["/restapi/v1.0/account/~/voicemail"],
        ["/restapi/v1.0/account/~/extension/~/directory/entries"],
        ["/restapi/v1.0/account/~/directory/entries?type=User"],
        ["/restapi/v1.0/account/~/extension/~/presence?detailedTelephonyState=maybe"],
        ["/restapi/v1.0/account/~/extension/~/presence?color=blue"],
        ["/restapi/v1.0/account/~/telephony/sessions?direction=Inbound"],
        [EXT_PRESENCE, 42],
    ],
)
async def test_invalid_filters(
    simulator: Simulator, http: aiohttp.ClientSession, token: str, filters: Any
) -> None:
    status, body = await create(simulator, http, token, filters)
    assert status == 400
    assert body["errorCode"] == "SUB-508"
    assert simulator.state.subscriptions.describe() == []


@pytest.mark.parametrize(
    ("removed", "disabled"),
    [
        ("ReadPresence", [0, 1]),
        ("CallControl", [2, 3]),
        ("ReadAccounts", [1]),
    ],
)
async def test_filters_the_app_may_not_use_are_disabled(
    simulator: Simulator, http: aiohttp.ClientSession, token: str, removed: str, disabled: list[int]
) -> None:
    filters = [
        EXT_PRESENCE,
        "/restapi/v1.0/account/~/presence?detailedTelephonyState=true",
        "/restapi/v1.0/account/~/extension/~/telephony/sessions",
        ACCOUNT_SESSIONS,
    ]
    simulator.state.app.permissions.discard(removed)
    status, info = await create(simulator, http, token, filters)
    assert status == 200, info
    validate(info, "SubscriptionInfo")
    assert len(info["disabledFilters"]) == len(disabled)
    assert all(removed in item["message"] for item in info["disabledFilters"])
    assert all(item["reason"] for item in info["disabledFilters"])
    assert len(info["eventFilters"]) == len(filters) - len(disabled)


async def test_account_filters_need_an_admin(simulator: Simulator, http: aiohttp.ClientSession) -> None:
    user = ids(simulator)[1]
    token = await login(simulator, http, user)
    other = ids(simulator)[2]
    filters = [
        ACCOUNT_SESSIONS,
        "/restapi/v1.0/account/~/presence?detailedTelephonyState=true",
        f"/restapi/v1.0/account/~/extension/{other}/telephony/sessions",
        f"/restapi/v1.0/account/~/extension/{other}/presence",
        "/restapi/v1.0/account/~/extension/~/telephony/sessions",
        "/restapi/v1.0/account/999/extension/~/presence",
        "/restapi/v1.0/account/~/extension/123/presence",
    ]
    status, info = await create(simulator, http, token, filters)
    assert status == 200, info
    account = simulator.state.account.id
    assert info["eventFilters"] == [
        f"/restapi/v1.0/account/{account}/extension/{other}/presence",
        f"/restapi/v1.0/account/{account}/extension/{user}/telephony/sessions",
    ]
    reasons = {item["filter"]: item["reason"] for item in info["disabledFilters"]}
    assert reasons == {
        f"/restapi/v1.0/account/{account}/telephony/sessions": "AccessDenied",
        f"/restapi/v1.0/account/{account}/presence?detailedTelephonyState=true": "AccessDenied",
        f"/restapi/v1.0/account/{account}/extension/{other}/telephony/sessions": "AccessDenied",
        f"/restapi/v1.0/account/999/extension/{user}/presence": "AccountNotFound",
        f"/restapi/v1.0/account/{account}/extension/123/presence": "ExtensionNotFound",
    }


@pytest.mark.parametrize(
    ("transport", "permission"),
    [("PubNub", "SubscriptionPubNub"), ("WebHook", "SubscriptionWebhook")],
)
async def test_missing_transport_permission_is_forbidden(
    simulator: Simulator, http: aiohttp.ClientSession, token: str, transport: str, permission: str
) -> None:
    simulator.state.app.permissions.discard(permission)
    mode = {"transportType": transport, "address": "http://127.0.0.1:9/hook"}
    status, body = await create(simulator, http, token, [EXT_PRESENCE], mode)
    assert status == 403
    assert body["errorCode"] == "CMN-408"
    assert permission in body["message"]


async def test_missing_websocket_permission_is_forbidden(simulator: Simulator, client: WsClient) -> None:
    simulator.state.app.permissions.discard("WebSocketsSubscriptions")
    header, body = await client.request(
        "POST", BASE, {"eventFilters": [EXT_PRESENCE], "deliveryMode": {"transportType": "WebSocket"}}
    )
    assert header["status"] == 403
    assert body["errorCode"] == "CMN-408"


async def test_subscription_limit(simulator: Simulator, http: aiohttp.ClientSession, token: str) -> None:
    for _ in range(simulator.config.max_subscriptions):
        status, _body = await create(simulator, http, token, [EXT_PRESENCE])
        assert status == 200
    status, body = await create(simulator, http, token, [EXT_PRESENCE])
    assert status == 403
    assert body["errorCode"] == "SUB-505"
    # The limit is per user: another extension may still subscribe.
    other = await login(simulator, http, ids(simulator)[1])
    status, _body = await create(simulator, http, other, [EXT_PRESENCE])
    assert status == 200


async def test_other_users_subscriptions_are_invisible(
    simulator: Simulator, http: aiohttp.ClientSession, token: str
) -> None:
    _, info = await create(simulator, http, token, [EXT_PRESENCE])
    other = await login(simulator, http, ids(simulator)[1])
    for method, suffix in [("GET", ""), ("PUT", ""), ("DELETE", ""), ("POST", "/renew")]:
        status, body = await rest(simulator, http, other, method, f"{BASE}/{info['id']}{suffix}", body={})
        assert status == 404, (method, suffix)
        assert body["errorCode"] == "SUB-507"
    status, listed = await rest(simulator, http, other, "GET", BASE)
    assert listed["records"] == []


async def test_unknown_subscription(simulator: Simulator, http: aiohttp.ClientSession, token: str) -> None:
    status, body = await rest(simulator, http, token, "POST", f"{BASE}/does-not-exist/renew")
    assert status == 404
    assert body["errorCode"] == "SUB-507"


# ---- expiry and blacklisting ------------------------------------------------------------------------


async def test_subscription_expires(simulator: Simulator, http: aiohttp.ClientSession, token: str) -> None:
    _, info = await create(simulator, http, token, [EXT_PRESENCE])
    simulator.state.clock.advance(simulator.config.pubnub_expires_in + 1)
    for method, suffix in [("GET", ""), ("POST", "/renew")]:
        status, body = await rest(simulator, http, token, method, f"{BASE}/{info['id']}{suffix}")
        assert status == 404
        assert body["errorCode"] == "SUB-507"


async def test_expire_fault_stops_delivery(
    simulator: Simulator, http: aiohttp.ClientSession, token: str, client: WsClient
) -> None:
    info = await client.subscribe(EXT_PRESENCE)
    response = await http.post(
        f"{simulator.url}/sim/faults", json={"type": "expire_subscription", "subscription_id": info["id"]}
    )
    assert response.status == 200
    simulator.state.bus.publish(presence_event(ids(simulator)[0]))
    header, body = await client.request("GET", f"{BASE}/{info['id']}")
    assert header["status"] == 404
    assert body["errorCode"] == "SUB-507"
    assert client.notifications() == []
    assert not [e for e in simulator.state.log if e["kind"] == "notification"]


async def test_blacklist_fault(
    simulator: Simulator, http: aiohttp.ClientSession, token: str, client: WsClient
) -> None:
    info = await client.subscribe(EXT_PRESENCE)
    response = await http.post(f"{simulator.url}/sim/faults", json={"type": "blacklist_subscription"})
    assert response.status == 200
    simulator.state.bus.publish(presence_event(ids(simulator)[0]))
    header, body = await client.request("GET", f"{BASE}/{info['id']}")
    assert header["status"] == 200
    validate(body, "SubscriptionInfo", websocket=True)
    assert body["status"] == "Blacklisted"
    assert body["blacklistedData"]["reason"]
    assert body["blacklistedData"]["blacklistedAt"].endswith("Z")
    # A blacklisted subscription does not come back on renewal.
    header, body = await client.request("POST", f"{BASE}/{info['id']}/renew")
    assert body["status"] == "Blacklisted"
    assert client.notifications() == []


# ---- routing --------------------------------------------------------------------------------------


async def test_account_presence_delivers_every_extension(simulator: Simulator, client: WsClient) -> None:
    info = await client.subscribe("/restapi/v1.0/account/~/presence?detailedTelephonyState=true")
    first, second = ids(simulator)[:2]
    simulator.state.bus.publish(presence_event(first, sequence=1))
    simulator.state.bus.publish(presence_event(second, sequence=2))
    await wait_for(lambda: len(client.notifications()) == 2)
    notes = client.notifications()
    assert [n["body"]["extensionId"] for n in notes] == [first, second]
    assert {n["event"] for n in notes} == set(info["eventFilters"])
    # Detailed presence without sipData=true loses sipData but keeps activeCalls.
    assert "sipData" not in notes[0]["body"]["activeCalls"][0]
    assert notes[0]["body"]["activeCalls"][0]["partyId"] == "p-1"
    for note in notes:
        validate(note, "DetailedExtensionPresenceEvent")


async def test_extension_telephony_filter_ignores_other_extensions(
    simulator: Simulator, client: WsClient
) -> None:
    await client.subscribe("/restapi/v1.0/account/~/extension/~/telephony/sessions")
    first, second = ids(simulator)[:2]
    simulator.state.bus.publish(telephony_event(second, sequence=1))
    simulator.state.bus.publish(presence_event(first, sequence=2))
    simulator.state.bus.publish(telephony_event(first, sequence=3))
    await wait_for(lambda: len(client.notifications()) == 1)
    assert client.notifications()[0]["body"]["sequence"] == 3


async def test_real_call_reaches_subscriber(
    simulator: Simulator, http: aiohttp.ClientSession, client: WsClient
) -> None:
    await client.subscribe(EXT_PRESENCE, ACCOUNT_SESSIONS)
    admin = ids(simulator)[0]
    response = await http.post(
        f"{simulator.url}/sim/calls",
        json={"scenario": "inbound_answered", "extension_id": admin, "speed": 100},
    )
    assert response.status in (200, 201), await response.text()
    await simulator.state.calls.drain()
    await wait_for(lambda: any(n["body"].get("telephonyStatus") == "NoCall" for n in client.notifications()))
    presence = [n for n in client.notifications() if "/presence" in n["event"]]
    assert [p["body"]["telephonyStatus"] for p in presence][-1] == "NoCall"
    assert "Ringing" in [p["body"]["telephonyStatus"] for p in presence]
    for note in presence:
        validate(note, "DetailedExtensionPresenceWithSIPEvent")


# ---- notification faults ----------------------------------------------------------------------------


async def set_faults(sim: Simulator, http: aiohttp.ClientSession, **faults: Any) -> None:
    response = await http.post(f"{sim.url}/sim/faults", json={"type": "notifications", **faults})
    assert response.status == 200, await response.text()


async def publish_and_collect(sim: Simulator, client: WsClient, count: int, expected: int) -> list[int]:
    for sequence in range(1, count + 1):
        sim.state.bus.publish(presence_event(ids(sim)[0], sequence=sequence))
    await wait_for(lambda: len(client.notifications()) >= expected)
    return [n["body"]["sequence"] for n in client.notifications()]


async def test_fault_drop(simulator: Simulator, http: aiohttp.ClientSession, client: WsClient) -> None:
    await client.subscribe(EXT_PRESENCE)
    await set_faults(simulator, http, drop=1.0, count=1)
    assert await publish_and_collect(simulator, client, 3, 2) == [2, 3]
    assert simulator.state.faults.notifications.remaining == 0


async def test_fault_duplicate(simulator: Simulator, http: aiohttp.ClientSession, client: WsClient) -> None:
    await client.subscribe(EXT_PRESENCE)
    await set_faults(simulator, http, duplicate=1.0, count=1)
    assert await publish_and_collect(simulator, client, 2, 3) == [1, 1, 2]
    first, again, _ = client.notifications()
    assert first["uuid"] == again["uuid"]


async def test_fault_reorder(simulator: Simulator, http: aiohttp.ClientSession, client: WsClient) -> None:
    await client.subscribe(EXT_PRESENCE)
    await set_faults(simulator, http, reorder=1.0, count=1)
    assert await publish_and_collect(simulator, client, 3, 3) == [2, 1, 3]


async def test_fault_reorder_releases_a_held_notification(
    simulator: Simulator, http: aiohttp.ClientSession, client: WsClient
) -> None:
    await client.subscribe(EXT_PRESENCE)
    await set_faults(simulator, http, reorder=1.0, count=1)
    simulator.state.clock.time_scale = 100.0  # the hold ends after a few simulated seconds
    simulator.state.bus.publish(presence_event(ids(simulator)[0], sequence=1))
    await wait_for(lambda: len(client.notifications()) == 1)


async def test_fault_delay(simulator: Simulator, http: aiohttp.ClientSession, client: WsClient) -> None:
    await client.subscribe(EXT_PRESENCE)
    simulator.state.clock.time_scale = 100.0
    await set_faults(simulator, http, delay=5.0, count=2)
    sequences = await publish_and_collect(simulator, client, 3, 3)
    assert sorted(sequences) == [1, 2, 3]
    delayed = [e for e in simulator.state.log if e["kind"] == "notification_fault"]
    assert [e["fault"] for e in delayed] == ["delay", "delay"]
    assert simulator.state.faults.notifications.remaining == 0


# ---- filters (pure) ---------------------------------------------------------------------------------

ACCOUNT = Account(id="111")
OWNER = Extension(id="222", extension_number="101", name="Ann Owner")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "/restapi/v1.0/account/~/extension/~/presence",
            EventFilter("presence", "111", "222"),
        ),
        (
            "/restapi/v1.0/account/~/extension/333/presence?detailedTelephonyState=true&sipData=true",
            EventFilter("presence", "111", "333", "detailedTelephonyState=true&sipData=true", True, True),
        ),
        (
            "/restapi/v1.0/account/~/presence?detailedTelephonyState=true",
            EventFilter("presence", "111", None, "detailedTelephonyState=true", True, False),
        ),
        ("/restapi/v1.0/account/~/telephony/sessions", EventFilter("telephony", "111", None)),
        ("/restapi/v1.0/account/111/extension/~/telephony/sessions", EventFilter("telephony", "111", "222")),
        ("/restapi/v1.0/account/~/extension/~/voicemail", EventFilter("voicemail", "111", "222")),
        ("/restapi/v1.0/account/~/extension/~/message-store", EventFilter("message-store", "111", "222")),
        (
            "/restapi/v1.0/account/~/extension/~/message-store?type=voicemail",
            EventFilter("message-store", "111", "222", "type=voicemail", message_type="Voicemail"),
        ),
        (
            "/restapi/v1.0/account/~/extension/~/message-store/instant?type=SMS",
            EventFilter("instant-message", "111", "222", "type=SMS"),
        ),
        ("/restapi/v1.0/account/~/directory/entries", EventFilter("directory", "111", None)),
    ],
)
def test_parse_filter(text: str, expected: EventFilter) -> None:
    assert parse_filter(text, ACCOUNT, OWNER) == expected


@pytest.mark.parametrize(
    "text",
    [
        "/restapi/v1.0/account/~/voicemail",
        "/restapi/v1.0/account/~/extension/~/voicemail?type=SMS",
        "/restapi/v1.0/account/~/message-store",
        "/restapi/v2/account/~/presence",
        "/restapi/v1.0/account/~/presence?sipData=yes",
        "",
    ],
)
def test_parse_filter_rejects(text: str) -> None:
    with pytest.raises(FilterError):
        parse_filter(text, ACCOUNT, OWNER)


@given(
    extension=st.one_of(st.none(), st.sampled_from(["~", "222", "999"])),
    detailed=st.one_of(st.none(), st.booleans()),
    sip=st.one_of(st.none(), st.booleans()),
)
def test_presence_filter_round_trips(extension: str | None, detailed: bool | None, sip: bool | None) -> None:
    params = [
        f"{k}={str(v).lower()}"
        for k, v in (("detailedTelephonyState", detailed), ("sipData", sip))
        if v is not None
    ]
    text = "/restapi/v1.0/account/~" + (f"/extension/{extension}" if extension else "") + "/presence"
    text += "?" + "&".join(params) if params else ""
    parsed = parse_filter(text, ACCOUNT, OWNER)
    assert parse_filter(parsed.uri, ACCOUNT, OWNER) == parsed
    assert parsed.detailed is bool(detailed)
    assert parsed.sip_data is bool(sip)
    assert "~" not in parsed.uri


@pytest.mark.parametrize(
    ("query", "has_calls", "has_sip"),
    [
        ("", False, False),
        ("detailedTelephonyState=true", True, False),
        ("detailedTelephonyState=true&sipData=true", True, True),
    ],
)
def test_presence_shaping(query: str, has_calls: bool, has_sip: bool) -> None:
    event = presence_event("222")
    shaped = parse_filter(f"/restapi/v1.0/account/~/extension/~/presence?{query}", ACCOUNT, OWNER).shape(
        event.body
    )
    assert ("activeCalls" in shaped) is has_calls
    if has_calls:
        assert ("sipData" in shaped["activeCalls"][0]) is has_sip
    assert shaped["telephonyStatus"] == "Ringing"
    assert "sipData" in event.body["activeCalls"][0]  # the published body is not changed
