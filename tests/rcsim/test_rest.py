"""REST resources over HTTP: account, extensions (paging, filters), presence (single, batch,
account-wide), telephony sessions, permissions."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from rcsim import Simulator

from .conftest import Api, error_code

ACCOUNT = "/restapi/v1.0/account/~"
BATCH_JSON = "application/vnd.ringcentral.multipart+json"


@pytest.fixture
async def token(api: Api) -> str:
    """An access token of the admin extension."""
    tokens = await api.login()
    access: str = tokens["access_token"]
    return access


async def json_of(response: aiohttp.ClientResponse, status: int = 200) -> Any:
    assert response.status == status, await response.text()
    return await response.json()


def ringing_call(simulator: Simulator, extension_id: str) -> str:
    """Start an inbound call in step mode and ring the extension; returns the telephonySessionId."""
    tsid = simulator.state.calls.start("inbound_answered", extension_id, step=True)
    assert simulator.state.calls.step(tsid)
    return tsid


# -- account and extensions ------------------------------------------------------------------------


@pytest.mark.parametrize("account", ["~", "400144452008"])
async def test_account_info(api: Api, token: str, account: str) -> None:
    body = await json_of(await api.get(f"/restapi/v1.0/account/{account}", token))
    assert body["id"] == 400144452008
    assert body["mainNumber"] == api.sim.state.account.main_number
    assert body["operator"]["id"] == int(api.extension_ids[0])
    assert body["uri"].startswith(api.sim.url)


async def test_other_account_is_not_found(api: Api, token: str) -> None:
    response = await api.get("/restapi/v1.0/account/123", token)
    assert response.status == 404
    assert await error_code(response) == "CMN-102"
    assert "[accountId]" in (await response.json())["message"]


async def test_extension_info_of_me_and_others(api: Api, token: str) -> None:
    admin, other = api.extension_ids[0], api.extension_ids[1]
    me = await json_of(await api.get(f"{ACCOUNT}/extension/~", token))
    assert me["id"] == int(admin)
    assert me["permissions"]["admin"]["enabled"] is True
    assert me["account"]["id"] == api.sim.state.account.id
    ext = api.sim.state.account.extensions[other]
    them = await json_of(await api.get(f"{ACCOUNT}/extension/{other}", token))
    assert them["id"] == int(other)
    assert them["permissions"]["admin"]["enabled"] is False
    assert them["extensionNumber"] == ext.extension_number
    assert them["name"] == ext.name
    assert them["contact"]["firstName"] == ext.first_name
    assert them["status"] == "Enabled"
    assert them["type"] == "User"


async def test_unknown_extension_is_not_found(api: Api, token: str) -> None:
    response = await api.get(f"{ACCOUNT}/extension/999", token)
    assert response.status == 404
    assert await error_code(response) == "CMN-102"
    assert (await response.json())["errors"][0]["parameterName"] == "extensionId"


async def test_extension_list_default_page(api: Api, token: str) -> None:
    body = await json_of(await api.get(f"{ACCOUNT}/extension", token))
    assert [str(r["id"]) for r in body["records"]] == api.extension_ids
    assert body["paging"] == {
        "page": 1,
        "perPage": 100,
        "pageStart": 0,
        "pageEnd": len(api.extension_ids) - 1,
        "totalPages": 1,
        "totalElements": len(api.extension_ids),
    }
    assert set(body["navigation"]) == {"firstPage", "lastPage"}


async def test_extension_list_paging_and_navigation(api: Api, token: str) -> None:
    middle = await json_of(await api.get(f"{ACCOUNT}/extension", token, page="2", perPage="2"))
    assert [str(r["id"]) for r in middle["records"]] == api.extension_ids[2:4]
    assert middle["paging"] == {
        "page": 2,
        "perPage": 2,
        "pageStart": 2,
        "pageEnd": 3,
        "totalPages": 3,
        "totalElements": 5,
    }
    nav = middle["navigation"]
    assert set(nav) == {"firstPage", "lastPage", "nextPage", "previousPage"}

    def page_of(link: dict[str, str]) -> str:
        return parse_qs(urlsplit(link["uri"]).query)["page"][0]

    assert [page_of(nav[k]) for k in ("firstPage", "previousPage", "nextPage", "lastPage")] == [
        "1",
        "1",
        "3",
        "3",
    ]
    last = await json_of(await api.get(f"{ACCOUNT}/extension", token, page="3", perPage="2"))
    assert "nextPage" not in last["navigation"]
    assert last["paging"]["pageStart"] == last["paging"]["pageEnd"] == 4
    beyond = await json_of(await api.get(f"{ACCOUNT}/extension", token, page="9", perPage="2"))
    assert beyond["records"] == []
    assert "pageStart" not in beyond["paging"]


async def test_following_next_page_visits_every_extension(api: Api, token: str) -> None:
    seen: list[str] = []
    url: str | None = f"{api.sim.url}{ACCOUNT}/extension?perPage=2"
    while url is not None:
        response = await api.http.get(url, headers={"Authorization": f"Bearer {token}"})
        body = await json_of(response)
        seen += [str(r["id"]) for r in body["records"]]
        url = body["navigation"].get("nextPage", {}).get("uri")
    assert seen == api.extension_ids


async def test_extension_list_filters(api: Api, token: str) -> None:
    created = await api.control(
        "POST", "extensions", {"extensions": [{"name": "Sales Queue", "type": "Department"}]}
    )
    queue_id = (await created.json())["extensions"][0]["id"]
    api.sim.state.account.extensions[api.extension_ids[1]].status = "Disabled"
    departments = await json_of(await api.get(f"{ACCOUNT}/extension", token, type="Department"))
    assert [str(r["id"]) for r in departments["records"]] == [queue_id]
    enabled_users = await json_of(await api.get(f"{ACCOUNT}/extension", token, type="User", status="Enabled"))
    ids = [str(r["id"]) for r in enabled_users["records"]]
    assert ids == [api.extension_ids[0], *api.extension_ids[2:5]]
    # Filters are kept in navigation links.
    assert "type=User" in enabled_users["navigation"]["firstPage"]["uri"]


@pytest.mark.parametrize(
    "params",
    [
        {"perPage": "1001"},
        {"perPage": "0"},
        {"perPage": "many"},
        {"page": "0"},
        {"page": "-1"},
        {"type": "Robot"},
        {"status": "Sleeping"},
    ],
)
async def test_extension_list_rejects_bad_parameters(api: Api, token: str, params: dict[str, str]) -> None:
    response = await api.get(f"{ACCOUNT}/extension", token, query=params)
    assert response.status == 400
    assert await error_code(response) == "CMN-101"
    assert f"[{next(iter(params))}]" in (await response.json())["message"]


async def test_extension_list_allows_1000_per_page(api: Api, token: str) -> None:
    body = await json_of(await api.get(f"{ACCOUNT}/extension", token, perPage="1000"))
    assert body["paging"]["perPage"] == 1000


# -- presence --------------------------------------------------------------------------------------


async def test_presence_of_me_and_by_id(api: Api, token: str, simulator: Simulator) -> None:
    admin = api.extension_ids[0]
    mine = await json_of(await api.get(f"{ACCOUNT}/extension/~/presence", token))
    by_id = await json_of(await api.get(f"{ACCOUNT}/extension/{admin}/presence", token))
    assert mine == by_id == simulator.state.calls.presence(admin, detailed=False, sip_data=False)
    assert mine["telephonyStatus"] == "NoCall"
    assert "activeCalls" not in mine


async def test_detailed_presence_shows_the_ringing_call(api: Api, token: str, simulator: Simulator) -> None:
    target = api.extension_ids[1]
    tsid = ringing_call(simulator, target)
    body = await json_of(
        await api.get(
            f"{ACCOUNT}/extension/{target}/presence", token, detailedTelephonyState="true", sipData="true"
        )
    )
    assert body["telephonyStatus"] == "Ringing"
    assert [call["telephonySessionId"] for call in body["activeCalls"]] == [tsid]
    assert "sipData" in body["activeCalls"][0]
    plain = await json_of(
        await api.get(f"{ACCOUNT}/extension/{target}/presence", token, detailedTelephonyState="true")
    )
    assert "sipData" not in plain["activeCalls"][0]


async def test_presence_errors(api: Api, token: str) -> None:
    unknown = await api.get(f"{ACCOUNT}/extension/999/presence", token)
    assert unknown.status == 404
    assert await error_code(unknown) == "CMN-102"
    bad = await api.get(f"{ACCOUNT}/extension/~/presence", token, detailedTelephonyState="yes please")
    assert bad.status == 400
    assert "[detailedTelephonyState]" in (await bad.json())["message"]


def _batch_path(ids: list[str]) -> str:
    return f"{ACCOUNT}/extension/{','.join(ids)}/presence"


async def test_batch_presence_multipart(api: Api, token: str, simulator: Simulator) -> None:
    first, second = api.extension_ids[1], api.extension_ids[2]
    ringing_call(simulator, second)
    response = await api.get(_batch_path([first, "999", second]), token, detailedTelephonyState="true")
    assert response.status == 207
    assert response.content_type == "multipart/mixed"
    reader = aiohttp.MultipartReader(response.headers, response.content)
    parts: list[Any] = []
    # The body was read already; parse it again from the raw bytes.
    reader = aiohttp.MultipartReader(response.headers, _stream(await response.read()))
    while (part := await reader.next()) is not None:
        assert isinstance(part, aiohttp.BodyPartReader)
        assert part.headers["Content-Type"] == "application/json"
        parts.append(await part.json())
    summary, *bodies = parts
    assert [r["status"] for r in summary["response"]] == [200, 404, 200]
    assert summary["response"][0]["href"].endswith(f"/extension/{first}/presence")
    assert summary["response"][1]["responseDescription"]
    assert bodies[0]["telephonyStatus"] == "NoCall"
    assert bodies[1]["errorCode"] == "CMN-102"
    assert bodies[2]["telephonyStatus"] == "Ringing"
    assert bodies[2] == simulator.state.calls.presence(second, detailed=True, sip_data=False)


def _stream(data: bytes) -> aiohttp.StreamReader:
    from unittest.mock import Mock  # a protocol object the reader needs; no HTTP is mocked

    stream = aiohttp.StreamReader(Mock(_reading_paused=False), 2**16)
    stream.feed_data(data)
    stream.feed_eof()
    return stream


async def test_batch_presence_json_array(api: Api, token: str) -> None:
    ids = [*api.extension_ids[1:4], "~", "12345"]
    response = await api.get(_batch_path(ids), token, headers={"Accept": BATCH_JSON})
    assert response.status == 207
    body = await response.json(content_type=None)
    assert [item["resourceId"] for item in body] == ids
    assert [item["status"] for item in body] == [200, 200, 200, 200, 404]
    assert body[3]["body"]["extension"]["id"] == int(api.extension_ids[0])
    assert body[4]["body"]["errorCode"] == "CMN-102"


async def test_batch_presence_limits(api: Api, token: str) -> None:
    thirty = [api.extension_ids[i % 5] for i in range(30)]
    ok = await api.get(_batch_path(thirty), token, headers={"Accept": BATCH_JSON})
    assert ok.status == 207
    assert len(await ok.json(content_type=None)) == 30
    too_many = await api.get(_batch_path([*thirty, api.extension_ids[0]]), token)
    assert too_many.status == 400
    assert await error_code(too_many) == "CMN-101"
    empty_id = await api.get(_batch_path([api.extension_ids[0], ""]), token)
    assert empty_id.status == 400


async def test_account_presence_pages_every_extension(api: Api, token: str, simulator: Simulator) -> None:
    ringing_call(simulator, api.extension_ids[3])
    first = await json_of(
        await api.get(f"{ACCOUNT}/presence", token, detailedTelephonyState="true", perPage="3")
    )
    second = await json_of(
        await api.get(f"{ACCOUNT}/presence", token, detailedTelephonyState="true", page="2", perPage="3")
    )
    records = first["records"] + second["records"]
    assert [str(r["extension"]["id"]) for r in records] == api.extension_ids
    assert records[3]["telephonyStatus"] == "Ringing"
    assert records[3]["activeCalls"]
    assert first["paging"]["totalElements"] == 5
    assert "nextPage" in first["navigation"]
    assert "detailedTelephonyState=true" in first["navigation"]["nextPage"]["uri"]


async def test_account_presence_needs_an_admin(api: Api) -> None:
    tokens = await api.login(api.extension_ids[1])
    response = await api.get(f"{ACCOUNT}/presence", tokens["access_token"])
    assert response.status == 403
    assert await error_code(response) == "CMN-419"


# -- telephony sessions ----------------------------------------------------------------------------


async def test_telephony_session(api: Api, token: str, simulator: Simulator) -> None:
    tsid = ringing_call(simulator, api.extension_ids[1])
    body = await json_of(await api.get(f"{ACCOUNT}/telephony/sessions/{tsid}", token))
    assert body == simulator.state.calls.telephony_session(tsid)
    assert body["id"] == tsid
    assert any(p.get("owner", {}).get("extensionId") == api.extension_ids[1] for p in body["parties"])


async def test_unknown_telephony_session(api: Api, token: str) -> None:
    response = await api.get(f"{ACCOUNT}/telephony/sessions/s-nope", token)
    assert response.status == 404
    assert (await error_code(response)).startswith("TAS-")


# -- permissions -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("permission", "path"),
    [
        ("ReadAccounts", ""),
        ("ReadAccounts", "/extension"),
        ("ReadAccounts", "/extension/~"),
        ("ReadPresence", "/extension/~/presence"),
        ("ReadPresence", "/presence"),
        ("CallControl", "/telephony/sessions/s-1"),
    ],
)
async def test_missing_app_permission(api: Api, token: str, permission: str, path: str) -> None:
    others = sorted(api.sim.state.app.permissions - {permission})
    assert (await api.control("POST", "config", {"permissions": others})).status == 200
    response = await api.get(ACCOUNT + path, token)
    assert response.status == 403
    assert await error_code(response) == "CMN-408"
    message = (await response.json())["message"]
    assert (
        message == f"In order to call this API endpoint, application needs to have [{permission}] permission"
    )
