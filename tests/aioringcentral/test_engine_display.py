"""What the sensor shows (`engine/display.py`): visibility through the flicker, the aggregate, the fields."""

from __future__ import annotations

import pytest

from custom_components.ringcentral.aioringcentral.engine import CallStateEngine, ExtensionState
from custom_components.ringcentral.aioringcentral.models import parse_presence

from .engine_harness import Source, feed, new_engine, record
from .engine_inputs import EXT, at, engine_for, entry, presence, run, telephony


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


def test_intermediate_legs_are_not_calls() -> None:
    engine = engine_for(telephony_source=False)
    assert run(engine, presence(1, entry("Ringing", terminationType="intermediate"))) == []
    assert engine.state(EXT).calls == ()


def test_flicker_hidden_only_without_telephony() -> None:
    """An intermediate NoCall hides the call only when telephony does not vouch for it."""
    engine = engine_for()
    run(engine, telephony(1, "Proceeding"), presence(1, entry("Ringing")))
    run(engine, presence(2, entry("NoCall", terminationType="intermediate")), start=1)
    assert [c.status for c in engine.state(EXT).calls] == ["ringing"]
    assert engine.next_deadline() is None  # not an end either


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


@pytest.mark.parametrize("source", ["both", "telephony"])
def test_flicker_scenario_never_flickers_the_state(source: Source) -> None:
    """Presence's intermediate NoCall while telephony still rings: the sensor keeps showing ringing."""
    assert statuses_while_feeding("inbound_flicker", source) == [
        "no_call",
        "ringing",
        "call_connected",
        "no_call",
    ]


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
