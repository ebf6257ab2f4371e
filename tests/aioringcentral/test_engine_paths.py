"""Property tests: whatever reaches the engine, each call's events are a path of the lifecycle table,
and once the last word of each source has arrived the state is the ground truth.

Hypothesis draws a scenario (cut short or not), a delivery order of its notifications with some
dropped and some duplicated, REST snapshots at any point, one after the other (each reading the
simulator as it was at a moment consistent with what had been delivered when it began: notifications
delivered before a snapshot began were sent before its read; those after may be older or newer), and
a settle time that gives up on gaps mid-run or never. The last word of a source is the last presence
of each extension and the last telephony update of each party.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from custom_components.ringcentral.aioringcentral.engine.lifecycle import is_path
from custom_components.ringcentral.aioringcentral.models import Presence, TelephonySessionEvent
from rcsim.scenarios import SCENARIOS

from .engine_harness import (
    START,
    Input,
    Recording,
    Source,
    feed,
    new_engine,
    per_call,
    record,
    state_mismatches,
)

PATIENT = 3600.0
STEP = 0.1
# ENGINE_PATH_EXAMPLES raises the example count for a deeper local run.
PATH_SETTINGS = settings(
    max_examples=int(os.environ.get("ENGINE_PATH_EXAMPLES", "20")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    database=None,
)


@dataclass(frozen=True)
class Snapshot:
    begin: int  # position in the delivery order at which `begin_snapshot` runs
    apply: int  # position at which `apply_snapshot` runs (>= begin)
    cut: int  # the REST read sees the simulator after this many scenario steps


@dataclass(frozen=True)
class Run:
    recording: Recording
    order: tuple[Input, ...]
    snapshots: tuple[Snapshot, ...]
    settle: float

    def __str__(self) -> str:
        order = " ".join(item.label() for item in self.order)
        head = f"{self.recording.scenario} cut {self.recording.steps}"
        return f"Run({head}: {order}; {self.snapshots}; settle {self.settle})"


def steps_before(scenario: str, cut: int) -> list[int]:
    """For each input of `record(scenario, cut)`, the scenario step that published it (1-based)."""
    step_of: list[int] = []
    for step in range(1, cut + 1):
        step_of += [step] * (len(record(scenario, step).inputs) - len(step_of))
    return step_of


def last_words(recording: Recording) -> set[int]:
    """Indices of the last presence of each extension and the last telephony update of each party."""
    last: dict[tuple[str, ...], int] = {}
    for item in recording.inputs:
        if isinstance(item.payload, Presence):
            last[("presence", item.extension_id)] = item.index
        elif isinstance(item.payload, TelephonySessionEvent):
            for party in item.payload.parties:
                if party.extension_id == item.extension_id:
                    last[("telephony", item.extension_id, party.id)] = item.index
    return set(last.values())


@st.composite
def runs(draw: st.DrawFn, scenario: str, source: Source) -> Run:
    steps = record(scenario).steps
    cut = draw(st.integers(0, steps), label="cut")
    recording = record(scenario, cut)
    inputs = recording.only(source)
    words = last_words(recording)
    keep_last = draw(st.booleans(), label="the last words arrive")
    kept = [
        item
        for item in inputs
        if (keep_last and item.index in words) or draw(st.booleans(), label=f"keep {item.label()}")
    ]
    order = list(draw(st.permutations(kept), label="order"))
    for _ in range(draw(st.integers(0, 3), label="duplicates")):
        if kept:
            copy = draw(st.sampled_from(kept))
            order.insert(draw(st.integers(0, len(order))), copy)
    step_of = steps_before(scenario, cut)
    first = min(item.index for item in recording.inputs) if recording.inputs else 0
    # Snapshots run one after the other (a hub never overlaps resyncs): positions in order, and
    # each read no earlier than the one before.
    count = draw(st.integers(0, 2), label="snapshots")
    positions = sorted(draw(st.lists(st.integers(0, len(order)), min_size=2 * count, max_size=2 * count)))
    snapshots = []
    read = 0
    for number in range(count):
        begin, apply = positions[2 * number], positions[2 * number + 1]
        # The read happens after everything delivered before the snapshot began was sent.
        sent = max((step_of[item.index - first] for item in order[:begin]), default=0)
        read = draw(st.integers(max(sent, read), cut), label="read at step")
        snapshots.append(Snapshot(begin, apply, read))
    settle = draw(st.sampled_from([PATIENT, 0.5]), label="settle seconds")
    return Run(recording, tuple(order), tuple(snapshots), settle)


def play(run: Run, source: Source) -> tuple[list[str], dict[tuple[str, str, str], list[str]], object]:
    """Play the run; the problems found with each call's path, its events, and the engine."""
    recording = run.recording
    engine = new_engine(recording, source, settle_seconds=run.settle)
    _, now = feed(engine, recording.prologue_for(source), start=START)
    events = []
    tokens = {}
    scenario = recording.scenario
    for position in range(len(run.order) + 1):
        for number, snap in enumerate(run.snapshots):
            if snap.begin == position:
                tokens[number] = engine.begin_snapshot()
            if snap.apply == position:
                rest = record(scenario, snap.cut)
                now += timedelta(seconds=STEP)
                update = engine.apply_snapshot(tokens[number], rest.rest_presences, rest.rest_sessions, now)
                events.extend(update.events)
        if position < len(run.order):
            delivered, now = feed(engine, [run.order[position]], start=now, step=STEP)
            events.extend(delivered)
    while (deadline := engine.next_deadline()) is not None:
        now = max(now, deadline)
        events.extend(engine.tick(now).events)
    calls = per_call(events)
    problems = [
        f"{key}: {types} is not a lifecycle path" for key, types in calls.items() if not is_path(types)
    ]
    return problems, calls, engine


@pytest.mark.parametrize("source", ["both", "presence", "telephony"])
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
@PATH_SETTINGS
@given(data=st.data())
def test_events_are_paths_and_state_converges(scenario: str, source: Source, data: st.DataObject) -> None:
    run = data.draw(runs(scenario, source), label="run")
    note(str(run))
    problems, calls, engine = play(run, source)
    assert problems == []
    delivered = {item.index for item in run.order}
    words = last_words(run.recording) & {item.index for item in run.recording.only(source)}
    if words <= delivered:
        # A call presence hides in the flicker is shown while telephony says it rings on: with
        # presence alone, only if a snapshot read its session (the truth as RingCentral shows it).
        reference = "both" if source == "presence" and session_read(run) else source
        assert state_mismatches(engine, run.recording, reference) == [], calls  # type: ignore[arg-type]


def session_read(run: Run) -> bool:
    """Whether a snapshot read the live session of a call the flicker hides at the end."""
    hidden = {
        (str(call["telephonySessionId"]), str(call["partyId"]))
        for ext_id, shown in run.recording.shown.items()
        for call in shown["activeCalls"]  # type: ignore[attr-defined]
        if call not in run.recording.truth[ext_id]["activeCalls"]  # type: ignore[operator]
    }
    for snap in run.snapshots:
        for tsid, party_id in hidden:
            session = record(run.recording.scenario, snap.cut).rest_sessions.get(tsid)
            party = None if session is None else session.party(party_id)
            if (
                party is not None
                and party.status is not None
                and party.status.code in ("Setup", "Proceeding")
            ):
                return True
    return False
