"""Acting through the client against the simulator: presence, call control, RingOut.

Each method's success, its argument checks (nothing sent), and each refusal: 403 naming the
permission, 404, 409, 429 without waiting; actions are sent once and never queue in front of reads.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from custom_components.ringcentral.aioringcentral import (
    DND_STATUSES,
    USER_STATUSES,
    RingCentralClient,
    RingOutStatus,
)
from custom_components.ringcentral.aioringcentral.errors import (
    ApiError,
    MissingPermissionsError,
    ParseError,
    RateLimitedError,
    TemporarilyUnavailableError,
)
from custom_components.ringcentral.aioringcentral.models_control import RINGOUT_IN_PROGRESS, RINGOUT_SUCCESS
from custom_components.ringcentral.aioringcentral.ratelimit import HEAVY, LIGHT, RateLimiter, group_for
from rcsim import Simulator
from tests.reference import openapi_spec
from tests.waiting import wait_for

from .conftest import ClientFactory, requests_in_log

Control = Callable[[Simulator, str, dict[str, Any]], Awaitable[Any]]
OUTSIDE = "+14155550100"


def call(sim: Simulator, ext_id: str, *, answered: bool = True) -> tuple[str, str]:
    """A step-mode inbound call to `ext_id`: (telephonySessionId, the extension's party id)."""
    calls = sim.state.calls
    tsid = calls.start("inbound_answered", ext_id, step=True)
    calls.step(tsid)
    if answered:
        calls.step(tsid)
    session = calls.session(tsid)
    assert session is not None
    return tsid, next(p.id for p in session.parties if p.extension is not None)


def sent(sim: Simulator, fragment: str, method: str | None = None) -> list[dict[str, Any]]:
    return [e for e in requests_in_log(sim, path_contains=fragment) if method in (None, e["method"])]


@pytest.fixture
def me(sim: Simulator) -> str:
    return next(iter(sim.state.account.extensions))


@pytest.fixture
async def client(sim: Simulator, make_client: ClientFactory) -> RingCentralClient:
    client = make_client(sim)
    await client.login()
    return client


def revoke(sim: Simulator, permission: str) -> None:
    sim.state.app.permissions.discard(permission)


# -- presence ------------------------------------------------------------------------------------


async def test_set_presence(sim: Simulator, client: RingCentralClient, me: str) -> None:
    presence = await client.control.set_presence("~", dnd_status="DoNotAcceptAnyCalls", user_status="Busy")

    assert presence.extension_id == me
    assert (presence.dnd_status, presence.user_status, presence.presence_status) == (
        "DoNotAcceptAnyCalls",
        "Busy",
        "Busy",
    )
    assert not presence.detailed
    other = list(sim.state.account.extensions)[1]
    assert (await client.control.set_presence(other, user_status="Offline")).extension_id == other
    truth = sim.state.calls.ground_truth()
    assert (truth[me]["dndStatus"], truth[other]["userStatus"]) == ("DoNotAcceptAnyCalls", "Offline")
    assert [e["group"] for e in sent(sim, "/presence", "PUT")] == ["Medium", "Medium"]


async def test_every_settable_value(client: RingCentralClient) -> None:
    for dnd in DND_STATUSES:
        assert (await client.control.set_presence("~", dnd_status=dnd)).dnd_status == dnd
    for status in USER_STATUSES:
        assert (await client.control.set_presence("~", user_status=status)).user_status == status


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "dnd_status and/or user_status"),
        ({"dnd_status": "Unknown"}, "dnd_status must be one of"),
        ({"dnd_status": "do_not_accept_any_calls"}, "dnd_status must be one of"),
        ({"user_status": "Away"}, "user_status must be one of"),
        ({"user_status": "Busy", "max_wait": -1}, "max_wait"),
        ({"user_status": "Busy", "max_wait": float("nan")}, "max_wait"),
    ],
)
async def test_set_presence_checks_its_arguments(
    sim: Simulator, client: RingCentralClient, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        await client.control.set_presence("~", **kwargs)
    with pytest.raises(ValueError, match="not a RingCentral id"):
        await client.control.set_presence("1/2", user_status="Busy")
    assert sent(sim, "/presence") == []


async def test_set_presence_refusals(
    sim: Simulator, make_client: ClientFactory, client: RingCentralClient
) -> None:
    admin, second = list(sim.state.account.extensions)[:2]
    user = make_client(sim, extension_id=second)
    with pytest.raises(MissingPermissionsError) as not_admin:
        await user.control.set_presence(admin, user_status="Busy")
    assert not_admin.value.permissions == ("EditPresenceStatus",)
    with pytest.raises(ApiError) as unknown:
        await client.control.set_presence("404404", user_status="Busy")
    assert unknown.value.status == 404
    revoke(sim, "EditPresence")
    with pytest.raises(MissingPermissionsError) as revoked:
        await client.control.set_presence("~", user_status="Busy")
    assert revoked.value.permissions == ("EditPresence",)


# -- call control --------------------------------------------------------------------------------


async def test_hold_unhold_hang_up(sim: Simulator, client: RingCentralClient, me: str) -> None:
    tsid, party_id = call(sim, me)

    held = await client.control.hold(tsid, party_id)
    assert held.id == party_id
    assert held.status is not None
    assert held.status.code == "Hold"
    assert sim.state.calls.ground_truth()[me]["telephonyStatus"] == "OnHold"
    resumed = await client.control.unhold(tsid, party_id)
    assert resumed.status is not None
    assert resumed.status.code == "Answered"
    assert await client.control.hang_up(tsid) is None
    assert sim.state.calls.session(tsid) is None
    assert {e["group"] for e in sent(sim, "/telephony/sessions/")} == {"Light"}

    with pytest.raises(ApiError) as gone:
        await client.control.hang_up(tsid)
    assert (gone.value.status, gone.value.error_code) == (404, "TAS-102")
    with pytest.raises(ApiError) as party_gone:
        await client.control.hold(tsid, party_id)
    assert party_gone.value.status == 404


async def test_reject(sim: Simulator, client: RingCentralClient, me: str) -> None:
    tsid, party_id = call(sim, me, answered=False)
    assert await client.control.reject(tsid, party_id) is None
    session = await client.get_telephony_session(tsid)
    assert session is not None
    party = session.party(party_id)
    assert party is not None
    assert party.status is not None
    assert party.status.code == "VoiceMail"


async def test_an_action_the_call_does_not_allow_is_409(
    sim: Simulator, client: RingCentralClient, me: str
) -> None:
    tsid, party_id = call(sim, me, answered=False)
    with pytest.raises(ApiError) as ringing:
        await client.control.hold(tsid, party_id)
    assert (ringing.value.status, ringing.value.error_code) == (409, "TAS-409")
    sim.state.calls.step(tsid)
    with pytest.raises(ApiError) as answered:
        await client.control.reject(tsid, party_id)
    assert answered.value.status == 409


async def test_unknown_party_is_404(sim: Simulator, client: RingCentralClient, me: str) -> None:
    tsid, _party_id = call(sim, me)
    with pytest.raises(ApiError) as caught:
        await client.control.unhold(tsid, "no-such-party")
    assert (caught.value.status, caught.value.error_code) == (404, "CMN-102")


async def test_transfer(sim: Simulator, client: RingCentralClient, me: str) -> None:
    other = list(sim.state.account.extensions.values())[1]
    tsid, party_id = call(sim, me)

    party = await client.control.transfer(tsid, party_id, extension_number=other.extension_number)

    assert party.status is not None
    assert party.status.code == "Gone"
    assert party.status.peer_party_id is not None
    truth = sim.state.calls.ground_truth()
    assert (truth[me]["telephonyStatus"], truth[other.id]["telephonyStatus"]) == ("NoCall", "Ringing")
    tsid, party_id = call(sim, me)
    assert (await client.control.transfer(tsid, party_id, phone_number=OUTSIDE)).status is not None
    tsid, party_id = call(sim, me)
    await client.control.transfer(tsid, party_id, voicemail=other.id)
    tsid, party_id = call(sim, me)
    with pytest.raises(ApiError) as unknown:
        await client.control.transfer(tsid, party_id, extension_number="999")
    assert unknown.value.status == 400


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "exactly one"),
        ({"phone_number": OUTSIDE, "voicemail": "123"}, "exactly one"),
        ({"phone_number": "+1 415 555 0100"}, "phone_number must be a phone number"),
        ({"phone_number": "+123456"}, "7 to 15 digits"),
        ({"phone_number": "+1234567890123456"}, "7 to 15 digits"),
        ({"extension_number": "10a"}, "extension_number must be an extension number"),
        ({"voicemail": "~"}, "voicemail must name an extension id"),
        ({"voicemail": "a/b"}, "not a RingCentral id"),
    ],
)
async def test_transfer_checks_its_arguments(
    sim: Simulator, client: RingCentralClient, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        await client.control.transfer("tsid", "party", **kwargs)
    with pytest.raises(ValueError, match="telephony_session_id"):
        await client.control.hold("", "party")
    with pytest.raises(ValueError, match="party_id"):
        await client.control.reject("tsid", "a?b")
    assert sent(sim, "/telephony/") == []


async def test_call_control_without_the_permission(
    sim: Simulator, client: RingCentralClient, me: str
) -> None:
    tsid, party_id = call(sim, me)
    revoke(sim, "CallControl")
    for action in (client.control.hold, client.control.unhold, client.control.reject):
        with pytest.raises(MissingPermissionsError) as caught:
            await action(tsid, party_id)
        assert caught.value.permissions == ("CallControl",)
    with pytest.raises(MissingPermissionsError):
        await client.control.hang_up(tsid)
    with pytest.raises(MissingPermissionsError):
        await client.control.transfer(tsid, party_id, phone_number=OUTSIDE)


# -- RingOut -------------------------------------------------------------------------------------


async def test_ring_out(sim: Simulator, client: RingCentralClient, me: str) -> None:
    sim.state.config.api_calls_step = True
    ext = sim.state.account.extensions[me]

    ringout = await client.control.ring_out(
        "~", to=OUTSIDE, from_=ext.phone_number, caller_id=ext.phone_number, play_prompt=False
    )

    assert ringout.id
    assert (ringout.call_status, ringout.caller_status, ringout.callee_status) == (RINGOUT_IN_PROGRESS,) * 3
    assert sim.state.calls.ground_truth()[me]["telephonyStatus"] == "Ringing"  # the extension rings first
    tsid = sim.state.calls.running()[-1]
    sim.state.calls.step(tsid)
    sim.state.calls.step(tsid)
    status = await client.control.get_ring_out(me, ringout.id)
    assert (status.call_status, status.caller_status, status.callee_status) == (RINGOUT_SUCCESS,) * 3
    assert sim.state.calls.ground_truth()[me]["activeCalls"][0]["direction"] == "Outbound"
    assert await client.control.cancel_ring_out("~", ringout.id) is None
    assert sim.state.calls.ground_truth()[me]["telephonyStatus"] == "NoCall"
    with pytest.raises(ApiError) as forgotten:
        await client.control.get_ring_out("~", ringout.id)
    assert forgotten.value.status == 404
    groups = [(e["method"], e["group"]) for e in sent(sim, "/ring-out")]
    assert groups == [("POST", HEAVY), ("GET", LIGHT), ("DELETE", HEAVY), ("GET", LIGHT)]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"to": "555", "from_": "+16505550101"}, "to must be a phone number"),
        ({"to": OUTSIDE, "from_": "me"}, "from_ must be a phone number"),
        ({"to": OUTSIDE, "from_": "+16505550101", "caller_id": ""}, "caller_id"),
        ({"to": OUTSIDE, "from_": "+16505550101", "play_prompt": "yes"}, "play_prompt"),
    ],
)
async def test_ring_out_checks_its_arguments(
    sim: Simulator, client: RingCentralClient, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        await client.control.ring_out("~", **kwargs)
    with pytest.raises(ValueError, match="ringout_id"):
        await client.control.get_ring_out("~", "a/b")
    assert sent(sim, "/ring-out") == []


async def test_ring_out_refusals(sim: Simulator, client: RingCentralClient) -> None:
    with pytest.raises(ApiError) as unknown:
        await client.control.get_ring_out("~", "no-such-ringout")
    assert unknown.value.status == 404
    revoke(sim, "RingOut")
    with pytest.raises(MissingPermissionsError) as caught:
        await client.control.ring_out("~", to=OUTSIDE, from_="+16505550101")
    assert caught.value.permissions == ("RingOut",)


async def test_ten_ring_outs_a_minute_and_no_429(sim: Simulator, client: RingCentralClient) -> None:
    sim.state.config.api_calls_step = True
    for _ in range(10):
        await client.control.ring_out("~", to=OUTSIDE, from_="+16505550101")

    with pytest.raises(RateLimitedError) as caught:
        await client.control.ring_out("~", to=OUTSIDE, from_="+16505550101")

    assert caught.value.group == HEAVY
    assert caught.value.retry_after > 0
    # The client knew the budget was spent: the eleventh was never sent, so no 429 penalty either.
    assert [e["status"] for e in sent(sim, "/ring-out")] == [200] * 10


# -- rate limits ---------------------------------------------------------------------------------

_ACTING = [
    (method.upper(), path, operation["x-throttling-group"])
    for path, operations in openapi_spec()["paths"].items()
    if path.endswith("/presence") or "/telephony/sessions/" in path or "/ring-out" in path
    for method, operation in operations.items()
    if isinstance(operation, dict) and "x-throttling-group" in operation
]


@pytest.mark.parametrize(("method", "path", "group"), _ACTING)
def test_the_groups_of_the_spec(method: str, path: str, group: str) -> None:
    example = path.replace("{accountId}", "~").replace("{extensionId}", "~")
    example = re.sub(r"\{[^}]+\}", "x-1", example)
    assert group_for(method, example) == group


async def test_a_429_fails_at_once(
    sim: Simulator, make_client: ClientFactory, control: Control, me: str
) -> None:
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        await sim.state.clock.sleep(seconds)

    client = make_client(sim, sleep=sleep)
    await client.login()
    tsid, party_id = call(sim, me)
    await control(sim, "faults", {"type": "http", "path": "/hold$", "status": 429, "retry_after": 45})

    with pytest.raises(RateLimitedError) as caught:
        await client.control.hold(tsid, party_id)

    assert caught.value.retry_after == pytest.approx(45, abs=2)
    assert sleeps == []
    assert len(sent(sim, "/hold")) == 1
    # max_wait=None waits like any request and then goes through.
    held = await client.control.hold(tsid, party_id, max_wait=None)
    assert held.status is not None
    assert sleeps


async def test_an_action_is_sent_once(
    sim: Simulator, client: RingCentralClient, control: Control, me: str
) -> None:
    tsid, party_id = call(sim, me)
    await control(sim, "faults", {"type": "http", "path": "/hold$", "status": 503})

    with pytest.raises(TemporarilyUnavailableError):
        await client.control.hold(tsid, party_id, max_wait=None)
    assert len(sent(sim, "/hold")) == 1
    # A status read is retried like any read.
    ringout = await client.control.ring_out("~", to=OUTSIDE, from_="+16505550101")
    await control(sim, "faults", {"type": "http", "path": "/ring-out/", "method": "GET", "status": 503})
    assert (await client.control.get_ring_out("~", ringout.id, max_wait=None)).id == ringout.id
    assert [e["status"] for e in sent(sim, "/ring-out/")] == [503, 200]


async def test_an_action_never_waits_in_front_of_presence_reads(
    sim: Simulator, make_client: ClientFactory, control: Control, me: str
) -> None:
    # The watching side waits out rate-limit penalties for as long as it takes.
    limiter = RateLimiter(clock=sim.state.clock.now, sleep=sim.state.clock.sleep, max_wait=None)
    client = make_client(sim, limiter=limiter)
    await client.login()
    tsid, party_id = call(sim, me)
    await control(sim, "faults", {"type": "http", "path": "/presence$", "status": 429, "retry_after": 30})
    read = asyncio.create_task(client.get_presence(me))
    # The read got its 429 and now holds the Light slot, waiting for the penalty to pass.
    await wait_for(lambda: limiter.group(LIGHT).penalty_until > 0)

    with pytest.raises(RateLimitedError) as caught:
        await client.control.hold(tsid, party_id)
    assert caught.value.group == LIGHT
    assert 0 < caught.value.retry_after <= 30

    async with asyncio.timeout(5):
        presence = await read
    assert presence.extension_id == me
    assert [(e["path"].rsplit("/", 1)[-1], e["status"]) for e in sent(sim, "/restapi/v1.0/")] == [
        ("presence", 429),
        ("presence", 200),
    ]


# -- answers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([], "expected an object"),
        ({"status": {}}, "id missing"),
        ({"id": "", "status": {}}, "id missing"),
        ({"id": "r", "status": []}, "status: expected an object"),
        ({"id": "r", "status": {"callStatus": 3}}, "callStatus: expected a string"),
    ],
)
def test_malformed_ringout_answers(raw: Any, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        RingOutStatus.from_dict(raw)


def test_ringout_answers_keep_unknown_statuses() -> None:
    parsed = RingOutStatus.from_dict({"id": 42, "status": {"callStatus": "Teleported", "calleeStatus": ""}})
    assert parsed == RingOutStatus(id="42", call_status="Teleported", caller_status=None, callee_status=None)
    assert RingOutStatus.from_dict({"id": "r"}).call_status is None


async def test_max_wait_is_a_number_of_seconds(sim: Simulator, client: RingCentralClient) -> None:
    for bad in (True, "1", float("inf")):
        with pytest.raises(ValueError, match="max_wait"):
            await client.control.hang_up("tsid", max_wait=bad)  # type: ignore[arg-type]
    assert sent(sim, "/telephony/") == []
