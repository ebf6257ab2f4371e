"""Names and history over REST: the company directory, personal contacts and the call log (what
each finished call records), with their permissions; bodies validated strictly against the spec."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from rcsim import Simulator

from .calls_support import step_through
from .conftest import Api, error_code
from .spec_support import assert_response

ACCOUNT = "/restapi/v1.0/account/~"
ME = ACCOUNT + "/extension/~"
EXT = "/restapi/v1.0/account/{accountId}/extension/{extensionId}"


@pytest.fixture
async def token(api: Api) -> str:
    access: str = (await api.login())["access_token"]
    return access


async def control(http: aiohttp.ClientSession, sim: Simulator, method: str, path: str, body: Any) -> Any:
    response = await http.request(method, f"{sim.url}/sim/{path}", json=body)
    payload = await response.json()
    assert response.status in (200, 201), payload
    return payload


# ---- company directory -------------------------------------------------------------------------------


async def test_directory_lists_extensions_and_external_contacts(
    api: Api, token: str, simulator: Simulator, http: aiohttp.ClientSession
) -> None:
    await control(
        http,
        simulator,
        "POST",
        "directory",
        {"first_name": "Robert", "last_name": "Fox", "phone_numbers": ["+13125550121"]},
    )
    response = await api.get(ACCOUNT + "/directory/entries", token)
    assert response.status == 200
    assert response.headers["X-Rate-Limit-Group"] == "Medium"
    body = await response.json()
    assert_response(body, "GET", "/restapi/v1.0/account/{accountId}/directory/entries")
    names = {r["name"]: r for r in body["records"]}
    for ext in simulator.state.account.extensions.values():
        entry = names[ext.name]
        assert (entry["id"], entry["extensionNumber"], entry["type"]) == (
            ext.id,
            ext.extension_number,
            "User",
        )
        assert entry["phoneNumbers"][0]["phoneNumber"] == ext.phone_number
    assert names["Robert Fox"]["type"] == "External"
    assert names["Robert Fox"]["phoneNumbers"][0]["phoneNumber"] == "+13125550121"
    assert (
        body["paging"]["totalElements"] == len(body["records"]) == len(simulator.state.account.extensions) + 3
    )


async def test_directory_pages_and_filters(api: Api, token: str, simulator: Simulator) -> None:
    total = len(simulator.state.account.extensions) + 2
    first = await (await api.get(ACCOUNT + "/directory/entries", token, perPage="4")).json()
    second = await (await api.get(ACCOUNT + "/directory/entries", token, perPage="4", page="2")).json()
    assert len(first["records"]) == 4
    assert len(second["records"]) == total - 4
    assert second["paging"] == {
        "page": 2,
        "perPage": 4,
        "totalPages": 2,
        "totalElements": total,
        "pageStart": 4,
        "pageEnd": total - 1,
    }
    external = await (await api.get(ACCOUNT + "/directory/entries", token, type="External")).json()
    assert {r["type"] for r in external["records"]} == {"External"}
    too_many = await api.get(ACCOUNT + "/directory/entries", token, perPage="2001")
    assert (too_many.status, await error_code(too_many)) == (400, "CMN-101")


async def test_directory_needs_read_accounts(api: Api, token: str, simulator: Simulator) -> None:
    simulator.state.app.permissions.discard("ReadAccounts")
    response = await api.get(ACCOUNT + "/directory/entries", token)
    assert (response.status, await error_code(response)) == (403, "CMN-408")


# ---- personal contacts -------------------------------------------------------------------------------


async def test_personal_contacts(
    api: Api, token: str, simulator: Simulator, http: aiohttp.ClientSession
) -> None:
    me, other = list(simulator.state.account.extensions)[:2]
    await control(
        http,
        simulator,
        "POST",
        "contacts",
        {"extension_id": me, "first_name": "Esther", "last_name": "Howard", "mobile_phone": "+17205550184"},
    )
    await control(http, simulator, "POST", "contacts", {"extension_id": other, "company": "Not mine"})
    response = await api.get(ME + "/address-book/contact", token)
    assert response.status == 200
    assert response.headers["X-Rate-Limit-Group"] == "Heavy"
    body = await response.json()
    assert_response(body, "GET", EXT + "/address-book/contact")
    [contact] = body["records"]
    assert (contact["firstName"], contact["lastName"], contact["mobilePhone"]) == (
        "Esther",
        "Howard",
        "+17205550184",
    )


async def test_contacts_need_read_contacts_and_are_private(
    api: Api, token: str, simulator: Simulator
) -> None:
    admin, user = list(simulator.state.account.extensions)[:2]
    user_token = (await api.login(user))["access_token"]
    response = await api.get(f"{ACCOUNT}/extension/{admin}/address-book/contact", user_token)
    assert (response.status, await error_code(response)) == (403, "CMN-419")
    simulator.state.app.permissions.discard("ReadContacts")
    response = await api.get(ME + "/address-book/contact", token)
    assert (response.status, await error_code(response)) == (403, "CMN-408")
    assert (await response.json())["errors"][0]["permissionName"] == "ReadContacts"


# ---- call log ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scenario", "direction", "result"),
    [
        ("inbound_answered", "Inbound", "Accepted"),
        ("inbound_missed", "Inbound", "Missed"),
        ("inbound_voicemail", "Inbound", "Voicemail"),
        ("outbound_answered", "Outbound", "Call connected"),
        ("outbound_unanswered", "Outbound", "No Answer"),
    ],
)
async def test_call_log_records_finished_calls(
    api: Api, token: str, scenario: str, direction: str, result: str
) -> None:
    simulator = api.sim
    me = next(iter(simulator.state.account.extensions))
    run_id = simulator.state.calls.start(scenario, me, step=True)
    assert simulator.state.calls.step(run_id)
    ringing = await (await api.get(ME + "/call-log", token)).json()
    assert ringing["records"] == []  # not finished yet
    step_through(simulator.state.calls, run_id)
    response = await api.get(ME + "/call-log", token)
    assert response.headers["X-Rate-Limit-Group"] == "Heavy"
    body = await response.json()
    assert_response(body, "GET", EXT + "/call-log")
    [record] = body["records"]
    assert (record["direction"], record["result"], record["telephonySessionId"]) == (
        direction,
        result,
        run_id,
    )
    assert record["duration"] >= 0
    if direction == "Inbound":
        assert record["to"]["phoneNumber"] == simulator.state.account.extensions[me].phone_number


async def test_call_log_filters_and_newest_first(api: Api, token: str, simulator: Simulator) -> None:
    me = next(iter(simulator.state.account.extensions))
    runs = []
    for scenario in ("inbound_answered", "outbound_answered", "inbound_missed"):
        run_id = simulator.state.calls.start(scenario, me, step=True)
        step_through(simulator.state.calls, run_id)
        simulator.state.clock.advance(10)
        runs.append(run_id)
    body = await (await api.get(ME + "/call-log", token)).json()
    assert [r["telephonySessionId"] for r in body["records"]] == runs[::-1]
    inbound = await (await api.get(ME + "/call-log", token, direction="Inbound")).json()
    assert [r["telephonySessionId"] for r in inbound["records"]] == [runs[2], runs[0]]
    bad = await api.get(ME + "/call-log", token, view="Fancy")
    assert (bad.status, await error_code(bad)) == (400, "CMN-101")


async def test_call_log_permissions(api: Api, token: str, simulator: Simulator) -> None:
    admin, user = list(simulator.state.account.extensions)[:2]
    user_token = (await api.login(user))["access_token"]
    response = await api.get(f"{ACCOUNT}/extension/{admin}/call-log", user_token)
    assert (response.status, await error_code(response)) == (403, "CMN-419")
    simulator.state.app.permissions.discard("ReadCallLog")
    response = await api.get(ME + "/call-log", token)
    assert (response.status, await error_code(response)) == (403, "CMN-408")
