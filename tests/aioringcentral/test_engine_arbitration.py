"""Arbitration (`engine/arbitration.py`): which source's view of a call fires its events."""

from __future__ import annotations

from .engine_inputs import (
    EXT,
    engine_for,
    entry,
    presence,
    run,
    telephony,
)


def test_late_proceeding_after_answered_fires_nothing() -> None:
    engine = engine_for(presence_source=False)
    assert run(engine, telephony(2, "Answered"), telephony(1, "Proceeding")) == ["answered"]
    assert run(engine, telephony(3, "Disconnected"), start=1) == ["ended"]


def test_hold_resume_pairs_follow_sequence() -> None:
    engine = engine_for(presence_source=False)
    codes = ["Proceeding", "Answered", "Hold", "Answered", "Hold", "Answered", "Disconnected"]
    events = run(engine, *(telephony(seq, code) for seq, code in enumerate(codes, 1)))
    assert events == ["ringing", "answered", "on_hold", "resumed", "on_hold", "resumed", "ended"]


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
