"""CallStateEngine end to end: the official samples, the seed's example and every simulator scenario
(the rules each unit implements have their own modules: test_engine_<unit>.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from custom_components.ringcentral.aioringcentral.engine import (
    CallEvent,
    CallStateEngine,
    EngineUpdate,
    ExtensionState,
)
from custom_components.ringcentral.aioringcentral.models import parse_notification
from rcsim.scenarios import SCENARIOS

from .engine_harness import Source, feed, new_engine, per_call, record, state_mismatches
from .engine_inputs import EXT, TSID, at, engine_for, entry, presence, run, telephony, types

FIXTURES = Path(__file__).parent / "fixtures"


# --------------------------------------------------------------------------- regressions (HA end-to-end)


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


# --------------------------------------------------------------------------- regressions (HA end-to-end)


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


def test_tracked_sessions_include_calls_presence_hides() -> None:
    engine = engine_for()
    run(engine, presence(1, entry("Ringing"), entry("Ringing", tsid="s-2")), telephony(1, "Proceeding"))
    run(engine, presence(2, entry("NoCall", terminationType="intermediate"), entry("Ringing", tsid="s-2")))
    assert [c.telephony_session_id for c in engine.state(EXT).calls] == [TSID, "s-2"]
    assert engine.tracked_sessions() == {TSID, "s-2"}
    run(engine, presence(3), telephony(2, "Disconnected"), start=1)
    assert engine.tracked_sessions() == {"s-2"}
