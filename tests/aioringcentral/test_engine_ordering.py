"""Per-source ordering (`engine/ordering.py`): presence `sequence` per extension, telephony per party."""

from __future__ import annotations

import pytest

from custom_components.ringcentral.aioringcentral.engine import EngineUpdate
from custom_components.ringcentral.aioringcentral.engine.ordering import (
    APPLY,
    HELD,
    MAX_BUFFER,
    STALE,
    PresenceStream,
    TelephonyNumbering,
    party_in_order,
)

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


# --------------------------------------------------------------------------- the presence stream, alone

T0 = at(0)


@pytest.mark.parametrize(
    ("offers", "verdicts", "next_seq"),
    [
        ([5, 6, 7], [APPLY, APPLY, APPLY], 8),  # the first one starts the stream
        ([5, 5], [APPLY, STALE], 6),  # a duplicate
        ([5, 4], [APPLY, STALE], 6),  # older than what was applied
        ([5, 7], [APPLY, HELD], 6),  # a gap: #7 waits for #6
        ([5, 7, 7], [APPLY, HELD, STALE], 6),  # waiting already
        ([5, 7, 6], [APPLY, HELD, APPLY], 7),  # #6 fills the gap (then `drain` hands out #7)
    ],
)
def test_presence_stream_offers(offers: list[int], verdicts: list[str], next_seq: int) -> None:
    stream: PresenceStream[str] = PresenceStream()
    assert [stream.offer(seq, f"#{seq}", op, T0) for op, seq in enumerate(offers, 1)] == verdicts
    assert stream.next == next_seq


def test_presence_stream_drains_in_order_with_each_items_age() -> None:
    """#8 arrived (op 2) before #7 (op 3): #7 is no newer than #8's arrival, as #8 was sent after it."""
    stream: PresenceStream[str] = PresenceStream()
    stream.offer(5, "#5", 1, T0)
    assert stream.offer(8, "#8", 2, T0) == HELD
    assert stream.offer(7, "#7", 3, T0) == HELD
    assert stream.offer(6, "#6", 4, T0) == APPLY
    assert stream.age(6, 4) == 2
    assert list(stream.drain(T0)) == [("#7", 2), ("#8", 2)]
    assert (stream.next, stream.buffer, stream.waiting_since) == (9, None, None)


def test_presence_stream_gives_up_in_order_with_ages() -> None:
    stream: PresenceStream[str] = PresenceStream()
    stream.offer(1, "#1", 1, T0)
    for seq, op in ((4, 5), (3, 6), (6, 2)):
        stream.offer(seq, f"#{seq}", op, T0)
    assert list(stream.give_up()) == [("#3", 2), ("#4", 2), ("#6", 2)]
    assert (stream.next, stream.contiguous, stream.waiting_since) == (7, False, None)
    assert stream.offer(9, "#9", 7, T0) == APPLY  # order given up: newest wins
    assert stream.offer(8, "#8", 8, T0) == STALE


def test_presence_stream_reset_by_a_snapshot() -> None:
    """Held items that arrived before the snapshot started are covered by it; later ones are pushed
    again; a stream that did not hear a push meanwhile waits for what may be reordered after it."""
    stream: PresenceStream[str] = PresenceStream()
    stream.offer(1, "#1", 1, T0)
    stream.offer(4, "#4", 2, T0)
    stream.offer(6, "#6", 5, T0)
    assert stream.reset(3, pushed=False) == {6: "#6"}
    assert (stream.next, stream.buffer, stream.jump, stream.contiguous) == (5, None, True, True)


# --------------------------------------------------------------------------- telephony numbering, alone


@pytest.mark.parametrize(
    ("sequences", "in_order", "missing"),
    [
        ([1, 2, 3], [True, True, True], None),
        ([1, 3], [True, False], {2}),  # #2 may still come: not in order until it does
        ([1, 3, 2], [True, False, True], None),
        ([1, 1 + MAX_BUFFER + 2], [True, False], None),  # numbered per session: sparse, given up
        ([None], [False], None),  # no sequence: order unknown
    ],
)
def test_telephony_numbering(
    sequences: list[int | None], in_order: list[bool], missing: set[int] | None
) -> None:
    numbering = TelephonyNumbering()
    got = []
    for seq in sequences:
        numbering.track(seq, T0)
        got.append(numbering.in_order(seq))
    assert (got, numbering.missing) == (in_order, missing)


@pytest.mark.parametrize(
    ("last", "seq", "fresh"), [(None, 3, True), (3, 4, True), (3, 3, False), (3, 2, False), (3, None, True)]
)
def test_party_in_order(last: int | None, seq: int | None, fresh: bool) -> None:
    assert party_in_order(last, seq) is fresh


def test_a_repeated_telephony_update_is_no_sign_of_disorder() -> None:
    """The same update twice (a replay) says nothing new: the next in-order update still leads at
    once instead of waiting for presence."""
    engine = engine_for()
    assert run(engine, telephony(1, "Proceeding"), telephony(1, "Proceeding"), telephony(2, "Answered")) == [
        "ringing",
        "answered",
    ]
