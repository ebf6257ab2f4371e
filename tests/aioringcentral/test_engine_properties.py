"""Property tests: the engine under reordered, duplicated and dropped notifications from every scenario.

Each scenario is recorded once from the simulator (step mode), optionally cut after some steps so
calls are still in progress. Hypothesis then shuffles, duplicates or drops its notifications.
`settle_seconds` is large so that reordering stays within the time the engine waits for a gap,
which is the situation the guarantees are about (giving up on a gap is tested in test_engine_ordering.py).
"""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custom_components.ringcentral.aioringcentral.engine import CallEvent
from custom_components.ringcentral.aioringcentral.models import TelephonySessionEvent
from rcsim.scenarios import SCENARIOS

from .engine_harness import (
    CallId,
    Input,
    Recording,
    Source,
    feed,
    new_engine,
    per_call,
    record,
    scenario_steps,
    state_mismatches,
)

SCENARIO_NAMES = sorted(SCENARIOS)
TERMINAL = ("missed", "ended")
PATIENT = 3600.0
# ENGINE_PROPERTY_EXAMPLES raises the example count for a deeper local run.
PROPERTY_SETTINGS = settings(
    max_examples=int(os.environ.get("ENGINE_PROPERTY_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    database=None,
)


def in_order(
    recording: Recording, source: Source, *, settle: bool = False
) -> dict[CallId, list[tuple[str, str | None]]]:
    """Events per call when every notification arrives once, in order (and, if `settle`, time passes)."""
    engine = new_engine(recording, source, settle_seconds=PATIENT)
    _, now = feed(engine, recording.prologue_for(source))
    events, now = feed(engine, recording.only(source), start=now)
    if settle:
        events.extend(engine.tick(now + timedelta(seconds=PATIENT)).events)
    return typed_with_reason(events)


def typed_with_reason(events: list[CallEvent]) -> dict[CallId, list[tuple[str, str | None]]]:
    calls: dict[CallId, list[tuple[str, str | None]]] = {}
    for event in events:
        key = (event.extension_id, event.telephony_session_id, event.party_id)
        calls.setdefault(key, []).append((event.type, event.reason))
    return calls


@st.composite
def shuffled(draw: st.DrawFn, inputs: tuple[Input, ...], *, duplicates: bool = True) -> list[Input]:
    """A permutation of `inputs`, with some of them delivered twice."""
    order = list(draw(st.permutations(inputs)))
    if duplicates and inputs:
        for _ in range(draw(st.integers(0, 4))):
            copy = draw(st.sampled_from(inputs))
            order.insert(draw(st.integers(0, len(order))), copy)
    return order


def recording_for(data: st.DataObject, scenario: str) -> Recording:
    cut = data.draw(st.one_of(st.none(), st.integers(1, scenario_steps(scenario))), label="cut")
    return record(scenario, cut)


def is_subsequence(part: list[str], whole: list[str]) -> bool:
    remaining = iter(whole)
    return all(item in remaining for item in part)


@pytest.mark.parametrize("source", ["both", "presence"])
@pytest.mark.parametrize("scenario", SCENARIO_NAMES)
@PROPERTY_SETTINGS
@given(data=st.data())
def test_reordered_and_duplicated_match_in_order(scenario: str, source: Source, data: st.DataObject) -> None:
    """Any interleaving with duplicates: ground-truth state and each call's in-order event sequence."""
    recording = recording_for(data, scenario)
    expected = in_order(recording, source)
    engine = new_engine(recording, source, settle_seconds=PATIENT)
    _, now = feed(engine, recording.prologue_for(source))
    order = data.draw(shuffled(recording.only(source)), label="order")
    events, _ = feed(engine, order, start=now)
    assert state_mismatches(engine, recording, source) == []
    assert typed_with_reason(events) == expected


@pytest.mark.parametrize("scenario", SCENARIO_NAMES)
@PROPERTY_SETTINGS
@given(data=st.data())
def test_telephony_only_reordered_never_backwards(scenario: str, data: st.DataObject) -> None:
    """Telephony alone cannot restore order, but never fires backwards or twice, and ends every call."""
    recording = recording_for(data, scenario)
    expected = per_call_types(in_order(recording, "telephony"))
    engine = new_engine(recording, "telephony", settle_seconds=PATIENT)
    _, now = feed(engine, recording.prologue_for("telephony"))
    order = data.draw(shuffled(recording.only("telephony")), label="order")
    events, _ = feed(engine, order, start=now)
    assert state_mismatches(engine, recording, "telephony") == []
    assert_no_false_events(per_call(events), expected, recording)


def per_call_types(calls: dict[CallId, list[tuple[str, str | None]]]) -> dict[CallId, list[str]]:
    return {key: [t for t, _ in events] for key, events in calls.items()}


def assert_no_false_events(
    got: dict[CallId, list[str]],
    expected: dict[CallId, list[str]],
    recording: Recording,
    lost_terminals: frozenset[CallId] = frozenset(),
) -> None:
    """Each call's events are an in-order subsequence; one terminal, last, for calls that ended.

    The terminal's type may differ only when the telephony notification that ended the call (and
    carried RingCentral's `missedCall`) was lost: then an inbound call this party was not seen
    answering ends as `missed`.
    """
    active = {
        (ext_id, call["telephonySessionId"], call["partyId"])
        for ext_id, truth in recording.shown.items()
        for call in truth["activeCalls"]  # type: ignore[attr-defined]
    }
    for key, events in got.items():
        assert key in expected, f"events for a call the in-order run never showed: {key} {events}"
        want = expected[key]
        body = [e for e in events if e not in TERMINAL]
        assert is_subsequence(body, [e for e in want if e not in TERMINAL]), (key, events, want)
        terminals = [e for e in events if e in TERMINAL]
        want_terminals = [e for e in want if e in TERMINAL]
        assert len(terminals) == len(want_terminals), (key, events, want)
        assert not (terminals and key in active), (key, events)
        if terminals:
            assert events[-1] == terminals[0], (key, events)
            if terminals != want_terminals:
                assert key in lost_terminals, (key, events, want)
                assert (terminals[0], want_terminals[0]) == ("missed", "ended"), (key, events, want)
                assert "answered" not in events, (key, events, want)


@pytest.mark.parametrize("scenario", SCENARIO_NAMES)
@PROPERTY_SETTINGS
@given(data=st.data())
def test_dropped_then_snapshot_reaches_ground_truth(scenario: str, data: st.DataObject) -> None:
    """Lost notifications, then a REST resync: ground truth, and no false or backward event."""
    recording = recording_for(data, scenario)
    settle = data.draw(st.booleans(), label="give up on gaps before the snapshot")
    # Time passes at the end of both runs: a call whose end only one source reported (one in
    # voicemail, say) then ends too.
    expected = per_call_types(in_order(recording, "both", settle=True))
    engine = new_engine(recording, "both", settle_seconds=PATIENT)
    _, now = feed(engine, recording.prologue)
    kept = [item for item in recording.inputs if data.draw(st.booleans(), label=f"keep {item.label()}")]
    lost_terminals = frozenset(
        (party.extension_id or "", item.payload.telephony_session_id, party.id)
        for item in recording.inputs
        if item not in kept and isinstance(item.payload, TelephonySessionEvent)
        for party in item.payload.parties
        if party.status is not None and party.status.is_("Disconnected", "Gone")
    )
    order = data.draw(shuffled(tuple(kept)), label="order")
    events, now = feed(engine, order, start=now)
    if settle:
        now += timedelta(seconds=PATIENT)
        events.extend(engine.tick(now).events)
    token = engine.begin_snapshot()
    update = engine.apply_snapshot(token, recording.rest_presences, recording.rest_sessions, now)
    events.extend(update.events)
    assert state_mismatches(engine, recording, "both") == []
    events.extend(engine.tick(now + timedelta(seconds=2 * PATIENT)).events)
    got = per_call(events)
    assert_no_false_events(got, expected, recording, lost_terminals)
    # Every call that ended and was shown at all has been ended exactly once.
    ended = [key for key, evs in expected.items() if any(e in TERMINAL for e in evs)]
    for key in ended:
        if key in got:
            assert sum(e in TERMINAL for e in got[key]) == 1, (key, got[key])
