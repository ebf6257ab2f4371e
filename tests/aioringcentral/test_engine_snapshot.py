"""Snapshot reconciliation (`engine/snapshot.py`): a REST read resets the baseline, never regressing
newer pushes."""

from __future__ import annotations

import pytest

from custom_components.ringcentral.aioringcentral.models import parse_telephony_session

from .engine_inputs import (
    EXT,
    PARTY,
    TSID,
    at,
    engine_for,
    entry,
    presence,
    rest_presence,
    run,
    session,
    snapshot,
    telephony,
    types,
)


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


def test_a_presence_numbered_below_one_that_arrived_before_the_snapshot_is_older_than_it() -> None:
    """#3 (busy) arrives before the resync starts and waits for #2; #2 arrives during the resync.
    #2 was sent before #3, so it is older than the REST read too: REST's busy stands."""
    engine = engine_for(telephony_source=False)
    run(engine, presence(1))
    run(engine, presence(3, userStatus="Busy"), start=1)
    token = engine.begin_snapshot()
    run(engine, presence(2, userStatus="Available"), start=2)
    engine.apply_snapshot(token, {EXT: rest_presence(userStatus="Busy")}, {}, at(3))
    assert engine.state(EXT).user_status == "busy"


def test_rest_listing_is_presences_newest_word_when_only_telephony_spoke_since() -> None:
    """A call rang; its held presence waits behind a gap when the resync starts; telephony's hold
    arrives during the resync, after a gap of its own (so it does not lead). The snapshot supersedes
    the held presence; REST's listing (on hold) is then presence's newest word about the call."""
    engine = engine_for()
    run(engine, telephony(1, "Proceeding"), presence(1, entry("Ringing")))
    run(engine, presence(3, entry("OnHold")), start=1)
    token = engine.begin_snapshot()
    assert run(engine, telephony(3, "Hold"), start=2) == []
    update = engine.apply_snapshot(
        token, {EXT: rest_presence(entry("OnHold"))}, {TSID: session("Hold")}, at(3)
    )
    assert types(update) == ["answered", "on_hold"]
    assert engine.state(EXT).telephony_status == "on_hold"


@pytest.mark.parametrize("listed", [True, False])
def test_a_session_read_vouches_for_a_call_a_push_updated_during_the_snapshot(listed: bool) -> None:
    """The call is pushed (ringing) while the resync reads it, so the snapshot keeps it as pushed;
    its session, read alive, still keeps it shown through a later flicker (as for any call whose
    session a snapshot read), whether REST presence listed it or hid it."""
    engine = engine_for(telephony_source=False)
    run(engine, presence(1))
    token = engine.begin_snapshot()
    assert run(engine, presence(2, entry("Ringing")), start=1) == ["ringing"]
    calls = [entry("Ringing")] if listed else [entry("NoCall", terminationType="intermediate")]
    engine.apply_snapshot(token, {EXT: rest_presence(*calls)}, {TSID: session("Proceeding")}, at(2))
    assert run(engine, presence(3, entry("NoCall", terminationType="intermediate")), start=3) == []
    assert [c.status for c in engine.state(EXT).calls] == ["ringing"]


def test_snapshot_ending_a_call_held_for_presence_tells_what_telephony_saw() -> None:
    """Chaos seed 910288: a call sent straight to voicemail, its telephony updates out of order (a
    gap below them), so its voicemail phase waits for presence to list the call; a snapshot finds the
    session gone before the settle time. What telephony saw is the call's story: voicemail, missed
    (it used to end silently, as a call never seen)."""
    engine = engine_for()
    events = run(
        engine,
        telephony(1, "Setup", tsid="s-0", direction="Outbound"),
        telephony(3, "VoiceMail", tsid="s-2"),  # #2 not here yet: out of order
        telephony(5, "Disconnected", tsid="s-2"),
    )
    assert "voicemail" not in events  # held for presence's listing
    assert snapshot(engine, sessions={"s-2": None, "s-0": session("Setup", tsid="s-0")}, when=1) == [
        "voicemail",
        "missed",
    ]
    assert engine.state(EXT).calls[0].telephony_session_id == "s-0"
