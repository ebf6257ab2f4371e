"""Restart memory (`engine/restart.py`): what one engine announced, handed to the engine that replaces it."""

from __future__ import annotations

import pytest

from custom_components.ringcentral.aioringcentral.engine import CallStateEngine
from custom_components.ringcentral.aioringcentral.engine.restart import MEMORY, UNKNOWN, RestartMemory

from .engine_inputs import (
    EXT,
    PARTY,
    TSID,
    at,
    engine_for,
    entry,
    presence,
    run,
    session,
    snapshot,
    telephony,
    types,
)


@pytest.mark.parametrize(
    ("saved", "claimed"),
    [
        ([("1", "s", "p", "hold")], "hold"),
        ([("1", "s", "p")], UNKNOWN),  # saved before calls carried where their history stood
        ([("1", "s", "p", "nonsense")], UNKNOWN),
        ([("1", "s", "p", "over")], UNKNOWN),  # not a phase: nothing to stand on
        ([("1", "s", "p", "hold"), ("1", "s", "p", "parked")], "hold"),  # the newest knowledge first
        ([("1", "s", "other", "hold")], None),
    ],
)
def test_restore_and_claim(saved: list[tuple[str, ...]], claimed: str | None) -> None:
    memory = RestartMemory()
    memory.restore(saved)
    assert memory.claim("1", "s", "p") == claimed
    assert memory.claim("1", "s", "p") is None  # met once


def test_memory_is_bounded_and_read_sessions_are_forgotten() -> None:
    memory = RestartMemory()
    memory.restore([("1", f"s{n}", "p", "connected") for n in range(MEMORY + 5)])
    assert len(memory.saved([])) == MEMORY
    memory.read_sessions({"s0", "s1"})
    assert memory.claim("1", "s0", "p") is None
    assert memory.claim("1", "s2", "p") == "connected"


def test_saved_lists_live_calls_first_then_the_remembered_ones() -> None:
    memory = RestartMemory()
    memory.restore([("1", "s-old", "p", "hold"), ("1", "s-live", "p", "alerting"), ("1", "s-x", "p")])
    saved = memory.saved([("1", "s-live", "p", "connected"), ("1", "s-new", "p", "new")])
    assert saved == [
        ("1", "s-live", "p", "connected"),
        ("1", "s-new", "p"),  # nothing announced yet: where it stands is not a phase
        ("1", "s-old", "p", "hold"),
        ("1", "s-x", "p"),
    ]


def restarted(saved: list[tuple[str, ...]]) -> CallStateEngine:
    engine = engine_for()
    engine.restore_announced(saved)
    return engine


def test_an_engine_hands_over_where_each_calls_history_stands() -> None:
    engine = engine_for()
    run(engine, telephony(1, "Proceeding"), presence(1, entry("Ringing")))
    assert engine.announced_calls() == [(EXT, TSID, PARTY, "alerting")]
    run(engine, telephony(2, "Answered"), presence(2, entry("CallConnected")), start=1)
    assert engine.announced_calls() == [(EXT, TSID, PARTY, "connected")]


@pytest.mark.parametrize(
    ("stood", "found", "events"),
    [
        ("alerting", "CallConnected", ["answered"]),  # answered during the restart: no second ringing
        ("connected", "OnHold", ["on_hold"]),  # held during the restart (fresh chaos seed 1020090)
        ("hold", "OnHold", []),
        ("hold", "CallConnected", ["resumed"]),
        ("connected", "Ringing", []),  # never backwards
    ],
)
def test_a_restored_call_moves_on_from_where_it_stood(stood: str, found: str, events: list[str]) -> None:
    engine = restarted([(EXT, TSID, PARTY, stood)])
    assert snapshot(engine, entry(found)) == events


def test_a_call_restored_without_its_history_starts_from_a_silent_baseline() -> None:
    engine = restarted([(EXT, TSID, PARTY)])
    assert snapshot(engine, entry("OnHold")) == []
    assert run(engine, telephony(5, "Answered"), presence(5, entry("CallConnected")), start=1) == ["resumed"]


def test_a_restored_call_first_heard_ending_ends_once() -> None:
    """Its end was announced by nobody yet: the one terminal event fires in the new engine."""
    engine = restarted([(EXT, TSID, PARTY, "connected")])
    assert snapshot(engine, sessions={TSID: session("Answered")}) == []  # hidden by presence, alive
    assert run(engine, presence(1, entry("NoCall", terminationType="final")), start=1) == []
    assert types(engine.tick(at(10))) == ["ended"]
