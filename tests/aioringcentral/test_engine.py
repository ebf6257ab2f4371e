"""CallStateEngine: table tests from the official samples, the seed's example and every simulator scenario."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from custom_components.ringcentral.aioringcentral.engine import (
    CallEvent,
    CallStateEngine,
    EngineUpdate,
    ExtensionState,
)
from custom_components.ringcentral.aioringcentral.models import (
    Presence,
    TelephonySessionEvent,
    parse_notification,
    parse_presence,
    parse_telephony_session,
)
from rcsim.scenarios import SCENARIOS

from .engine_harness import START, Source, feed, new_engine, per_call, record, state_mismatches

FIXTURES = Path(__file__).parent / "fixtures"
EXT = "101"
TSID = "s-1"
PARTY = "p-1"


def at(seconds: float) -> datetime:
    return START + timedelta(seconds=seconds)


def presence(seq: int | None, *calls: dict[str, Any], ext: str = EXT, **fields: Any) -> Presence:
    """A detailed presence body; calls are `activeCalls` entries."""
    live = [c["telephonyStatus"] for c in calls if c.get("telephonyStatus") not in (None, "NoCall")]
    body: dict[str, Any] = {
        "extensionId": ext,
        "telephonyStatus": live[0] if live else "NoCall",
        "activeCalls": list(calls),
        "presenceStatus": "Available",
        "userStatus": "Available",
        "dndStatus": "TakeAllCalls",
        **fields,
    }
    if seq is not None:
        body["sequence"] = seq
    return parse_presence(body, detailed=True)


def entry(
    status: str, *, tsid: str = TSID, party: str = PARTY, direction: str = "Inbound", **extra: Any
) -> dict[str, Any]:
    return {
        "id": f"{tsid}-{party}",
        "direction": direction,
        "from": "+15550001",
        "fromName": "Caller",
        "to": "+15550002",
        "toName": "Me",
        "telephonyStatus": status,
        "telephonySessionId": tsid,
        "partyId": party,
        "sessionId": "9",
        "startTime": "2024-05-01T12:00:00.000Z",
        **extra,
    }


def telephony(
    seq: int | None,
    code: str,
    *,
    ext: str = EXT,
    tsid: str = TSID,
    party: str = PARTY,
    direction: str = "Inbound",
    event_time: str = "2024-05-01T12:00:00.000Z",
    **status: Any,
) -> TelephonySessionEvent:
    """A telephony-session body with one party of `ext`."""
    party_body: dict[str, Any] = {
        "id": party,
        "extensionId": ext,
        "direction": direction,
        "from": {"phoneNumber": "+15550001", "name": "Caller"},
        "to": {"phoneNumber": "+15550002", "name": "Me", "extensionId": ext},
        "status": {"code": code, **{k: v for k, v in status.items() if k != "missedCall"}},
    }
    if "missedCall" in status:
        party_body["missedCall"] = status["missedCall"]
    body: dict[str, Any] = {
        "telephonySessionId": tsid,
        "sessionId": "9",
        "eventTime": event_time,
        "parties": [party_body],
    }
    if seq is not None:
        body["sequence"] = seq
    return parse_telephony_session(body)


def engine_for(
    *, presence_source: bool = True, telephony_source: bool = True, settle: float = 3.0
) -> CallStateEngine:
    engine = CallStateEngine(settle_seconds=settle)
    engine.set_monitored(
        [EXT, "102"],
        presence=[EXT, "102"] if presence_source else [],
        telephony=[EXT, "102"] if telephony_source else [],
    )
    return engine


def types(update: EngineUpdate) -> list[str]:
    return [event.type for event in update.events]


def run(engine: CallStateEngine, *items: Presence | TelephonySessionEvent, start: float = 0.0) -> list[str]:
    events: list[str] = []
    for index, item in enumerate(items):
        now = at(start + index * 0.1)
        if isinstance(item, Presence):
            events.extend(types(engine.apply_presence(item, now)))
        else:
            events.extend(types(engine.apply_telephony(item, now)))
    return events


# --------------------------------------------------------------------------- official samples


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def test_sample_presence_with_sip_hold_and_ringing() -> None:
    engine = CallStateEngine()
    update = engine.apply_notification(
        parse_notification(load("detailed-extension-presence-with-sip.json")), at(0)
    )
    assert update.changed == frozenset({"297277020"})
    assert [(e.type, e.direction, e.to_name) for e in update.events] == [
        ("on_hold", "outbound", "Alice Smith"),
        ("ringing", "inbound", "Bob Brown"),
    ]
    state = engine.state("297277020")
    # The sample's own aggregate for {OnHold, Ringing} is OnHold: the documented precedence agrees.
    assert state.telephony_status == "on_hold"
    assert [(c.status, c.queue_call) for c in state.calls] == [("on_hold", True), ("ringing", False)]
    assert (state.presence_status, state.user_status, state.dnd_status) == (
        "busy",
        "available",
        "take_all_calls",
    )
    assert state.on_call is True


def test_sample_presence_connected_with_nocall_entry() -> None:
    engine = CallStateEngine()
    update = engine.apply_notification(parse_notification(load("detailed-extension-presence.json")), at(0))
    assert types(update) == ["answered"]  # the NoCall entry is not a call the user is on
    state = engine.state("6610372004")
    assert state.telephony_status == "call_connected"
    assert [(c.party_id, c.status, c.from_name) for c in state.calls] == [
        ("cs171843418296416309-2", "call_connected", "John Wang")
    ]


def test_seed_presence_example_rings() -> None:
    engine = CallStateEngine()
    update = engine.apply_notification(parse_notification(load("seed-presence-ringing.json")), at(0))
    (event,) = update.events
    assert event.as_dict() == {
        "type": "ringing",
        "extension_id": "400144455008",
        "telephony_session_id": "Y3MxNjk4ODA5MTYxMzUyOTU5OUAxMC4zMi40NS44NA",
        "party_id": "cs171843418296416309-2",
        "direction": "inbound",
        "from": "103",
        "from_name": "TheCat Jerry",
        "to": "102",
        "to_name": "Tom Sawyer",
        "reason": None,
        "duration": None,
    }
    assert engine.state("400144455008").telephony_status == "ringing"


@pytest.mark.parametrize("name", ["extension-telephony-sessions.json", "account-telephony-sessions.json"])
def test_sample_telephony_alone_rings(name: str) -> None:
    engine = CallStateEngine()
    engine.set_monitored(None, presence=[])
    update = engine.apply_notification(parse_notification(load(name)), at(0))
    assert [(e.type, e.from_number, e.from_name, e.to_name) for e in update.events] == [
        ("ringing", "103", "TheCat Jerry", "Tom Sawyer")
    ]
    assert engine.state("400144455008").telephony_status == "ringing"


def test_sample_telephony_in_order_leads_with_presence_subscribed() -> None:
    engine = CallStateEngine(settle_seconds=3)
    update = engine.apply_notification(parse_notification(load("extension-telephony-sessions.json")), at(0))
    assert types(update) == ["ringing"]  # the first of its stream: in order, so it applies at once
    assert engine.next_deadline() is None


def test_sample_telephony_out_of_order_waits_for_presence_then_takes_over() -> None:
    engine = CallStateEngine(settle_seconds=3)
    raw = load("extension-telephony-sessions.json")["pn_apns"]  # sequence 5
    # #3: a status the engine does not know, on another session: it only starts the stream.
    party = {**raw["body"]["parties"][0], "status": {"code": "Unknown"}}
    first = {**raw["body"], "sequence": 3, "telephonySessionId": "other", "parties": [party]}
    assert (
        engine.apply_notification(parse_notification({**raw, "uuid": "a", "body": first}), at(0)).events == ()
    )
    later = parse_notification(raw)  # #4 is missing
    update = engine.apply_notification(later, at(0))
    assert update.events == ()  # after a gap, presence leads where it is subscribed
    assert engine.next_deadline() == at(3)
    assert types(engine.tick(at(2.9))) == []
    assert types(engine.tick(at(3))) == ["ringing"]


def test_duplicate_uuid_ignored() -> None:
    engine = CallStateEngine()
    note = parse_notification(load("seed-presence-ringing.json"))
    assert types(engine.apply_notification(note, at(0))) == ["ringing"]
    assert engine.apply_notification(note, at(1)) == EngineUpdate()


def test_unknown_notification_kind_ignored() -> None:
    engine = CallStateEngine()
    note = parse_notification(
        {"uuid": "x", "event": "/restapi/v1.0/account/~/extension/~/message-store", "body": {}}
    )
    assert engine.apply_notification(note, at(0)) == EngineUpdate()


# --------------------------------------------------------------------------- simulator scenarios

ME, OTHER = "me", "other"
SCENARIO_EVENTS: dict[str, list[tuple[str, int, str, str, str | None]]] = {
    "attended_transfer": [
        (ME, 0, "ringing", "inbound", None),
        (ME, 0, "answered", "inbound", None),
        (ME, 0, "on_hold", "inbound", None),
        (ME, 1, "dialing", "outbound", None),
        (OTHER, 0, "ringing", "inbound", None),
        (ME, 1, "answered", "outbound", None),
        (OTHER, 0, "answered", "inbound", None),
        (OTHER, 1, "answered", "inbound", None),  # joined the original call connected: it never rang
        # Telephony reports the join at once; the transferor's calls end when presence agrees.
        (ME, 0, "ended", "inbound", "Gone"),
        (ME, 1, "ended", "outbound", "AttendedTransfer"),
        (OTHER, 0, "ended", "inbound", "Gone"),
        (OTHER, 1, "ended", "inbound", None),
    ],
    "blind_transfer": [
        (ME, 0, "ringing", "inbound", None),
        (ME, 0, "answered", "inbound", None),
        (OTHER, 0, "ringing", "inbound", None),
        (ME, 0, "ended", "inbound", "Gone"),
        (OTHER, 0, "answered", "inbound", None),
        (OTHER, 0, "ended", "inbound", None),
    ],
    "concurrent_calls": [
        (ME, 0, "ringing", "inbound", None),
        (ME, 0, "answered", "inbound", None),
        (ME, 1, "ringing", "inbound", None),
        (ME, 0, "on_hold", "inbound", None),
        (ME, 1, "answered", "inbound", None),
        (ME, 1, "ended", "inbound", None),
        (ME, 0, "resumed", "inbound", None),
        (ME, 0, "ended", "inbound", None),
    ],
    "dnd_change": [],
    "hold_resume": [
        (ME, 0, "ringing", "inbound", None),
        (ME, 0, "answered", "inbound", None),
        (ME, 0, "on_hold", "inbound", None),
        (ME, 0, "resumed", "inbound", None),
        (ME, 0, "ended", "inbound", None),
    ],
    "inbound_answered": [
        (ME, 0, "ringing", "inbound", None),
        (ME, 0, "answered", "inbound", None),
        (ME, 0, "ended", "inbound", None),
    ],
    "inbound_flicker": [
        (ME, 0, "ringing", "inbound", None),
        (ME, 0, "answered", "inbound", None),
        (ME, 0, "ended", "inbound", None),
    ],
    "inbound_missed": [(ME, 0, "ringing", "inbound", None), (ME, 0, "missed", "inbound", "Cancelled")],
    "inbound_voicemail": [
        (ME, 0, "ringing", "inbound", None),
        (ME, 0, "voicemail", "inbound", None),
        (ME, 0, "missed", "inbound", None),
    ],
    "internal_call": [
        (ME, 0, "dialing", "outbound", None),
        (OTHER, 0, "ringing", "inbound", None),
        (ME, 0, "answered", "outbound", None),
        (OTHER, 0, "answered", "inbound", None),
        (ME, 0, "ended", "outbound", None),
        (OTHER, 0, "ended", "inbound", None),
    ],
    "outbound_answered": [
        (ME, 0, "dialing", "outbound", None),
        (ME, 0, "answered", "outbound", None),
        (ME, 0, "ended", "outbound", None),
    ],
    "outbound_unanswered": [(ME, 0, "dialing", "outbound", None), (ME, 0, "ended", "outbound", "NoAnswer")],
    "park_pickup": [
        (ME, 0, "ringing", "inbound", None),
        (ME, 0, "answered", "inbound", None),
        (ME, 0, "parked", "inbound", None),
        (OTHER, 0, "answered", "inbound", None),
        (ME, 0, "ended", "inbound", "Pickup"),
        (OTHER, 0, "ended", "inbound", None),
    ],
    "presence_change": [],
    "queue_call": [
        (ME, 0, "ringing", "inbound", None),
        (OTHER, 0, "ringing", "inbound", None),
        (ME, 0, "answered", "inbound", None),
        # Another agent answered: RingCentral's missedCall false makes this "ended", reason Pickup.
        (OTHER, 0, "ended", "inbound", "Pickup"),
        (ME, 0, "ended", "inbound", None),
    ],
}


def test_every_scenario_has_a_table() -> None:
    assert sorted(SCENARIO_EVENTS) == sorted(SCENARIOS)


@pytest.mark.parametrize("scenario", sorted(SCENARIO_EVENTS))
def test_scenario_events_in_order(scenario: str) -> None:
    recording = record(scenario)
    engine = new_engine(recording, "both")
    _, now = feed(engine, recording.prologue)
    events, _ = feed(engine, recording.inputs, start=now)
    roles = {recording.extension_ids[0]: ME, recording.extension_ids[1]: OTHER}
    calls: dict[tuple[str, str, str], int] = {}
    got = []
    for event in events:
        key = (event.extension_id, event.telephony_session_id, event.party_id)
        if key not in calls:
            calls[key] = sum(1 for other in calls if other[0] == event.extension_id)
        got.append((roles[event.extension_id], calls[key], event.type, event.direction, event.reason))
    assert got == SCENARIO_EVENTS[scenario]
    assert all(e.duration is not None for e in events if e.type in ("missed", "ended"))
    assert all(e.duration is None for e in events if e.type not in ("missed", "ended"))
    assert state_mismatches(engine, recording, "both") == []


@pytest.mark.parametrize("source", ["both", "presence", "telephony"])
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_scenario_state_at_every_step(scenario: str, source: Source) -> None:
    """After each step of each scenario, the state equals the simulator's ground truth (as shown)."""
    steps = record(scenario).steps
    for cut in range(steps + 1):
        recording = record(scenario, cut)
        engine = new_engine(recording, source)
        _, now = feed(engine, recording.prologue_for(source))
        feed(engine, recording.only(source), start=now)
        assert state_mismatches(engine, recording, source) == [], (scenario, cut)


@pytest.mark.parametrize(
    ("scenario", "source", "expected"),
    [
        # Presence alone cannot see voicemail, nor RingCentral's missedCall.
        ("inbound_voicemail", "presence", {ME: [["ringing", "missed"]]}),
        ("queue_call", "presence", {ME: [["ringing", "answered", "ended"]], OTHER: [["ringing", "missed"]]}),
        ("inbound_voicemail", "telephony", {ME: [["ringing", "voicemail", "missed"]]}),
        ("hold_resume", "telephony", {ME: [["ringing", "answered", "on_hold", "resumed", "ended"]]}),
        ("hold_resume", "presence", {ME: [["ringing", "answered", "on_hold", "resumed", "ended"]]}),
    ],
)
def test_one_source_alone(scenario: str, source: Source, expected: dict[str, list[list[str]]]) -> None:
    recording = record(scenario)
    engine = new_engine(recording, source)
    _, now = feed(engine, recording.prologue_for(source))
    events, _ = feed(engine, recording.only(source), start=now)
    roles = {recording.extension_ids[0]: ME, recording.extension_ids[1]: OTHER}
    got: dict[str, list[list[str]]] = {}
    for (ext_id, _, _), call_events in per_call(events).items():
        got.setdefault(roles[ext_id], []).append(call_events)
    assert got == expected


# --------------------------------------------------------------------------- ordering and idempotence


def test_presence_duplicates_and_stale_sequences_ignored() -> None:
    engine = engine_for(telephony_source=False)
    assert run(engine, presence(1, entry("Ringing")), presence(2, entry("CallConnected"))) == [
        "ringing",
        "answered",
    ]
    assert engine.apply_presence(presence(2, entry("CallConnected")), at(1)) == EngineUpdate()
    assert engine.apply_presence(presence(1, entry("Ringing")), at(1)) == EngineUpdate()
    assert engine.state(EXT).telephony_status == "call_connected"


def test_presence_gap_waits_then_fills_in_order() -> None:
    engine = engine_for(telephony_source=False)
    run(engine, presence(1))
    assert run(engine, presence(3, entry("CallConnected")), start=1) == []  # waits for #2
    assert engine.state(EXT).calls == ()
    assert run(engine, presence(2, entry("Ringing")), start=2) == ["ringing", "answered"]


def test_presence_gap_given_up_after_settle() -> None:
    engine = engine_for(telephony_source=False, settle=3)
    run(engine, presence(1, entry("Ringing")))
    assert run(engine, presence(3, entry("OnHold")), start=1) == []
    assert engine.next_deadline() == at(4)
    update = engine.tick(at(4))
    assert types(update) == ["answered", "on_hold"]  # implied by ringing -> hold, in order
    assert update.changed == frozenset({EXT})
    # The stream now takes the newest and drops older ones.
    assert run(engine, presence(5, entry("CallConnected")), start=5) == ["resumed"]
    assert run(engine, presence(4, entry("OnHold")), start=6) == []


def test_late_proceeding_after_answered_fires_nothing() -> None:
    engine = engine_for(presence_source=False)
    assert run(engine, telephony(2, "Answered"), telephony(1, "Proceeding")) == ["answered"]
    assert run(engine, telephony(3, "Disconnected"), start=1) == ["ended"]


def test_hold_resume_pairs_follow_sequence() -> None:
    engine = engine_for(presence_source=False)
    codes = ["Proceeding", "Answered", "Hold", "Answered", "Hold", "Answered", "Disconnected"]
    events = run(engine, *(telephony(seq, code) for seq, code in enumerate(codes, 1)))
    assert events == ["ringing", "answered", "on_hold", "resumed", "on_hold", "resumed", "ended"]


def test_telephony_party_sequence_per_party() -> None:
    engine = engine_for(presence_source=False)
    events = run(
        engine,
        telephony(5, "Proceeding", party="a"),
        telephony(1, "Proceeding", party="b"),  # another party's numbering: not stale
        telephony(6, "Answered", party="a"),
    )
    assert events == ["ringing", "ringing", "answered"]


def test_late_events_cannot_revive_an_ended_call() -> None:
    engine = engine_for(presence_source=False)
    run(engine, telephony(1, "Proceeding"), telephony(2, "Disconnected", reason="Cancelled", missedCall=True))
    assert run(engine, telephony(1, "Proceeding"), telephony(2, "Answered"), start=1) == []
    assert engine.state(EXT).calls == ()


def test_ended_memory_is_bounded() -> None:
    engine = engine_for(presence_source=False)
    for n in range(20):
        run(
            engine,
            telephony(1, "Proceeding", party=f"p{n}"),
            telephony(2, "Disconnected", party=f"p{n}"),
            start=n,
        )
    # The most recent 16 are remembered...
    assert run(engine, telephony(1, "Proceeding", party="p19"), start=30) == []
    # ...the oldest were forgotten (that is the bound).
    assert run(engine, telephony(1, "Proceeding", party="p0"), start=31) == ["ringing"]


# --------------------------------------------------------------------------- terminals


def test_missed_follows_missed_call_flag() -> None:
    engine = engine_for(presence_source=False)
    events = run(
        engine, telephony(1, "Proceeding"), telephony(2, "Disconnected", reason="Pickup", missedCall=False)
    )
    assert events == ["ringing", "ended"]


def test_missed_without_flag_means_never_answered_inbound() -> None:
    engine = engine_for(presence_source=False)
    assert run(engine, telephony(1, "Proceeding"), telephony(2, "Disconnected")) == ["ringing", "missed"]
    engine = engine_for(presence_source=False)
    outbound = [
        telephony(1, "Setup", direction="Outbound"),
        telephony(2, "Disconnected", direction="Outbound"),
    ]
    assert run(engine, *outbound) == ["dialing", "ended"]


def test_gone_ends_with_reason() -> None:
    engine = engine_for(presence_source=False)
    run(engine, telephony(1, "Proceeding"), telephony(2, "Answered"))
    update = engine.apply_telephony(
        telephony(3, "Gone", peerId={"telephonySessionId": "s-2", "partyId": "p-9"}), at(10)
    )
    (event,) = update.events
    assert (event.type, event.reason) == ("ended", "Gone")
    engine = engine_for(presence_source=False)
    run(engine, telephony(1, "Answered"))
    (event,) = engine.apply_telephony(telephony(2, "Gone", reason="BlindTransfer"), at(1)).events
    assert event.reason == "BlindTransfer"


def test_terminal_waits_for_every_subscribed_source() -> None:
    engine = engine_for()
    assert run(engine, presence(1, entry("Ringing")), telephony(1, "Proceeding")) == ["ringing"]
    assert run(engine, telephony(2, "Disconnected", reason="Cancelled", missedCall=True), start=1) == []
    assert engine.state(EXT).calls == ()  # over as far as telephony knows: no longer shown
    update = engine.apply_presence(presence(2, entry("NoCall", terminationType="final")), at(2))
    (event,) = update.events
    assert (event.type, event.reason) == ("missed", "Cancelled")


def test_terminal_settles_when_one_source_stays_silent() -> None:
    engine = engine_for(settle=3)
    run(engine, presence(1, entry("Ringing")), telephony(1, "Proceeding"))
    assert run(engine, telephony(2, "Disconnected", missedCall=True), start=1) == []
    assert engine.next_deadline() == at(4)
    assert types(engine.tick(at(4))) == ["missed"]


def test_duration_from_ringcentral_times() -> None:
    engine = engine_for(presence_source=False)
    engine.apply_telephony(telephony(1, "Proceeding", event_time="2024-05-01T12:00:00Z"), at(0))
    engine.apply_telephony(telephony(2, "Answered", event_time="2024-05-01T12:00:05Z"), at(5))
    ended = telephony(3, "Disconnected", event_time="2024-05-01T12:01:05Z")
    (event,) = engine.apply_telephony(ended, at(99)).events
    assert event.duration == 65.0


def test_duration_from_engine_clock_without_telephony() -> None:
    engine = engine_for(telephony_source=False)
    engine.apply_presence(presence(1, entry("CallConnected")), at(10))
    update = engine.apply_presence(presence(2, entry("NoCall", terminationType="final")), at(52.5))
    assert [(e.type, e.duration) for e in update.events] == [("ended", 42.5)]


# --------------------------------------------------------------------------- the flicker


def test_flicker_with_intermediate_marker_fires_nothing() -> None:
    engine = engine_for(telephony_source=False)
    events = run(
        engine,
        presence(1, entry("Ringing")),
        presence(2, entry("NoCall", terminationType="intermediate")),
    )
    assert events == ["ringing"]
    assert engine.state(EXT).calls == ()  # shown as RingCentral shows it
    assert engine.next_deadline() is None  # and not an end
    assert run(engine, presence(3, entry("Ringing")), start=1) == []
    assert engine.state(EXT).telephony_status == "ringing"


def test_flicker_missing_once_is_not_an_end() -> None:
    engine = engine_for(telephony_source=False)
    assert run(engine, presence(1, entry("Ringing")), presence(2), presence(3, entry("Ringing"))) == [
        "ringing"
    ]
    assert engine.next_deadline() is None


def test_missing_twice_ends_a_presence_only_call() -> None:
    engine = engine_for(telephony_source=False)
    assert run(engine, presence(1, entry("Ringing")), presence(2), presence(3)) == ["ringing", "missed"]


def test_missing_once_ends_after_settle() -> None:
    engine = engine_for(telephony_source=False, settle=3)
    run(engine, presence(1, entry("Ringing")), presence(2))
    assert types(engine.tick(at(3.05))) == []
    assert types(engine.tick(at(3.1))) == ["missed"]


def test_telephony_alive_outweighs_presence_missing() -> None:
    engine = engine_for(settle=3)
    run(engine, presence(1, entry("Ringing")), telephony(1, "Proceeding"), presence(2), presence(3))
    assert types(engine.tick(at(60))) == []
    assert run(engine, presence(4, entry("CallConnected")), start=61) == ["answered"]


def test_calls_beyond_the_list_cap_are_not_ended() -> None:
    engine = engine_for(telephony_source=False)
    calls = [entry("CallConnected", tsid=f"s-{n}") for n in range(8)]
    run(engine, presence(1, *calls))
    # The oldest dropped off the (latest 7) list, but RingCentral still counts 8 calls.
    assert (
        run(engine, presence(2, *calls[1:], totalActiveCalls=8), presence(3, *calls[1:], totalActiveCalls=8))
        == []
    )
    assert len(engine.state(EXT).calls) == 8


def test_intermediate_legs_are_not_calls() -> None:
    engine = engine_for(telephony_source=False)
    assert run(engine, presence(1, entry("Ringing", terminationType="intermediate"))) == []
    assert engine.state(EXT).calls == ()


# --------------------------------------------------------------------------- state


def test_calls_ordered_by_start_time_and_aggregate_precedence() -> None:
    engine = engine_for(telephony_source=False)
    late = entry("Ringing", tsid="s-late", startTime="2024-05-01T12:00:09Z")
    early = entry("OnHold", tsid="s-early", startTime="2024-05-01T12:00:01Z")
    run(engine, presence(1, late, early))
    state = engine.state(EXT)
    assert [c.telephony_session_id for c in state.calls] == ["s-early", "s-late"]
    assert state.telephony_status == "on_hold"  # on_hold > ringing
    run(engine, presence(2, late, early, entry("ParkedCall", tsid="s-park")), start=1)
    assert engine.state(EXT).telephony_status == "on_hold"  # ringing > parked_call
    run(engine, presence(3, entry("CallConnected", tsid="s-late"), early), start=2)
    state = engine.state(EXT)
    assert state.telephony_status == "call_connected"
    assert state.on_call is True


def test_non_detailed_presence_gives_aggregate() -> None:
    engine = engine_for(telephony_source=False)
    engine.apply_presence(
        parse_presence({"extensionId": EXT, "telephonyStatus": "Ringing", "sequence": 1}), at(0)
    )
    state = engine.state(EXT)
    assert (state.telephony_status, state.calls) == ("ringing", ())


def test_user_and_dnd_status() -> None:
    engine = engine_for(telephony_source=False)
    update = engine.apply_presence(presence(1, userStatus="Busy", dndStatus="DoNotAcceptAnyCalls"), at(0))
    assert update.changed == frozenset({EXT})
    assert update.events == ()
    state = engine.state(EXT)
    assert (state.user_status, state.dnd_status, state.telephony_status) == (
        "busy",
        "do_not_accept_any_calls",
        "no_call",
    )
    assert (
        engine.apply_presence(presence(2, userStatus="Busy", dndStatus="DoNotAcceptAnyCalls"), at(1)).changed
        == frozenset()
    )


def test_unknown_extension_state_is_empty() -> None:
    assert CallStateEngine().state("999") == ExtensionState("999")


def test_unmonitored_extensions_ignored_and_forgotten() -> None:
    engine = engine_for(telephony_source=False)
    assert engine.apply_presence(presence(1, entry("Ringing"), ext="555"), at(0)) == EngineUpdate()
    run(engine, presence(1, entry("Ringing")))
    assert engine.extension_ids() == [EXT]
    engine.set_monitored(["102"])
    assert engine.extension_ids() == []
    engine.set_monitored(None)
    run(engine, presence(1, entry("Ringing")))
    engine.forget(EXT)
    assert engine.state(EXT) == ExtensionState(EXT)


def test_call_event_as_dict_keys() -> None:
    event = CallEvent("ended", "1", "s", "p", "inbound", "+1", "A", "+2", "B", "Cancelled", 12.5)
    assert list(event.as_dict()) == [
        "type",
        "extension_id",
        "telephony_session_id",
        "party_id",
        "direction",
        "from",
        "from_name",
        "to",
        "to_name",
        "reason",
        "duration",
    ]


def test_negative_settle_rejected() -> None:
    with pytest.raises(ValueError, match="settle_seconds"):
        CallStateEngine(settle_seconds=-1)


# --------------------------------------------------------------------------- snapshots


def rest_presence(*calls: dict[str, Any], ext: str = EXT, **fields: Any) -> Presence:
    return presence(None, *calls, ext=ext, **fields)


def test_first_snapshot_is_a_silent_baseline() -> None:
    engine = engine_for()
    token = engine.begin_snapshot()
    update = engine.apply_snapshot(token, {EXT: rest_presence(entry("CallConnected"))}, {}, at(0))
    assert update.events == ()
    assert update.changed == frozenset({EXT})
    assert engine.state(EXT).telephony_status == "call_connected"
    # The call still ends with its one terminal event.
    run(engine, presence(1), telephony(5, "Disconnected"), start=1)
    assert engine.state(EXT).calls == ()


def test_snapshot_fires_what_was_missed_and_ends_what_is_gone() -> None:
    engine = engine_for()
    run(engine, presence(1, entry("Ringing"), entry("Ringing", tsid="s-2")))
    token = engine.begin_snapshot()
    update = engine.apply_snapshot(
        token,
        {EXT: rest_presence(entry("OnHold"), entry("Ringing", tsid="s-3"))},
        {"s-2": None},
        at(5),
    )
    assert [(e.telephony_session_id, e.type) for e in update.events] == [
        (TSID, "answered"),
        (TSID, "on_hold"),
        ("s-3", "ringing"),
        ("s-2", "missed"),
    ]
    assert [c.telephony_session_id for c in engine.state(EXT).calls] == [TSID, "s-3"]


def test_snapshot_does_not_regress_pushes_after_begin() -> None:
    engine = engine_for(telephony_source=False)
    run(engine, presence(1, entry("Ringing")))
    token = engine.begin_snapshot()
    # While the REST request is in flight the call is answered and the user goes Busy.
    run(engine, presence(2, entry("CallConnected"), userStatus="Busy"), start=1)
    update = engine.apply_snapshot(token, {EXT: rest_presence(entry("Ringing"))}, {}, at(2))
    assert update.events == ()
    state = engine.state(EXT)
    assert (state.telephony_status, state.user_status) == ("call_connected", "busy")


def test_snapshot_ends_a_call_a_push_during_it_only_left_out() -> None:
    """The hang-up's notifications were lost; while the snapshot is read, a presence push (a user
    status change) leaves the call out. Leaving out asserts nothing: REST presence and the 404 end it."""
    engine = engine_for()
    run(engine, presence(1, entry("Ringing")), telephony(1, "Proceeding"))
    run(engine, presence(2, entry("CallConnected")), telephony(2, "Answered"), start=1)
    token = engine.begin_snapshot()
    run(engine, presence(4, userStatus="Busy"), start=2)  # #3 (the hang-up) was lost
    update = engine.apply_snapshot(token, {EXT: rest_presence()}, {TSID: None}, at(3))
    assert types(update) + types(engine.tick(at(10))) == ["ended"]
    assert engine.state(EXT).calls == ()


def test_snapshot_keeps_call_telephony_says_alive() -> None:
    engine = engine_for(settle=3)
    run(engine, presence(1, entry("Ringing")), telephony(1, "Proceeding"))
    token = engine.begin_snapshot()
    session = parse_telephony_session(
        {
            "id": TSID,
            "parties": [{"id": PARTY, "status": {"code": "VoiceMail"}, "owner": {"extensionId": EXT}}],
        }
    )
    update = engine.apply_snapshot(token, {EXT: rest_presence()}, {TSID: session}, at(1))
    assert types(update) == ["voicemail"]
    assert engine.state(EXT).calls == ()
    assert types(engine.tick(at(4))) == ["missed"]  # presence is done with it; settle bounds the wait


def test_snapshot_after_loss_jumps_the_presence_gap() -> None:
    engine = engine_for(telephony_source=False)
    run(engine, presence(1))
    assert run(engine, presence(9, entry("Ringing")), start=1) == []  # #2..#8 were lost
    token = engine.begin_snapshot()
    engine.apply_snapshot(token, {EXT: rest_presence()}, {}, at(2))
    assert run(engine, presence(10, entry("Ringing")), start=3) == ["ringing"]


def test_snapshot_sessions_for_telephony_only_extensions() -> None:
    engine = engine_for(presence_source=False)
    run(engine, telephony(1, "Proceeding"), telephony(1, "Answered", tsid="s-2"))
    token = engine.begin_snapshot()
    alive = parse_telephony_session(
        {"id": "s-2", "parties": [{"id": PARTY, "status": {"code": "Hold"}, "owner": {"extensionId": EXT}}]}
    )
    new = parse_telephony_session(
        {
            "id": "s-3",
            "parties": [
                {
                    "id": "p-3",
                    "direction": "Outbound",
                    "status": {"code": "Setup"},
                    "owner": {"extensionId": EXT},
                }
            ],
        }
    )
    update = engine.apply_snapshot(token, {}, {TSID: None, "s-2": alive, "s-3": new}, at(1))
    assert [(e.telephony_session_id, e.type) for e in update.events] == [
        (TSID, "missed"),
        ("s-2", "on_hold"),
        ("s-3", "dialing"),
    ]
    assert {(c.telephony_session_id, c.status) for c in engine.state(EXT).calls} == {
        ("s-2", "on_hold"),
        ("s-3", "ringing"),
    }


# --------------------------------------------------------------------------- regressions (HA end-to-end)


def statuses_while_feeding(scenario: str, source: Source, *, skip: frozenset[int] = frozenset()) -> list[str]:
    """The extension's telephony status after each input of `scenario` (repeats collapsed)."""
    recording = record(scenario)
    engine = new_engine(recording, source)
    _, now = feed(engine, recording.prologue_for(source))
    me = recording.extension_ids[0]
    shown = [engine.state(me).telephony_status or "no_call"]
    for item in recording.only(source):
        if item.index in skip:
            continue
        now = feed(engine, [item], start=now)[1]
        status = engine.state(me).telephony_status or "no_call"
        if status != shown[-1]:
            shown.append(status)
    return shown


def test_telephony_in_order_applies_at_once_while_presence_is_subscribed() -> None:
    """Telephony used to lag one notification behind presence: now an in-order one applies at once."""
    engine = engine_for()
    assert run(engine, telephony(1, "Proceeding")) == ["ringing"]
    assert engine.state(EXT).telephony_status == "ringing"
    assert run(engine, telephony(2, "Answered"), start=1) == ["answered"]
    assert engine.state(EXT).telephony_status == "call_connected"
    # Presence confirms what telephony already showed: nothing fires twice.
    assert run(engine, presence(1, entry("Ringing")), presence(2, entry("CallConnected")), start=2) == []
    assert engine.state(EXT).telephony_status == "call_connected"


def test_telephony_after_a_gap_waits_for_presence() -> None:
    """Out of order (a gap in the extension's numbering), telephony cannot be trusted to lead."""
    engine = engine_for()
    run(engine, telephony(1, "Proceeding"), presence(1, entry("Ringing")))
    assert run(engine, telephony(3, "Hold"), start=1) == []  # #2 is missing
    assert run(engine, presence(2, entry("CallConnected")), presence(3, entry("OnHold")), start=2) == [
        "answered",
        "on_hold",
    ]


@pytest.mark.parametrize("source", ["both", "telephony"])
def test_flicker_scenario_never_flickers_the_state(source: Source) -> None:
    """Presence's intermediate NoCall while telephony still rings: the sensor keeps showing ringing."""
    assert statuses_while_feeding("inbound_flicker", source) == [
        "no_call",
        "ringing",
        "call_connected",
        "no_call",
    ]


def test_flicker_hidden_only_without_telephony() -> None:
    """An intermediate NoCall hides the call only when telephony does not vouch for it."""
    engine = engine_for()
    run(engine, telephony(1, "Proceeding"), presence(1, entry("Ringing")))
    run(engine, presence(2, entry("NoCall", terminationType="intermediate")), start=1)
    assert [c.status for c in engine.state(EXT).calls] == ["ringing"]
    assert engine.next_deadline() is None  # not an end either


def test_presence_final_ends_the_call_when_telephony_end_is_lost() -> None:
    """Presence's NoCall (final) with telephony's Disconnected lost: the call still ends, once."""
    engine = engine_for(settle=3)
    run(engine, presence(1, entry("Ringing")), telephony(1, "Proceeding"))
    run(engine, telephony(2, "Answered"), presence(2, entry("CallConnected")), start=1)
    assert run(engine, presence(3, entry("NoCall", terminationType="final")), start=10) == []
    assert engine.state(EXT).telephony_status == "no_call"
    assert engine.next_deadline() == at(13)
    (event,) = engine.tick(at(13)).events
    assert (event.type, event.telephony_session_id) == ("ended", TSID)
    assert engine.next_deadline() is None
    assert run(engine, telephony(2, "Answered"), start=20) == []  # late news cannot revive it


def test_scenario_with_lost_telephony_hang_up_settles() -> None:
    """inbound_answered with the hang-up's telephony notification dropped ends after the settle time."""
    recording = record("inbound_answered")
    me = recording.extension_ids[0]
    hang_up = [
        i.index
        for i in recording.inputs
        if i.kind == "telephony"
        and i.extension_id == me
        and isinstance(i.payload, TelephonySessionEvent)
        and any(p.status is not None and p.status.code == "Disconnected" for p in i.payload.parties)
    ]
    assert len(hang_up) == 1
    engine = new_engine(recording, "both", settle_seconds=3)
    _, now = feed(engine, recording.prologue)
    events, now = feed(engine, [i for i in recording.inputs if i.index not in hang_up], start=now)
    assert [e.type for e in events] == ["ringing", "answered"]
    deadline = engine.next_deadline()
    assert deadline is not None
    events.extend(engine.tick(deadline).events)
    assert [e.type for e in events] == ["ringing", "answered", "ended"]
    assert state_mismatches(engine, recording, "both") == []


def test_tracked_sessions_include_calls_presence_hides() -> None:
    engine = engine_for()
    run(engine, presence(1, entry("Ringing"), entry("Ringing", tsid="s-2")), telephony(1, "Proceeding"))
    run(engine, presence(2, entry("NoCall", terminationType="intermediate"), entry("Ringing", tsid="s-2")))
    assert [c.telephony_session_id for c in engine.state(EXT).calls] == [TSID, "s-2"]
    assert engine.tracked_sessions() == {TSID, "s-2"}
    run(engine, presence(3), telephony(2, "Disconnected"), start=1)
    assert engine.tracked_sessions() == {"s-2"}
