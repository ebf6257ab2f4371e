"""Per-source ordering (`engine/ordering.py`): presence `sequence` per extension, telephony per party."""

from __future__ import annotations

from custom_components.ringcentral.aioringcentral.engine import EngineUpdate

from .engine_inputs import EXT, at, engine_for, entry, presence, run, telephony, types


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


def test_telephony_party_sequence_per_party() -> None:
    engine = engine_for(presence_source=False)
    events = run(
        engine,
        telephony(5, "Proceeding", party="a"),
        telephony(1, "Proceeding", party="b"),  # another party's numbering: not stale
        telephony(6, "Answered", party="a"),
    )
    assert events == ["ringing", "ringing", "answered"]
