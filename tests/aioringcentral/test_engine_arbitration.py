"""Arbitration (`engine/arbitration.py`): which source's view of a call fires its events."""

from __future__ import annotations

import pytest

from custom_components.ringcentral.aioringcentral.engine.arbitration import progress

from .engine_inputs import (
    EXT,
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


@pytest.mark.parametrize(
    ("events", "steps"),
    [
        ([], 0),
        (["ringing"], 1),
        (["ringing", "answered", "on_hold"], 3),
        (["answered"], 2),  # met the call connected: it had rung
        (["on_hold"], 3),  # met it held: it had rung and was answered
        (["parked", "resumed"], 4),
        (["voicemail"], 2),
    ],
)
def test_progress_counts_the_steps_a_late_history_did_not_see(events: list[str], steps: int) -> None:
    assert progress(events) == steps


def test_a_source_that_met_the_call_later_can_be_ahead() -> None:
    """Telephony rang; its answer came after a gap (so it waits for presence); presence, whose
    ringing was lost, first shows the call connected: its one event is ahead of telephony's one."""
    engine = engine_for()
    assert run(engine, telephony(1, "Proceeding"), telephony(3, "Answered")) == ["ringing"]
    assert run(engine, presence(2, entry("CallConnected")), start=1) == ["answered"]
    assert engine.state(EXT).telephony_status == "call_connected"


def test_telephony_leads_where_presence_is_not_subscribed_even_if_rest_listed_the_call() -> None:
    """A snapshot's REST presence lists the call, but no presence notification will follow it."""
    engine = engine_for(presence_source=False)
    assert snapshot(engine, entry("Ringing"), sessions={TSID: session("Proceeding")}) == []
    assert run(engine, telephony(1, "Answered"), start=1) == ["answered"]
    assert engine.state(EXT).telephony_status == "call_connected"


def test_when_the_sources_agree_on_another_phase_the_call_moves_there() -> None:
    """A resync reads the call held; presences sent before it arrive after it, from ringing, then a
    newer one shows it connected. Presence's history missed the hold, so it implies no step; its
    last word still wins once it has stood for the settle time."""
    engine = engine_for(telephony_source=False, settle=3)
    run(engine, presence(1, entry("Ringing")))
    assert snapshot(engine, entry("OnHold"), when=1) == ["answered", "on_hold"]
    assert run(engine, presence(2, entry("Ringing")), presence(3, entry("CallConnected")), start=2) == []
    assert engine.next_deadline() == at(5.1)
    assert types(engine.tick(at(5.1))) == ["resumed"]
    assert engine.state(EXT).telephony_status == "call_connected"
    assert run(engine, presence(4, entry("OnHold")), start=6) == ["on_hold"]  # histories go on from there


def test_a_disagreement_that_passes_moves_nothing() -> None:
    engine = engine_for(telephony_source=False, settle=3)
    run(engine, presence(1, entry("Ringing")))
    snapshot(engine, entry("OnHold"), when=1)
    run(engine, presence(2, entry("Ringing")), presence(3, entry("CallConnected")), start=2)
    assert run(engine, presence(4, entry("OnHold")), start=3) == []  # back where it was shown
    assert engine.next_deadline() is None
