"""Helpers for the call-engine tests: an engine of an assembled (not served) simulator, an event
recorder, stepping.

The engine is tested directly (no HTTP): it publishes on its `bus`, which is all the
subscription layer sees of it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from rcsim.app import assemble
from rcsim.calls import CallEngine
from rcsim.config import SimConfig
from rcsim.events import SimEvent
from rcsim.model import populate


@dataclass
class Recorder:
    """Every event the engine published, in order."""

    events: list[SimEvent] = field(default_factory=list)

    def __call__(self, event: SimEvent) -> None:
        self.events.append(event)

    def of(self, kind: str, extension_id: str | None = None) -> list[dict[str, Any]]:
        return [
            e.body
            for e in self.events
            if e.kind == kind and (extension_id is None or e.extension_id == extension_id)
        ]

    def summary(self) -> list[tuple[str, str, Any]]:
        """(kind, extension, status) per event: party codes for telephony, the aggregate for presence."""
        out: list[tuple[str, str, Any]] = []
        for e in self.events:
            if e.kind == "telephony":
                out.append(("T", e.extension_id, [p["status"]["code"] for p in e.body["parties"]]))
            else:
                out.append(("P", e.extension_id, e.body["telephonyStatus"]))
        return out

    def clear(self) -> None:
        self.events.clear()


def make_engine(extensions: int = 3, **config: Any) -> tuple[CallEngine, Recorder]:
    """An engine over `extensions` user extensions (the first is the admin), recording its events."""
    config.setdefault("time_scale", 100000.0)
    engine = assemble(SimConfig(**config)).calls
    populate(engine.account, extensions)
    recorder = Recorder()
    engine.bus.subscribe(recorder)
    return engine, recorder


@asynccontextmanager
async def running_engine(extensions: int = 3, **config: Any) -> AsyncIterator[tuple[CallEngine, Recorder]]:
    """`make_engine`, closed afterwards so no scenario task outlives the test."""
    engine, recorder = make_engine(extensions, **config)
    try:
        yield engine, recorder
    finally:
        await engine.close()


def user_ids(engine: CallEngine) -> list[str]:
    return [e.id for e in engine.account.extensions.values() if e.type == "User"]


def step_through(engine: CallEngine, run_id: str, limit: int = 50) -> int:
    """Step a step-mode scenario to its end; returns how many steps it had."""
    count = 0
    while engine.step(run_id):
        count += 1
        assert count < limit, "scenario does not end"
    return count


def run_scenario(
    scenario: str, *, other: bool = False, extensions: int = 3, **config: Any
) -> tuple[CallEngine, Recorder, str]:
    """Run a whole scenario in step mode on the first extension (and the second as `other`)."""
    engine, recorder = make_engine(extensions, **config)
    ids = user_ids(engine)
    run_id = engine.start(scenario, ids[0], other_extension_id=ids[1] if other else None, step=True)
    step_through(engine, run_id)
    return engine, recorder, run_id


def assert_streams_consistent(recorder: Recorder) -> None:
    """What every run must satisfy, whatever the scenarios.

    - each (kind, extension) stream's `sequence` runs 1, 2, 3, ... in publication order;
    - a telephony event shows only the parties of the extension it is for;
    - every presence activeCall names a party (same partyId, telephonySessionId, direction) that the
      extension's telephony stream published before, and its telephonyStatus is what that party's
      latest status maps to (an "intermediate" entry is the NoCall flicker of a ringing call).
    """
    from rcsim.presence import PRESENCE_OF_CODE

    last_seq: dict[tuple[str, str], int] = {}
    parties: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}
    for event in recorder.events:
        key = (event.kind, event.extension_id)
        assert event.body["sequence"] == last_seq.get(key, 0) + 1, (key, event.body["sequence"])
        last_seq[key] = event.body["sequence"]
        if event.kind == "telephony":
            assert event.body["extensionId"] == event.extension_id
            assert event.body["parties"], "a telephony event shows at least the extension's own party"
            for party in event.body["parties"]:
                assert party["extensionId"] == event.extension_id
                parties[(event.extension_id, party["id"])] = (event.body["telephonySessionId"], party)
            continue
        assert event.body["extensionId"] == event.extension_id
        for call in event.body["activeCalls"]:
            found = parties.get((event.extension_id, call["partyId"]))
            assert found is not None, f"presence call {call['partyId']} has no telephony party"
            tsid, party = found
            assert call["telephonySessionId"] == tsid
            assert call["direction"] == party["direction"]
            if call.get("terminationType") == "intermediate":
                assert call["telephonyStatus"] == "NoCall"
                assert party["status"]["code"] == "Proceeding"
            else:
                assert call["telephonyStatus"] == PRESENCE_OF_CODE[party["status"]["code"]]
                assert (call.get("terminationType") == "final") == (call["telephonyStatus"] == "NoCall")
