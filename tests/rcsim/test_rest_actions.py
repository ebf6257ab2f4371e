"""The acting REST resources over HTTP: presence PUT, call control, RingOut.

Every answer is validated against the official spec subset's schema of its operation (strictly: no
undeclared fields); every rule has its refusal: bad bodies 400, another user's resources, unknown or
ended calls 404, illegal actions 409, revoked permissions 403, the rate-limit group of each path.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest

from rcsim import SimConfig, Simulator
from rcsim.events import SimEvent

from .conftest import Api, error_code
from .test_schemas_rest import assert_valid_operation

ACCOUNT = "/restapi/v1.0/account/~"
PRESENCE_PATH = "/restapi/v1.0/account/{accountId}/extension/{extensionId}/presence"
PARTY_PATH = "/restapi/v1.0/account/{accountId}/telephony/sessions/{telephonySessionId}/parties/{partyId}"
RINGOUT_PATH = "/restapi/v1.0/account/{accountId}/extension/{extensionId}/ring-out"
OUTSIDE = "+14155550100"


class Client:
    """Requests as one logged-in extension."""

    def __init__(self, api: Api, token: str) -> None:
        self.api = api
        self.token = token

    async def send(self, method: str, path: str, body: Any = None) -> aiohttp.ClientResponse:
        response = await self.api.http.request(
            method,
            f"{self.api.sim.url}{ACCOUNT}{path}",
            json=body,
            headers={"Authorization": f"Bearer {self.token}"},
        )
        await response.read()
        return response

    async def ok(self, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        response = await self.send(method, path, body)
        assert response.status == status, await response.text()
        return await response.json() if status != 204 else None

    async def refused(self, method: str, path: str, body: Any, status: int, code: str) -> dict[str, Any]:
        response = await self.send(method, path, body)
        assert response.status == status, await response.text()
        assert await error_code(response) == code
        payload: dict[str, Any] = await response.json()
        return payload


@pytest.fixture
async def admin(api: Api) -> Client:
    return Client(api, (await api.login())["access_token"])


@pytest.fixture
async def user(api: Api) -> Client:
    """The second extension: not an administrator."""
    return Client(api, (await api.login(api.extension_ids[1]))["access_token"])


@pytest.fixture
def events(simulator: Simulator) -> Iterator[list[SimEvent]]:
    seen: list[SimEvent] = []
    unsubscribe = simulator.state.bus.subscribe(seen.append)
    yield seen
    unsubscribe()


def ringing(simulator: Simulator, ext_id: str, *, answered: bool = True) -> tuple[str, str]:
    """A step-mode inbound call to `ext_id`: (telephonySessionId, the extension's party id)."""
    calls = simulator.state.calls
    tsid = calls.start("inbound_answered", ext_id, step=True)
    calls.step(tsid)
    if answered:
        calls.step(tsid)
    session = calls.session(tsid)
    assert session is not None
    party = next(p for p in session.parties if p.extension is not None)
    return tsid, party.id


async def revoke(api: Api, permission: str) -> None:
    config = (await (await api.control("GET", "config")).json())["permissions"]
    response = await api.control("POST", "config", {"permissions": [p for p in config if p != permission]})
    assert response.status == 200


# -- presence ------------------------------------------------------------------------------------


async def test_put_presence_changes_it_and_publishes_like_the_phone(
    api: Api, admin: Client, simulator: Simulator, events: list[SimEvent]
) -> None:
    me = api.extension_ids[0]

    body = await admin.ok(
        "PUT", "/extension/~/presence", {"dndStatus": "DoNotAcceptAnyCalls", "userStatus": "Busy"}
    )

    assert_valid_operation(body, "put", PRESENCE_PATH)
    assert (body["dndStatus"], body["userStatus"], body["presenceStatus"]) == (
        "DoNotAcceptAnyCalls",
        "Busy",
        "Busy",
    )
    truth = simulator.state.calls.ground_truth()[me]
    assert (truth["dndStatus"], truth["userStatus"]) == ("DoNotAcceptAnyCalls", "Busy")
    published = [e for e in events if e.kind == "presence"]
    assert len(published) == 1
    assert published[0].body["dndStatus"] == "DoNotAcceptAnyCalls"
    # The same as a change on the phone (the control API): the next event differs only in sequence.
    await api.control("POST", "presence", {"extension_id": me, "dnd_status": "TakeAllCalls"})
    await admin.ok("PUT", f"/extension/{me}/presence", {"dndStatus": "DoNotAcceptAnyCalls"})
    phone, rest = (e.body for e in events[-2:])
    assert rest == {**published[0].body, "sequence": rest["sequence"]}
    assert phone["dndStatus"] == "TakeAllCalls"


async def test_put_presence_without_a_change_publishes_nothing(admin: Client, events: list[SimEvent]) -> None:
    body = await admin.ok("PUT", "/extension/~/presence", {"userStatus": "Available"})
    assert body["userStatus"] == "Available"
    body = await admin.ok("PUT", "/extension/~/presence", {})
    assert_valid_operation(body, "put", PRESENCE_PATH)
    assert events == []


async def test_user_status_shows_in_presence_reads(api: Api, admin: Client) -> None:
    await admin.ok("PUT", "/extension/~/presence", {"userStatus": "Offline"})
    read = await admin.ok("GET", "/extension/~/presence")
    assert (read["userStatus"], read["presenceStatus"]) == ("Offline", "Offline")


@pytest.mark.parametrize(
    "body",
    [
        {"dndStatus": "Unknown"},
        {"dndStatus": "Sleeping"},
        {"userStatus": "busy"},
        {"userStatus": 3},
        {"message": "In a meeting"},
        {"allowSeeMyPresence": False},
        [],
    ],
)
async def test_put_presence_refuses_bad_bodies(admin: Client, body: Any) -> None:
    await admin.refused("PUT", "/extension/~/presence", body, 400, "CMN-101")


async def test_put_presence_refuses_malformed_json(api: Api, admin: Client) -> None:
    response = await api.http.put(
        f"{api.sim.url}{ACCOUNT}/extension/~/presence",
        data=b"{not json",
        headers={"Authorization": f"Bearer {admin.token}", "Content-Type": "application/json"},
    )
    assert response.status == 400
    assert await error_code(response) == "CMN-101"


async def test_another_users_presence_is_for_administrators(api: Api, admin: Client, user: Client) -> None:
    first, second = api.extension_ids[:2]
    refusal = await user.refused(
        "PUT", f"/extension/{first}/presence", {"userStatus": "Busy"}, 403, "CMN-419"
    )
    assert refusal["errors"][0]["permissionName"] == "EditPresenceStatus"
    assert (await user.ok("PUT", f"/extension/{second}/presence", {"userStatus": "Busy"}))[
        "userStatus"
    ] == "Busy"
    assert (await admin.ok("PUT", f"/extension/{second}/presence", {"userStatus": "Offline"}))[
        "userStatus"
    ] == "Offline"


async def test_presence_of_unknown_and_non_user_extensions(api: Api, admin: Client) -> None:
    await admin.refused("PUT", "/extension/404404/presence", {"userStatus": "Busy"}, 404, "CMN-102")
    created = await api.control(
        "POST", "extensions", {"extensions": [{"name": "Sales", "type": "Department"}]}
    )
    queue = (await created.json())["extensions"][0]["id"]
    await admin.refused("PUT", f"/extension/{queue}/presence", {"userStatus": "Busy"}, 400, "CMN-101")


async def test_put_presence_needs_edit_presence(api: Api, admin: Client) -> None:
    await revoke(api, "EditPresence")
    refusal = await admin.refused("PUT", "/extension/~/presence", {"userStatus": "Busy"}, 403, "CMN-408")
    assert "[EditPresence]" in refusal["message"]


async def test_new_inbound_calls_go_to_voicemail_on_dnd(
    api: Api, admin: Client, simulator: Simulator
) -> None:
    await admin.ok("PUT", "/extension/~/presence", {"dndStatus": "DoNotAcceptAnyCalls"})
    tsid, party_id = ringing(simulator, api.extension_ids[0], answered=False)
    session = await admin.ok("GET", f"/telephony/sessions/{tsid}")
    mine = next(p for p in session["parties"] if p["id"] == party_id)
    assert mine["status"]["code"] == "VoiceMail"


# -- call control --------------------------------------------------------------------------------


async def test_hold_and_unhold(api: Api, admin: Client, simulator: Simulator) -> None:
    tsid, party = ringing(simulator, api.extension_ids[0])
    path = f"/telephony/sessions/{tsid}/parties/{party}"

    held = await admin.ok("POST", path + "/hold")
    assert_valid_operation(held, "post", PARTY_PATH + "/hold")
    assert held["status"]["code"] == "Hold"
    assert simulator.state.calls.ground_truth()[api.extension_ids[0]]["telephonyStatus"] == "OnHold"
    resumed = await admin.ok("POST", path + "/unhold")
    assert_valid_operation(resumed, "post", PARTY_PATH + "/unhold")
    assert resumed["status"]["code"] == "Answered"


async def test_actions_the_state_does_not_allow_conflict(
    api: Api, admin: Client, simulator: Simulator
) -> None:
    tsid, party = ringing(simulator, api.extension_ids[0], answered=False)
    path = f"/telephony/sessions/{tsid}/parties/{party}"
    await admin.refused("POST", path + "/hold", None, 409, "TAS-409")
    await admin.refused("POST", path + "/unhold", None, 409, "TAS-409")
    await admin.refused("POST", path + "/transfer", {"phoneNumber": OUTSIDE}, 409, "TAS-409")
    simulator.state.calls.step(tsid)
    await admin.refused("POST", path + "/reject", None, 409, "TAS-409")


async def test_hang_up(api: Api, admin: Client, simulator: Simulator) -> None:
    tsid, _party = ringing(simulator, api.extension_ids[0])

    await admin.ok("DELETE", f"/telephony/sessions/{tsid}", status=204)

    assert simulator.state.calls.ground_truth()[api.extension_ids[0]]["telephonyStatus"] == "NoCall"
    await admin.refused("GET", f"/telephony/sessions/{tsid}", None, 404, "TAS-102")
    await admin.refused("DELETE", f"/telephony/sessions/{tsid}", None, 404, "TAS-102")


async def test_reject_a_ringing_call(api: Api, admin: Client, simulator: Simulator) -> None:
    tsid, party = ringing(simulator, api.extension_ids[0], answered=False)
    await admin.ok("POST", f"/telephony/sessions/{tsid}/parties/{party}/reject", status=204)
    session = await admin.ok("GET", f"/telephony/sessions/{tsid}")
    assert next(p for p in session["parties"] if p["id"] == party)["status"]["code"] == "VoiceMail"


async def test_unknown_or_ended_sessions_and_parties(api: Api, admin: Client, simulator: Simulator) -> None:
    tsid, party = ringing(simulator, api.extension_ids[0])
    await admin.refused("POST", f"/telephony/sessions/nope/parties/{party}/hold", None, 404, "TAS-102")
    await admin.refused("POST", f"/telephony/sessions/{tsid}/parties/nope/hold", None, 404, "CMN-102")
    session = simulator.state.calls.session(tsid)
    assert session is not None
    remote = next(p for p in session.parties if p.extension is None)
    await admin.refused("POST", f"/telephony/sessions/{tsid}/parties/{remote.id}/hold", None, 404, "CMN-102")
    simulator.state.calls.step(tsid)  # hung up
    await admin.refused("POST", f"/telephony/sessions/{tsid}/parties/{party}/hold", None, 404, "TAS-102")


async def test_users_control_only_their_own_calls(api: Api, user: Client, simulator: Simulator) -> None:
    theirs, their_party = ringing(simulator, api.extension_ids[0])
    mine, my_party = ringing(simulator, api.extension_ids[1])
    await user.refused(
        "POST", f"/telephony/sessions/{theirs}/parties/{their_party}/hold", None, 404, "TAS-102"
    )
    await user.refused("DELETE", f"/telephony/sessions/{theirs}", None, 404, "TAS-102")
    await user.ok("POST", f"/telephony/sessions/{mine}/parties/{my_party}/hold")
    await user.ok("DELETE", f"/telephony/sessions/{mine}", status=204)


async def test_a_user_cannot_act_on_another_party_of_a_shared_call(
    api: Api, user: Client, simulator: Simulator
) -> None:
    calls = simulator.state.calls
    tsid = calls.start(
        "internal_call", api.extension_ids[0], other_extension_id=api.extension_ids[1], step=True
    )
    for _ in range(3):
        calls.step(tsid)
    session = calls.session(tsid)
    assert session is not None
    caller = next(
        p for p in session.parties if p.extension is not None and p.extension.id == api.extension_ids[0]
    )
    await user.refused("POST", f"/telephony/sessions/{tsid}/parties/{caller.id}/hold", None, 404, "CMN-102")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "CMN-101"),
        ({"phoneNumber": OUTSIDE, "extensionNumber": "102"}, "CMN-101"),
        ({"parkOrbit": "801"}, "CMN-101"),
        ({"phoneNumber": "call me"}, "CMN-101"),
        ({"phoneNumber": 14155550100}, "CMN-101"),
        ({"extensionNumber": "1-2"}, "CMN-101"),
        ({"extensionNumber": "999"}, "CMN-101"),
        ({"voicemail": "123"}, "CMN-101"),
    ],
)
async def test_transfer_needs_exactly_one_good_target(
    api: Api, admin: Client, simulator: Simulator, body: dict[str, Any], code: str
) -> None:
    tsid, party = ringing(simulator, api.extension_ids[0])
    await admin.refused("POST", f"/telephony/sessions/{tsid}/parties/{party}/transfer", body, 400, code)


async def test_transfer_moves_the_call_off_this_extension(
    api: Api, admin: Client, simulator: Simulator
) -> None:
    me, other = api.extension_ids[:2]
    tsid, party = ringing(simulator, me)
    number = simulator.state.account.extensions[other].extension_number

    body = await admin.ok(
        "POST", f"/telephony/sessions/{tsid}/parties/{party}/transfer", {"extensionNumber": number}
    )

    assert_valid_operation(body, "post", PARTY_PATH + "/transfer")
    assert body["status"]["code"] == "Gone"
    truth = simulator.state.calls.ground_truth()
    assert truth[me]["telephonyStatus"] == "NoCall"
    assert truth[other]["telephonyStatus"] == "Ringing"


async def test_call_control_needs_call_control(api: Api, admin: Client, simulator: Simulator) -> None:
    tsid, party = ringing(simulator, api.extension_ids[0])
    await revoke(api, "CallControl")
    for method, path in [
        ("DELETE", f"/telephony/sessions/{tsid}"),
        ("POST", f"/telephony/sessions/{tsid}/parties/{party}/hold"),
        ("POST", f"/telephony/sessions/{tsid}/parties/{party}/transfer"),
    ]:
        refusal = await admin.refused(method, path, {"phoneNumber": OUTSIDE}, 403, "CMN-408")
        assert refusal["errors"][0]["permissionName"] == "CallControl"


# -- RingOut -------------------------------------------------------------------------------------


def ringout_body(to: str = OUTSIDE, **extra: Any) -> dict[str, Any]:
    return {"from": {"phoneNumber": "+16505550101"}, "to": {"phoneNumber": to}, **extra}


@pytest.fixture
def sim_config() -> SimConfig:
    return SimConfig(api_calls_step=True)


async def test_ringout_rings_the_extension_then_calls_the_other_side(
    api: Api, admin: Client, simulator: Simulator, events: list[SimEvent]
) -> None:
    me = api.extension_ids[0]
    body = await admin.ok(
        "POST",
        "/extension/~/ring-out",
        ringout_body(callerId={"phoneNumber": "+16505550100"}, playPrompt=True),
    )

    assert_valid_operation(body, "post", RINGOUT_PATH)
    assert body["status"] == {
        "callStatus": "InProgress",
        "callerStatus": "InProgress",
        "calleeStatus": "InProgress",
    }
    assert body["uri"].endswith(f"/extension/{me}/ring-out/{body['id']}")
    calls = simulator.state.calls
    assert calls.ground_truth()[me]["telephonyStatus"] == "Ringing"
    telephony = [e.body for e in events if e.kind == "telephony"]
    assert telephony[-1]["origin"] == {"type": "RingOut"}
    tsid = telephony[-1]["telephonySessionId"]
    assert [p["status"]["code"] for p in telephony[-1]["parties"]] == ["Setup"]

    assert calls.step(tsid)  # the extension answers; the callee rings
    status = await admin.ok("GET", f"/extension/~/ring-out/{body['id']}")
    assert_valid_operation(status, "get", RINGOUT_PATH + "/{ringoutId}")
    assert status["status"] == {
        "callStatus": "InProgress",
        "callerStatus": "Success",
        "calleeStatus": "InProgress",
    }
    assert calls.step(tsid)  # the callee answers
    assert calls.ground_truth()[me]["telephonyStatus"] == "CallConnected"
    status = await admin.ok("GET", f"/extension/{me}/ring-out/{body['id']}")
    assert status["status"] == {"callStatus": "Success", "callerStatus": "Success", "calleeStatus": "Success"}
    # Call control works on it like on any call; it stays a success once over.
    await admin.ok("DELETE", f"/telephony/sessions/{tsid}", status=204)
    assert (await admin.ok("GET", f"/extension/~/ring-out/{body['id']}"))["status"]["callStatus"] == "Success"


async def test_ringout_to_an_extension_rings_it(api: Api, admin: Client, simulator: Simulator) -> None:
    other = simulator.state.account.extensions[api.extension_ids[1]]
    await admin.ok("POST", "/extension/~/ring-out", ringout_body(other.phone_number))
    tsid = simulator.state.calls.running()[-1]
    simulator.state.calls.step(tsid)
    assert simulator.state.calls.ground_truth()[other.id]["telephonyStatus"] == "Ringing"


async def test_a_cancelled_ringout_ends_and_is_forgotten(
    api: Api, admin: Client, simulator: Simulator
) -> None:
    ringout = (await admin.ok("POST", "/extension/~/ring-out", ringout_body()))["id"]
    await admin.ok("DELETE", f"/extension/~/ring-out/{ringout}", status=204)
    assert simulator.state.calls.ground_truth()[api.extension_ids[0]]["telephonyStatus"] == "NoCall"
    await admin.refused("GET", f"/extension/~/ring-out/{ringout}", None, 404, "CMN-102")
    await admin.refused("DELETE", f"/extension/~/ring-out/{ringout}", None, 404, "CMN-102")


async def test_an_unanswered_ringout(api: Api, admin: Client, simulator: Simulator) -> None:
    ringout = (await admin.ok("POST", "/extension/~/ring-out", ringout_body()))["id"]
    tsid = simulator.state.calls.running()[-1]
    await admin.ok("DELETE", f"/telephony/sessions/{tsid}", status=204)
    status = (await admin.ok("GET", f"/extension/~/ring-out/{ringout}"))["status"]
    assert status == {"callStatus": "NoAnswer", "callerStatus": "NoAnswer", "calleeStatus": "NoAnswer"}


@pytest.mark.parametrize(
    "body",
    [
        {"to": {"phoneNumber": OUTSIDE}},
        {"from": {"phoneNumber": "+16505550101"}},
        ringout_body("not a number"),
        ringout_body(callerId={"phoneNumber": ""}),
        ringout_body(playPrompt="yes"),
        ringout_body(country="US"),
        {"from": {"forwardingNumberId": "123"}, "to": {"phoneNumber": OUTSIDE}},
        {"from": "+16505550101", "to": {"phoneNumber": OUTSIDE}},
    ],
)
async def test_ringout_refuses_bad_bodies(admin: Client, body: dict[str, Any]) -> None:
    await admin.refused("POST", "/extension/~/ring-out", body, 400, "CMN-101")


async def test_ringouts_of_other_users(api: Api, admin: Client, user: Client, simulator: Simulator) -> None:
    first = api.extension_ids[0]
    await user.refused("POST", f"/extension/{first}/ring-out", ringout_body(), 404, "CMN-102")
    theirs = (await admin.ok("POST", f"/extension/{api.extension_ids[1]}/ring-out", ringout_body()))["id"]
    assert (await user.ok("GET", f"/extension/~/ring-out/{theirs}"))["id"] == theirs
    await admin.refused("GET", f"/extension/~/ring-out/{theirs}", None, 404, "CMN-102")
    created = await api.control(
        "POST", "extensions", {"extensions": [{"name": "Sales", "type": "Department"}]}
    )
    queue = (await created.json())["extensions"][0]["id"]
    await admin.refused("POST", f"/extension/{queue}/ring-out", ringout_body(), 400, "CMN-101")


async def test_ringout_needs_ring_out(api: Api, admin: Client) -> None:
    await revoke(api, "RingOut")
    refusal = await admin.refused("POST", "/extension/~/ring-out", ringout_body(), 403, "CMN-408")
    assert refusal["errors"][0]["permissionName"] == "RingOut"


# -- rate limits -----------------------------------------------------------------------------------


async def test_each_path_counts_in_its_group(api: Api, admin: Client, simulator: Simulator) -> None:
    tsid, party = ringing(simulator, api.extension_ids[0])
    path = f"/telephony/sessions/{tsid}/parties/{party}"
    checks = [
        ("PUT", "/extension/~/presence", {"userStatus": "Busy"}, "Medium"),
        ("POST", path + "/hold", None, "Light"),
        ("POST", path + "/unhold", None, "Light"),
        ("POST", path + "/transfer", {"phoneNumber": OUTSIDE}, "Light"),
        ("POST", "/extension/~/ring-out", ringout_body(), "Heavy"),
    ]
    for method, target, body, group in checks:
        response = await admin.send(method, target, body)
        assert response.status == 200, await response.text()
        assert response.headers["X-Rate-Limit-Group"] == group
    ringout = (await response.json())["id"]
    response = await admin.send("GET", f"/extension/~/ring-out/{ringout}")
    assert response.headers["X-Rate-Limit-Group"] == "Light"
    response = await admin.send("DELETE", f"/extension/~/ring-out/{ringout}")
    assert response.headers["X-Rate-Limit-Group"] == "Heavy"
    tsid, party = ringing(simulator, api.extension_ids[0], answered=False)
    response = await admin.send("POST", f"/telephony/sessions/{tsid}/parties/{party}/reject")
    assert response.headers["X-Rate-Limit-Group"] == "Light"
    response = await admin.send("DELETE", f"/telephony/sessions/{tsid}")
    assert response.headers["X-Rate-Limit-Group"] == "Light"


async def test_ten_ringouts_a_minute(admin: Client) -> None:
    for _ in range(10):
        await admin.ok("POST", "/extension/~/ring-out", ringout_body())
    response = await admin.send("POST", "/extension/~/ring-out", ringout_body())
    assert response.status == 429
    assert response.headers["X-Rate-Limit-Group"] == "Heavy"
    assert int(response.headers["Retry-After"]) > 0


async def test_a_timed_ringout_answers_by_itself(
    api: Api, admin: Client, simulator: Simulator, events: list[SimEvent]
) -> None:
    simulator.state.config.api_calls_step = False  # the answer and the rest follow on a timer
    simulator.state.clock.set_time_scale(1000.0)
    me = api.extension_ids[0]
    ringout = (await admin.ok("POST", "/extension/~/ring-out", ringout_body()))["id"]

    async with asyncio.timeout(5):
        await simulator.state.calls.drain()

    statuses = [e.body["telephonyStatus"] for e in events if e.kind == "presence" and e.extension_id == me]
    assert [s for i, s in enumerate(statuses) if s not in statuses[:i]] == [
        "Ringing",
        "CallConnected",
        "NoCall",
    ]
    codes = [
        e.body["parties"][0]["status"]["code"]
        for e in events
        if e.kind == "telephony" and e.extension_id == me
    ]
    assert codes == ["Setup", "Proceeding", "Answered", "Disconnected"]
    status = (await admin.ok("GET", f"/extension/~/ring-out/{ringout}"))["status"]
    assert status == {"callStatus": "Success", "callerStatus": "Success", "calleeStatus": "Success"}


async def test_ringout_settings_change_at_run_time(api: Api, simulator: Simulator) -> None:
    response = await api.control("POST", "config", {"api_calls_step": False, "ringout_answer_delay": 1.5})
    assert response.status == 200, await response.text()
    assert (simulator.state.config.api_calls_step, simulator.state.config.ringout_answer_delay) == (
        False,
        1.5,
    )
