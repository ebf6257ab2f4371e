"""REST resources of a mailbox: message list and filters, one message, marking read, attachment
content, sending SMS (and every refusal the spec lists for it), phone numbers; each body validated
against the spec's inline schema of its operation, strictly."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from rcsim import Simulator
from rcsim.message_model import MAX_SMS_LENGTH, StoredMessage

from .conftest import Api, error_code
from .spec_support import assert_response, response_errors

ME = "/restapi/v1.0/account/~/extension/~"
EXT = "/restapi/v1.0/account/{accountId}/extension/{extensionId}"
STORE = EXT + "/message-store"
CALLER = "+14155550198"


@pytest.fixture
async def token(api: Api) -> str:
    access: str = (await api.login())["access_token"]
    return access


def mailbox(simulator: Simulator, index: int = 0) -> tuple[str, Any]:
    ext = list(simulator.state.account.extensions.values())[index]
    return ext.id, ext


async def call(api: Api, token: str, method: str, path: str, body: Any = None) -> aiohttp.ClientResponse:
    response = await api.http.request(
        method, f"{api.sim.url}{path}", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    await response.read()
    return response


def fill(simulator: Simulator) -> list[StoredMessage]:
    """Two voicemails (one with a transcription), an inbound SMS, an outbound SMS: newest last."""
    _, ext = mailbox(simulator)
    store = simulator.state.messages
    clock = simulator.state.clock
    made = [store.leave_voicemail(ext, from_number=CALLER, from_name="Jane Cooper", duration=12)]
    clock.advance(60)
    made.append(store.leave_voicemail(ext, from_number="+12125550176", duration=4, transcription="Parcel"))
    clock.advance(60)
    made.append(store.receive_sms(ext, from_number=CALLER, text="Hi"))
    clock.advance(60)
    made.append(store.send_sms(ext, from_number=ext.phone_number, to_numbers=[CALLER], text="Hello"))
    return made


def test_the_validator_can_fail() -> None:
    assert response_errors({"records": [{"id": "x"}]}, "GET", STORE)
    assert response_errors({"records": [], "navigation": {}, "paging": {}, "colour": 1}, "GET", STORE)


async def test_list_every_message_newest_first(api: Api, token: str, simulator: Simulator) -> None:
    made = fill(simulator)
    response = await api.get(ME + "/message-store", token)
    assert response.status == 200
    body = await response.json()
    assert_response(body, "GET", STORE)
    assert [str(r["id"]) for r in body["records"]] == [m.id for m in reversed(made)]
    assert response.headers["X-Rate-Limit-Group"] == "Light"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"messageType": "VoiceMail"}, [1, 0]),
        ({"messageType": "SMS", "direction": "Inbound"}, [2]),
        ({"messageType": "VoiceMail,SMS", "readStatus": "Unread"}, [2, 1, 0]),
        ({"direction": "Outbound"}, [3]),
        ({"readStatus": "Read"}, [3]),
    ],
)
async def test_list_filters(
    api: Api, token: str, simulator: Simulator, query: dict[str, str], expected: list[int]
) -> None:
    made = fill(simulator)
    body = await (await api.get(ME + "/message-store", token, query=query)).json()
    assert [str(r["id"]) for r in body["records"]] == [made[i].id for i in expected]


async def test_list_by_date_defaults_to_the_last_day(api: Api, simulator: Simulator) -> None:
    made = fill(simulator)
    simulator.state.clock.advance(24 * 3600 - 90)  # the first two are now older than a day
    token = (await api.login())["access_token"]
    response = await api.get(ME + "/message-store", token)
    recent = await response.json()
    assert response.status == 200, recent
    assert [str(r["id"]) for r in recent["records"]] == [made[3].id, made[2].id]
    since = simulator.state.clock.iso(made[0].creation_time)
    until = simulator.state.clock.iso(made[1].creation_time + 1)  # ISO keeps milliseconds only
    window = await (await api.get(ME + "/message-store", token, dateFrom=since, dateTo=until)).json()
    assert [str(r["id"]) for r in window["records"]] == [made[1].id, made[0].id]


async def test_list_pages(api: Api, token: str, simulator: Simulator) -> None:
    made = fill(simulator)
    body = await (await api.get(ME + "/message-store", token, perPage="3", page="2")).json()
    assert [str(r["id"]) for r in body["records"]] == [made[0].id]
    assert body["paging"] == {
        "page": 2,
        "perPage": 3,
        "totalPages": 2,
        "totalElements": 4,
        "pageStart": 3,
        "pageEnd": 3,
    }
    assert "nextPage" not in body["navigation"]


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ({"messageType": "Carrier"}, "messageType"),
        ({"readStatus": "Maybe"}, "readStatus"),
        ({"direction": "Sideways"}, "direction"),
        ({"dateFrom": "yesterday"}, "dateFrom"),
        ({"perPage": "0"}, "perPage"),
    ],
)
async def test_list_refuses_bad_parameters(
    api: Api, token: str, query: dict[str, str], parameter: str
) -> None:
    response = await api.get(ME + "/message-store", token, query=query)
    assert response.status == 400
    assert await error_code(response) == "CMN-101"
    assert parameter in (await response.json())["message"]


async def test_one_message_and_its_content(api: Api, token: str, simulator: Simulator) -> None:
    made = fill(simulator)
    voicemail = made[1]
    body = await (await api.get(f"{ME}/message-store/{voicemail.id}", token)).json()
    assert_response(body, "GET", STORE + "/{messageId}")
    assert body["vmTranscriptionStatus"] == "Completed"
    assert body["type"] == "VoiceMail"
    recording, transcription = body["attachments"]
    assert recording["vmDuration"] == 4
    text = await api.get(f"{ME}/message-store/{voicemail.id}/content/{transcription['id']}", token)
    assert (text.status, text.content_type, await text.text()) == (200, "text/plain", "Parcel")
    assert text.headers["X-Rate-Limit-Group"] == "Medium"
    audio = await api.get(f"{ME}/message-store/{voicemail.id}/content/{recording['id']}", token)
    assert audio.content_type == "audio/x-wav"
    assert (await audio.read()).startswith(b"RIFF")
    sms = await (await api.get(f"{ME}/message-store/{made[2].id}", token)).json()
    assert_response(sms, "GET", STORE + "/{messageId}")
    assert (sms["subject"], sms["conversationId"]) == ("Hi", int(made[2].conversation_id or 0))


@pytest.mark.parametrize("suffix", ["/123", "/{message}/content/999"])
async def test_unknown_message_or_attachment(api: Api, token: str, simulator: Simulator, suffix: str) -> None:
    made = fill(simulator)
    response = await api.get(ME + "/message-store" + suffix.format(message=made[0].id), token)
    assert response.status == 404
    assert await error_code(response) == "CMN-102"


async def test_mark_read_and_unread(api: Api, token: str, simulator: Simulator) -> None:
    message = fill(simulator)[0]
    response = await call(api, token, "PUT", f"{ME}/message-store/{message.id}", {"readStatus": "Read"})
    assert response.status == 200
    assert response.headers["X-Rate-Limit-Group"] == "Medium"
    body = await response.json()
    assert_response(body, "PUT", STORE + "/{messageId}")
    assert body["readStatus"] == message.read_status == "Read"
    back = await call(api, token, "PUT", f"{ME}/message-store/{message.id}", {"readStatus": "Unread"})
    assert (await back.json())["readStatus"] == "Unread"
    bad = await call(api, token, "PUT", f"{ME}/message-store/{message.id}", {"readStatus": "Skimmed"})
    assert bad.status == 400
    assert await error_code(bad) == "CMN-101"


@pytest.mark.parametrize(
    ("method", "suffix", "permission"),
    [
        ("GET", "", "ReadMessages"),
        ("GET", "/{message}", "ReadMessages"),
        ("PUT", "/{message}", "EditMessages"),
    ],
)
async def test_message_store_permissions(
    api: Api, token: str, method: str, suffix: str, permission: str
) -> None:
    simulator = api.sim
    message = fill(simulator)[0]
    simulator.state.app.permissions.discard(permission)
    path = f"{ME}/message-store" + suffix.format(message=message.id)
    response = await call(api, token, method, path, {"readStatus": "Read"})
    assert response.status == 403
    assert await error_code(response) == "CMN-408"
    assert (await response.json())["errors"][0]["permissionName"] == permission


async def test_another_users_mailbox_needs_an_admin(api: Api, simulator: Simulator) -> None:
    admin_id, _ = mailbox(simulator, 0)
    user_id, _ = mailbox(simulator, 1)
    user_token = (await api.login(user_id))["access_token"]
    path = f"/restapi/v1.0/account/~/extension/{admin_id}/message-store"
    response = await api.get(path, user_token)
    assert response.status == 403
    assert await error_code(response) == "CMN-419"
    admin_token = (await api.login(admin_id))["access_token"]
    other = await api.get(f"/restapi/v1.0/account/~/extension/{user_id}/message-store", admin_token)
    assert other.status == 200
    unknown = await api.get("/restapi/v1.0/account/~/extension/42/message-store", admin_token)
    assert unknown.status == 404


# ---- SMS ---------------------------------------------------------------------------------------------


def sms(from_: str, to: list[str], text: str = "Hello") -> dict[str, Any]:
    return {"from": {"phoneNumber": from_}, "to": [{"phoneNumber": n} for n in to], "text": text}


async def test_send_sms(api: Api, token: str, simulator: Simulator) -> None:
    _, ext = mailbox(simulator)
    response = await call(api, token, "POST", ME + "/sms", sms(ext.phone_number, ["(415) 555-0198"]))
    assert response.status == 200, await response.text()
    assert response.headers["X-Rate-Limit-Group"] == "Medium"
    body = await response.json()
    assert_response(body, "POST", EXT + "/sms")
    assert (body["direction"], body["messageStatus"], body["subject"]) == ("Outbound", "Queued", "Hello")
    assert body["to"] == [{"phoneNumber": CALLER}]
    [stored] = simulator.state.messages.messages(ext.id)
    assert str(body["id"]) == stored.id


async def test_sms_to_a_colleague_arrives(api: Api, token: str, simulator: Simulator) -> None:
    _, ext = mailbox(simulator)
    colleague_id, colleague = mailbox(simulator, 1)
    response = await call(api, token, "POST", ME + "/sms", sms(ext.phone_number, [colleague.phone_number]))
    assert response.status == 200
    [received] = simulator.state.messages.messages(colleague_id)
    assert (received.direction, received.subject, received.from_.name) == ("Inbound", "Hello", ext.name)


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (sms("{mine}", [CALLER], ""), 400, "CMN-101"),
        (sms("{mine}", [CALLER], "   "), 400, "CMN-101"),
        (sms("{mine}", [CALLER], "x" * (MAX_SMS_LENGTH + 1)), 400, "CMN-101"),
        (sms("{mine}", []), 400, "CMN-101"),
        (sms("{mine}", ["not a number"]), 400, "CMN-101"),
        (sms("{mine}", ["+0123"]), 400, "CMN-101"),
        (sms("{mine}", ["102"]), 400, "MSG-246"),
        (sms("{mine}", ["911"]), 400, "MSG-247"),
        (sms("{mine}", [CALLER] * 11), 400, "MSG-381"),
        (sms("+16505559999", [CALLER]), 400, "MSG-245"),
        (sms("{main}", [CALLER]), 403, "MSG-367"),
        ({"to": [{"phoneNumber": CALLER}], "text": "x"}, 400, "CMN-101"),
        ([1, 2], 400, "CMN-101"),
    ],
)
async def test_sms_refusals(api: Api, token: str, body: Any, status: int, code: str) -> None:
    simulator = api.sim
    _, ext = mailbox(simulator)
    if isinstance(body, dict) and "from" in body:
        number = body["from"]["phoneNumber"]
        body["from"]["phoneNumber"] = number.format(
            mine=ext.phone_number, main=simulator.state.account.main_number
        )
    response = await call(api, token, "POST", ME + "/sms", body)
    assert response.status == status, await response.text()
    assert await error_code(response) == code
    assert simulator.state.messages.messages(ext.id) == []


async def test_sms_needs_the_permission_and_an_sms_number(
    api: Api, token: str, simulator: Simulator, http: aiohttp.ClientSession
) -> None:
    _, ext = mailbox(simulator)
    simulator.state.app.permissions.discard("SMS")
    response = await call(api, token, "POST", ME + "/sms", sms(ext.phone_number, [CALLER]))
    assert (response.status, await error_code(response)) == (403, "CMN-408")
    assert (await response.json())["errors"][0]["permissionName"] == "SMS"
    simulator.state.app.permissions.add("SMS")
    answer = await http.post(
        f"{simulator.url}/sim/phone-numbers",
        json={"phone_number": ext.phone_number, "features": ["CallerId"]},
    )
    assert answer.status == 200
    response = await call(api, token, "POST", ME + "/sms", sms(ext.phone_number, [CALLER]))
    assert (response.status, await error_code(response)) == (403, "MSG-367")


# ---- phone numbers -----------------------------------------------------------------------------------


async def test_phone_numbers(api: Api, token: str, simulator: Simulator) -> None:
    _, ext = mailbox(simulator)
    response = await api.get(ME + "/phone-number", token)
    assert response.status == 200
    assert response.headers["X-Rate-Limit-Group"] == "Light"
    body = await response.json()
    assert_response(body, "GET", EXT + "/phone-number")
    assert [(r["phoneNumber"], r["usageType"], r["features"]) for r in body["records"]] == [
        (ext.phone_number, "DirectNumber", ["CallerId", "SmsSender"]),
        (simulator.state.account.main_number, "MainCompanyNumber", ["CallerId"]),
    ]
    direct = await (await api.get(ME + "/phone-number", token, usageType="DirectNumber")).json()
    assert [r["usageType"] for r in direct["records"]] == ["DirectNumber"]
    user_id, user = mailbox(simulator, 1)
    other = await (await api.get(f"/restapi/v1.0/account/~/extension/{user_id}/phone-number", token)).json()
    assert [r["phoneNumber"] for r in other["records"]] == [user.phone_number]
    simulator.state.app.permissions.discard("ReadAccounts")
    refused = await api.get(ME + "/phone-number", token)
    assert (refused.status, await error_code(refused)) == (403, "CMN-408")
