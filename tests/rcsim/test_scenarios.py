"""Every scenario's full event sequence, and the RingCentral semantics each one stands for.

Scenarios run in step mode on the first user extension ("me"), with the second ("other") as
`other_extension_id` where a scenario needs one; "third" is the third user extension.
"""

from __future__ import annotations

from typing import Any

import pytest

from rcsim.calls import CallEngine
from rcsim.scenarios import NEEDS_SECOND_USER, SCENARIOS

from .calls_support import Recorder, assert_streams_consistent, make_engine, run_scenario, user_ids

T, P = "T", "P"

# (kind, extension, party codes of that extension's parties | presence aggregate)
EXPECTED: dict[str, list[tuple[str, str, Any]]] = {
    "inbound_answered": [
        (T, "me", ["Proceeding"]),
        (P, "me", "Ringing"),
        (T, "me", ["Answered"]),
        (P, "me", "CallConnected"),
        (T, "me", ["Disconnected"]),
        (P, "me", "NoCall"),
    ],
    "inbound_missed": [
        (T, "me", ["Proceeding"]),
        (P, "me", "Ringing"),
        (T, "me", ["Disconnected"]),
        (P, "me", "NoCall"),
    ],
    "inbound_voicemail": [
        (T, "me", ["Proceeding"]),
        (P, "me", "Ringing"),
        (T, "me", ["VoiceMail"]),
        (P, "me", "NoCall"),
        # The call had already left presence: only the telephony stream sees it end.
        (T, "me", ["Disconnected"]),
    ],
    "inbound_flicker": [
        (T, "me", ["Proceeding"]),
        (P, "me", "Ringing"),
        (P, "me", "NoCall"),
        (P, "me", "Ringing"),
        (T, "me", ["Answered"]),
        (P, "me", "CallConnected"),
        (T, "me", ["Disconnected"]),
        (P, "me", "NoCall"),
    ],
    "outbound_answered": [
        (T, "me", ["Setup"]),
        (P, "me", "Ringing"),
        (T, "me", ["Proceeding"]),
        (T, "me", ["Answered"]),
        (P, "me", "CallConnected"),
        (T, "me", ["Disconnected"]),
        (P, "me", "NoCall"),
    ],
    "outbound_unanswered": [
        (T, "me", ["Setup"]),
        (P, "me", "Ringing"),
        (T, "me", ["Proceeding"]),
        (T, "me", ["Disconnected"]),
        (P, "me", "NoCall"),
    ],
    "hold_resume": [
        (T, "me", ["Proceeding"]),
        (P, "me", "Ringing"),
        (T, "me", ["Answered"]),
        (P, "me", "CallConnected"),
        (T, "me", ["Hold"]),
        (P, "me", "OnHold"),
        (T, "me", ["Answered"]),
        (P, "me", "CallConnected"),
        (T, "me", ["Disconnected"]),
        (P, "me", "NoCall"),
    ],
    "park_pickup": [  # picked up by the same extension (no other_extension_id)
        (T, "me", ["Proceeding"]),
        (P, "me", "Ringing"),
        (T, "me", ["Answered"]),
        (P, "me", "CallConnected"),
        (T, "me", ["Parked"]),
        (P, "me", "ParkedCall"),
        (T, "me", ["Disconnected", "Answered"]),
        (P, "me", "CallConnected"),
        (T, "me", ["Disconnected", "Disconnected"]),
        (P, "me", "NoCall"),
    ],
    "blind_transfer": [
        (T, "me", ["Proceeding"]),
        (P, "me", "Ringing"),
        (T, "me", ["Answered"]),
        (P, "me", "CallConnected"),
        (T, "me", ["Gone"]),
        (T, "other", ["Proceeding"]),
        (P, "me", "NoCall"),
        (P, "other", "Ringing"),
        (T, "other", ["Answered"]),
        (P, "other", "CallConnected"),
        (T, "other", ["Disconnected"]),
        (P, "other", "NoCall"),
    ],
    "attended_transfer": [
        (T, "me", ["Proceeding"]),
        (P, "me", "Ringing"),
        (T, "me", ["Answered"]),
        (P, "me", "CallConnected"),
        (T, "me", ["Hold"]),
        (P, "me", "OnHold"),
        (T, "me", ["Setup"]),  # consult call, while the first waits on hold
        (P, "me", "OnHold"),
        (T, "me", ["Proceeding"]),
        (T, "other", ["Proceeding"]),
        (P, "other", "Ringing"),
        (T, "me", ["Answered"]),
        (T, "other", ["Answered"]),
        (P, "me", "CallConnected"),
        (P, "other", "CallConnected"),
        (T, "me", ["Gone"]),  # original session
        (T, "other", ["Answered"]),  # the target joins the original session
        (T, "me", ["Disconnected"]),  # consult session
        (T, "other", ["Gone"]),
        (P, "me", "NoCall"),
        (P, "other", "CallConnected"),
        (T, "other", ["Disconnected"]),
        (P, "other", "NoCall"),
    ],
    "concurrent_calls": [
        (T, "me", ["Proceeding"]),
        (P, "me", "Ringing"),
        (T, "me", ["Answered"]),
        (P, "me", "CallConnected"),
        (T, "me", ["Proceeding"]),  # second call
        (P, "me", "CallConnected"),
        (T, "me", ["Hold"]),
        (P, "me", "OnHold"),
        (T, "me", ["Answered"]),
        (P, "me", "CallConnected"),
        (T, "me", ["Disconnected"]),  # second call ends, first still on hold
        (P, "me", "OnHold"),
        (T, "me", ["Answered"]),
        (P, "me", "CallConnected"),
        (T, "me", ["Disconnected"]),
        (P, "me", "NoCall"),
    ],
    "queue_call": [
        (T, "me", ["Proceeding"]),
        (T, "other", ["Proceeding"]),
        (T, "third", ["Proceeding"]),
        (P, "me", "Ringing"),
        (P, "other", "Ringing"),
        (P, "third", "Ringing"),
        (T, "me", ["Answered"]),
        (T, "other", ["Disconnected"]),
        (T, "third", ["Disconnected"]),
        (P, "me", "CallConnected"),
        (P, "other", "NoCall"),
        (P, "third", "NoCall"),
        (T, "me", ["Disconnected"]),
        (P, "me", "NoCall"),
    ],
    "internal_call": [
        (T, "me", ["Setup"]),
        (P, "me", "Ringing"),
        (T, "me", ["Proceeding"]),
        (T, "other", ["Proceeding"]),
        (P, "other", "Ringing"),
        (T, "me", ["Answered"]),
        (T, "other", ["Answered"]),
        (P, "me", "CallConnected"),
        (P, "other", "CallConnected"),
        (T, "me", ["Disconnected"]),
        (T, "other", ["Disconnected"]),
        (P, "me", "NoCall"),
        (P, "other", "NoCall"),
    ],
    "presence_change": [(P, "me", "NoCall"), (P, "me", "NoCall")],
    "dnd_change": [(P, "me", "NoCall"), (P, "me", "NoCall")],
}


def _roles(engine: CallEngine) -> dict[str, str]:
    ids = user_ids(engine)
    return {ids[0]: "me", ids[1]: "other", ids[2]: "third"}


def _run(name: str) -> tuple[CallEngine, Recorder, str]:
    return run_scenario(name, other=name in NEEDS_SECOND_USER)


def _telephony(recorder: Recorder, ext: str) -> list[dict[str, Any]]:
    return [p for body in recorder.of("telephony", ext) for p in body["parties"]]


def test_every_scenario_has_an_expected_sequence() -> None:
    assert set(EXPECTED) == set(SCENARIOS)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_event_sequence(name: str) -> None:
    engine, recorder, _ = _run(name)
    roles = _roles(engine)
    assert [(k, roles[e], s) for k, e, s in recorder.summary()] == EXPECTED[name]
    assert_streams_consistent(recorder)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_scenario_leaves_every_extension_idle(name: str) -> None:
    engine, _, run_id = _run(name)
    assert engine.running() == []
    assert engine.telephony_session(run_id) is None
    for ext_id, truth in engine.ground_truth().items():
        assert truth["telephonyStatus"] == "NoCall", ext_id
        assert truth["activeCalls"] == [], ext_id
        assert truth["presenceStatus"] == "Available", ext_id


@pytest.mark.parametrize("name", sorted(n for n in EXPECTED if n not in ("presence_change", "dnd_change")))
def test_call_scenarios_return_the_first_session_id(name: str) -> None:
    engine, recorder, run_id = _run(name)
    me = user_ids(engine)[0]
    assert recorder.of("telephony", me)[0]["telephonySessionId"] == run_id


def test_inbound_parties_and_presence_calls() -> None:
    engine, recorder, run_id = _run("inbound_answered")
    me = engine.account.extensions[user_ids(engine)[0]]
    first = recorder.of("telephony", me.id)[0]
    assert first["origin"] == {"type": "Call"}
    assert first["accountId"] == engine.account.id
    (party,) = first["parties"]
    assert party["direction"] == "Inbound"
    assert party["to"] == {"phoneNumber": me.phone_number, "name": me.name, "extensionId": me.id}
    assert party["from"]["phoneNumber"].startswith("+")
    assert "extensionId" not in party["from"]  # a PSTN caller is outside the account
    assert party["status"]["mobilePickupData"]["ccMailboxes"] == [me.id]
    assert party["missedCall"] is False
    ringing = recorder.of("presence", me.id)[0]["activeCalls"][0]
    assert ringing["partyId"] == party["id"]
    assert ringing["telephonySessionId"] == run_id
    assert ringing["sessionId"] == first["sessionId"]
    assert ringing["from"] == party["from"]["phoneNumber"]
    assert ringing["to"] == me.phone_number
    assert ringing["queueCall"] is False
    ended = recorder.of("presence", me.id)[-1]
    assert ended["activeCalls"][0]["terminationType"] == "final"
    assert ended["totalActiveCalls"] == 0


def test_missed_call_is_flagged() -> None:
    engine, recorder, _ = _run("inbound_missed")
    last = _telephony(recorder, user_ids(engine)[0])[-1]
    assert last["status"]["code"] == "Disconnected"
    assert last["missedCall"] is True
    assert last["status"]["reason"] == "Cancelled"


def test_voicemail_is_a_missed_call() -> None:
    engine, recorder, _ = _run("inbound_voicemail")
    parties = _telephony(recorder, user_ids(engine)[0])
    assert [(p["status"]["code"], p["missedCall"]) for p in parties] == [
        ("Proceeding", False),
        ("VoiceMail", True),
        ("Disconnected", True),
    ]


def test_unanswered_outbound_call() -> None:
    engine, recorder, _ = _run("outbound_unanswered")
    me = engine.account.extensions[user_ids(engine)[0]]
    parties = _telephony(recorder, me.id)
    assert {p["direction"] for p in parties} == {"Outbound"}
    assert parties[0]["from"]["extensionId"] == me.id
    assert parties[-1]["status"] == {"code": "Disconnected", "reason": "NoAnswer"}
    assert parties[-1]["missedCall"] is False


def test_flicker_shows_an_intermediate_nocall_while_telephony_keeps_ringing() -> None:
    engine, recorder, _ = _run("inbound_flicker")
    me = user_ids(engine)[0]
    presence = recorder.of("presence", me)
    flicker = presence[1]
    assert flicker["telephonyStatus"] == "NoCall"
    assert flicker["totalActiveCalls"] == 0
    (call,) = flicker["activeCalls"]
    assert call["terminationType"] == "intermediate"
    assert (
        call["partyId"]
        == presence[0]["activeCalls"][0]["partyId"]
        == presence[2]["activeCalls"][0]["partyId"]
    )
    assert "terminationType" not in presence[2]["activeCalls"][0]


def test_park_and_pickup_by_another_extension() -> None:
    engine, recorder = make_engine()
    me, other, _ = user_ids(engine)
    run_id = engine.start("park_pickup", me, other_extension_id=other, step=True)
    for _ in range(3):  # ring, answer, park
        engine.step(run_id)
    parked = _telephony(recorder, me)[-1]
    assert parked["status"] == {"code": "Parked", "parkData": "*801"}
    assert parked["park"] == {"id": "801"}
    assert parked["standAlone"] is True
    truth = engine.ground_truth()
    assert truth[me]["telephonyStatus"] == "ParkedCall"
    assert truth[me]["presenceStatus"] == "Available"
    session = engine.telephony_session(run_id)
    assert session is not None
    assert [p["status"]["code"] for p in session["parties"]] == ["Answered", "Parked"]

    engine.step(run_id)  # picked up
    assert _telephony(recorder, me)[-1]["status"] == {"code": "Disconnected", "reason": "Pickup"}
    (picked,) = recorder.of("telephony", other)[-1]["parties"]
    assert picked["status"]["code"] == "Answered"
    assert picked["direction"] == "Inbound"
    assert recorder.of("telephony", other)[-1]["telephonySessionId"] == run_id  # same session
    truth = engine.ground_truth()
    assert truth[me]["telephonyStatus"] == "NoCall"
    assert truth[other]["telephonyStatus"] == "CallConnected"
    assert engine.step(run_id)
    assert not engine.step(run_id)
    assert_streams_consistent(recorder)


def test_blind_transfer_points_the_gone_party_at_the_target() -> None:
    engine, recorder, run_id = _run("blind_transfer")
    me, other, _ = user_ids(engine)
    gone = _telephony(recorder, me)[-1]
    assert gone["status"]["code"] == "Gone"
    peer = gone["status"]["peerId"]
    target_event = recorder.of("telephony", other)[0]
    assert peer == {
        "sessionId": target_event["sessionId"],
        "telephonySessionId": target_event["telephonySessionId"],
        "partyId": target_event["parties"][0]["id"],
    }
    assert target_event["telephonySessionId"] != run_id  # the target rings in a new session
    # The target sees the original caller.
    assert target_event["parties"][0]["from"] == _telephony(recorder, me)[0]["from"]


def test_attended_transfer_consults_first_then_hands_over() -> None:
    engine, recorder, run_id = _run("attended_transfer")
    me, other, _ = user_ids(engine)
    sessions = {body["telephonySessionId"] for body in recorder.of("telephony", me)}
    assert len(sessions) == 2  # the original call and the consult call
    by_session: dict[str, list[str]] = {}
    for body in recorder.of("telephony", me):
        by_session.setdefault(body["telephonySessionId"], []).extend(
            p["status"]["code"] for p in body["parties"]
        )
    consult = (sessions - {run_id}).pop()
    assert by_session[run_id] == ["Proceeding", "Answered", "Hold", "Gone"]
    assert by_session[consult] == ["Setup", "Proceeding", "Answered", "Disconnected"]
    my_gone = next(p for p in _telephony(recorder, me) if p["status"]["code"] == "Gone")
    their_new = next(
        body["parties"][0] for body in recorder.of("telephony", other) if body["telephonySessionId"] == run_id
    )
    assert my_gone["status"]["peerId"]["partyId"] == their_new["id"]
    assert my_gone["status"]["peerId"]["telephonySessionId"] == run_id
    their_consult_gone = next(p for p in _telephony(recorder, other) if p["status"]["code"] == "Gone")
    assert their_consult_gone["status"]["peerId"]["partyId"] == their_new["id"]
    consult_end = [p for p in _telephony(recorder, me) if p["status"]["code"] == "Disconnected"]
    assert consult_end[0]["status"]["reason"] == "AttendedTransfer"


def test_attended_transfer_ground_truth_mid_consult() -> None:
    engine, _ = make_engine()
    me, other, _ = user_ids(engine)
    run_id = engine.start("attended_transfer", me, other_extension_id=other, step=True)
    for _ in range(6):  # ring, answer, hold, dial, target rings, target answers
        engine.step(run_id)
    truth = engine.ground_truth()
    assert [c["telephonyStatus"] for c in truth[me]["activeCalls"]] == ["OnHold", "CallConnected"]
    assert truth[me]["telephonyStatus"] == "CallConnected"
    assert [c["direction"] for c in truth[me]["activeCalls"]] == ["Inbound", "Outbound"]
    assert [c["telephonyStatus"] for c in truth[other]["activeCalls"]] == ["CallConnected"]


def test_concurrent_calls_overlap_on_one_extension() -> None:
    engine, recorder = make_engine()
    me = user_ids(engine)[0]
    run_id = engine.start("concurrent_calls", me, step=True)
    seen: list[list[str]] = []
    while engine.step(run_id):
        seen.append([c["telephonyStatus"] for c in engine.ground_truth()[me]["activeCalls"]])
    assert seen == [
        ["Ringing"],
        ["CallConnected"],
        ["CallConnected", "Ringing"],
        ["OnHold", "Ringing"],
        ["OnHold", "CallConnected"],
        ["OnHold"],
        ["CallConnected"],
        [],
    ]
    assert len({body["telephonySessionId"] for body in recorder.of("telephony", me)}) == 2
    assert recorder.of("presence", me)[2]["totalActiveCalls"] == 2


def test_queue_call_rings_agents_and_stops_the_others_without_a_missed_call() -> None:
    engine, recorder, run_id = _run("queue_call")
    me, other, third = user_ids(engine)
    queue = next(e for e in engine.account.extensions.values() if e.type == "Department")
    for agent in (me, other, third):
        ringing = recorder.of("telephony", agent)[0]["parties"][0]
        assert ringing["queueCall"] is True
        assert ringing["to"]["extensionId"] == queue.id
        assert recorder.of("presence", agent)[0]["activeCalls"][0]["queueCall"] is True
        assert recorder.of("telephony", agent)[0]["telephonySessionId"] == run_id
    for agent in (other, third):
        stopped = recorder.of("telephony", agent)[-1]["parties"][0]
        assert stopped["status"] == {"code": "Disconnected", "reason": "Pickup"}
        assert stopped["missedCall"] is False
    assert recorder.of("telephony", me)[1]["parties"][0]["status"]["code"] == "Answered"


def test_queue_call_uses_an_existing_department_as_the_queue() -> None:
    engine, recorder = make_engine()
    queue = engine.account.add_extension("Sales Queue", ext_type="Department")
    me, other, _ = user_ids(engine)
    run_id = engine.start("queue_call", queue.id, other_extension_id=other, step=True)
    engine.step(run_id)
    assert [e.extension_id for e in recorder.events if e.kind == "telephony"] == [other]
    assert recorder.of("telephony", other)[0]["parties"][0]["to"]["name"] == "Sales Queue"
    assert [e.type for e in engine.account.extensions.values()].count("Department") == 1
    assert me not in {e.extension_id for e in recorder.events}


def test_internal_call_each_extension_sees_only_its_own_party() -> None:
    engine, recorder, run_id = _run("internal_call")
    me, other, _ = user_ids(engine)
    mine = _telephony(recorder, me)
    theirs = _telephony(recorder, other)
    assert {p["direction"] for p in mine} == {"Outbound"}
    assert {p["direction"] for p in theirs} == {"Inbound"}
    assert {p["id"] for p in mine}.isdisjoint({p["id"] for p in theirs})
    assert {b["telephonySessionId"] for b in recorder.of("telephony", me)} == {run_id}
    assert {b["telephonySessionId"] for b in recorder.of("telephony", other)} == {run_id}
    ext_me = engine.account.extensions[me]
    ext_other = engine.account.extensions[other]
    assert mine[0]["to"] == {
        "phoneNumber": ext_other.extension_number,
        "name": ext_other.name,
        "extensionId": other,
    }
    callee_call = recorder.of("presence", other)[0]["activeCalls"][0]
    assert (callee_call["from"], callee_call["fromName"]) == (ext_me.extension_number, ext_me.name)


def test_internal_call_session_lists_both_parties() -> None:
    engine, _ = make_engine()
    me, other, _ = user_ids(engine)
    run_id = engine.start("internal_call", me, other_extension_id=other, step=True)
    engine.step(run_id)
    engine.step(run_id)
    session = engine.telephony_session(run_id)
    assert session is not None
    assert [(p["direction"], p["status"]["code"], p["owner"]["extensionId"]) for p in session["parties"]] == [
        ("Outbound", "Proceeding", me),
        ("Inbound", "Proceeding", other),
    ]


@pytest.mark.parametrize(
    ("name", "field", "during", "presence_during"),
    [
        ("presence_change", "userStatus", "Busy", "Busy"),
        ("dnd_change", "dndStatus", "DoNotAcceptAnyCalls", "Busy"),
    ],
)
def test_presence_only_scenarios(name: str, field: str, during: str, presence_during: str) -> None:
    engine, recorder = make_engine()
    me = user_ids(engine)[0]
    run_id = engine.start(name, me, step=True)
    before = engine.ground_truth()[me]
    engine.step(run_id)
    assert engine.ground_truth()[me][field] == during
    assert engine.ground_truth()[me]["presenceStatus"] == presence_during
    engine.step(run_id)
    assert engine.ground_truth()[me] == before
    assert [e.kind for e in recorder.events] == ["presence", "presence"]
    assert [b[field] for b in recorder.of("presence", me)] == [during, before[field]]


@pytest.mark.parametrize("name", sorted(NEEDS_SECOND_USER))
def test_scenarios_needing_a_second_user_refuse_a_lone_extension(name: str) -> None:
    engine, recorder = make_engine(extensions=1)
    with pytest.raises(ValueError, match="second user extension"):
        engine.start(name, user_ids(engine)[0], step=True)
    assert recorder.events == []
