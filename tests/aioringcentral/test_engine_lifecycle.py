"""The lifecycle table (`engine/lifecycle.py`): which call event may follow which, and the gate every
fired event passes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from custom_components.ringcentral.aioringcentral.engine import CallStateEngine
from custom_components.ringcentral.aioringcentral.engine.lifecycle import (
    NEW,
    OVER,
    STATES,
    TABLE,
    baseline,
    is_path,
    step,
)
from custom_components.ringcentral.aioringcentral.models import parse_presence

EVENTS = ("ringing", "dialing", "answered", "on_hold", "resumed", "parked", "voicemail", "missed", "ended")

# Every (state, event) the table allows, with where it leads and why (README, Events; platform facts).
# Everything else must be refused.
ALLOWED: list[tuple[str, str, str, str]] = [
    ("new", "ringing", "alerting", "an inbound call starts ringing"),
    ("new", "dialing", "alerting", "the extension places an outbound call"),
    ("new", "voicemail", "voicemail", "sent straight to voicemail: do-not-disturb, a transfer to voicemail"),
    ("new", "answered", "connected", "first seen connected: transferred in, it never rang here"),
    ("new", "on_hold", "hold", "first seen on hold (the official presence sample)"),
    ("new", "parked", "parked", "first seen parked"),
    ("new", "missed", "over", "first heard of as it ended"),
    ("new", "ended", "over", "first heard of as it ended"),
    ("alerting", "answered", "connected", "Proceeding -> Answered"),
    ("alerting", "voicemail", "voicemail", "Proceeding -> VoiceMail"),
    ("alerting", "missed", "over", "the caller gave up, or it was picked up elsewhere"),
    ("alerting", "ended", "over", "an outbound call nobody answered"),
    ("connected", "on_hold", "hold", "put on hold"),
    ("connected", "parked", "parked", "parked"),
    ("connected", "missed", "over", "RingCentral's missedCall says so"),
    ("connected", "ended", "over", "hung up"),
    ("hold", "resumed", "connected", "taken off hold"),
    ("hold", "parked", "parked", "a held call parked: one step away"),
    ("hold", "missed", "over", "RingCentral's missedCall says so"),
    ("hold", "ended", "over", "hung up while held"),
    ("parked", "resumed", "connected", "picked up again by this party"),
    ("parked", "on_hold", "hold", "from park to hold: one step away"),
    ("parked", "missed", "over", "RingCentral's missedCall says so"),
    ("parked", "ended", "over", "picked up elsewhere, or hung up"),
    ("voicemail", "missed", "over", "the message was left"),
    ("voicemail", "ended", "over", "RingCentral's missedCall false"),
]


@pytest.mark.parametrize(("state", "event", "after", "why"), ALLOWED)
def test_allowed_steps(state: str, event: str, after: str, why: str) -> None:
    assert step(state, event) == after, why


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("event", EVENTS)
def test_everything_else_is_refused(state: str, event: str) -> None:
    if (state, event) not in {(s, e) for s, e, _, _ in ALLOWED}:
        assert step(state, event) is None


def test_the_table_covers_every_state_and_no_unknown_event() -> None:
    assert set(TABLE) == set(STATES)
    assert {event for row in TABLE.values() for event in row} <= set(EVENTS)
    assert TABLE[OVER] == {}  # nothing after the terminal event


@pytest.mark.parametrize(
    ("events", "legal"),
    [
        (["ringing", "answered", "on_hold", "resumed", "ended"], True),
        (["ringing", "voicemail", "missed"], True),
        (["dialing", "ended"], True),
        (["answered", "parked", "ended"], True),
        (["missed"], True),
        (["parked", "parked", "ended"], False),  # fresh seed 70128
        (["ringing", "answered", "resumed"], False),  # fresh seed 1020090
        (["ringing", "ringing"], False),
        (["ringing", "answered", "on_hold", "answered"], False),
        (["ringing", "answered", "voicemail"], False),
        (["ringing", "missed", "ended"], False),
        (["ringing", "ended", "answered"], False),
        (["resumed"], False),
    ],
)
def test_paths(events: list[str], legal: bool) -> None:
    assert is_path(events) is legal


@pytest.mark.parametrize(
    ("state", "phase", "after"),
    [
        (NEW, "hold", "hold"),  # a baseline announces nothing: the history starts where it was found
        (NEW, "alerting", "alerting"),
        ("connected", "hold", "connected"),  # what was announced stands
    ],
)
def test_baseline(state: str, phase: str, after: str) -> None:
    assert baseline(state, phase) == after


def test_a_silent_baseline_on_hold_may_resume() -> None:
    assert is_path(["resumed", "ended"], start=baseline(NEW, "hold"))


# --------------------------------------------------------------------------- the gate in the engine

EXT = "101"
START = datetime(2024, 5, 1, 12, tzinfo=UTC)


def presence(seq: int | None, status: str | None) -> Any:
    calls = (
        [] if status is None else [{"telephonySessionId": "s-1", "partyId": "p-1", "telephonyStatus": status}]
    )
    body: dict[str, Any] = {"extensionId": EXT, "telephonyStatus": status or "NoCall", "activeCalls": calls}
    if seq is not None:
        body["sequence"] = seq
    return parse_presence(body, detailed=True)


def test_the_engine_absorbs_and_counts_a_step_the_table_refuses() -> None:
    """A resync reads the call parked (announced); presences sent before the read arrive after it,
    in order, and retell the call from ringing: their `parked` is refused, counted, never fired."""
    engine = CallStateEngine()
    engine.set_monitored([EXT], telephony=[])
    now = START
    assert engine.apply_presence(presence(1, None), now).events == ()
    token = engine.begin_snapshot()
    update = engine.apply_snapshot(token, {EXT: presence(None, "ParkedCall")}, {}, now)
    assert [e.type for e in update.events] == ["parked"]
    fired = []
    for seq, status in enumerate(("Ringing", "CallConnected", "ParkedCall"), 2):
        now += timedelta(seconds=0.1)
        fired += [e.type for e in engine.apply_presence(presence(seq, status), now).events]
    assert fired == []
    assert engine.absorbed == {"parked->parked": 1}
    assert engine.state(EXT).telephony_status == "parked_call"
    update = engine.apply_presence(presence(5, "CallConnected"), now + timedelta(seconds=1))
    assert [e.type for e in update.events] == ["resumed"]  # the table allows what follows
