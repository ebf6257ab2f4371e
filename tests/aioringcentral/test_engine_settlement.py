"""Terminal settlement (`engine/settlement.py`): one end per call, once the sources agree or time
settles it."""

from __future__ import annotations

import pytest

from custom_components.ringcentral.aioringcentral.models import Presence, TelephonySessionEvent

from .engine_harness import feed, new_engine, record, state_mismatches
from .engine_inputs import (
    EXT,
    TSID,
    at,
    engine_for,
    entry,
    presence,
    rest_presence,
    run,
    snapshot,
    telephony,
    types,
)


def test_missed_follows_missed_call_flag() -> None:
    engine = engine_for(presence_source=False)
    events = run(
        engine, telephony(1, "Proceeding"), telephony(2, "Disconnected", reason="Pickup", missedCall=False)
    )
    assert events == ["ringing", "ended"]


def test_missed_without_flag_means_never_answered_inbound() -> None:
    engine = engine_for(presence_source=False)
    assert run(engine, telephony(1, "Proceeding"), telephony(2, "Disconnected")) == ["ringing", "missed"]
    engine = engine_for(presence_source=False)
    outbound = [
        telephony(1, "Setup", direction="Outbound"),
        telephony(2, "Disconnected", direction="Outbound"),
    ]
    assert run(engine, *outbound) == ["dialing", "ended"]


def test_gone_ends_with_reason() -> None:
    engine = engine_for(presence_source=False)
    run(engine, telephony(1, "Proceeding"), telephony(2, "Answered"))
    update = engine.apply_telephony(
        telephony(3, "Gone", peerId={"telephonySessionId": "s-2", "partyId": "p-9"}), at(10)
    )
    (event,) = update.events
    assert (event.type, event.reason) == ("ended", "Gone")
    engine = engine_for(presence_source=False)
    run(engine, telephony(1, "Answered"))
    (event,) = engine.apply_telephony(telephony(2, "Gone", reason="BlindTransfer"), at(1)).events
    assert event.reason == "BlindTransfer"


def test_terminal_waits_for_every_subscribed_source() -> None:
    engine = engine_for()
    assert run(engine, presence(1, entry("Ringing")), telephony(1, "Proceeding")) == ["ringing"]
    assert run(engine, telephony(2, "Disconnected", reason="Cancelled", missedCall=True), start=1) == []
    assert engine.state(EXT).calls == ()  # over as far as telephony knows: no longer shown
    update = engine.apply_presence(presence(2, entry("NoCall", terminationType="final")), at(2))
    (event,) = update.events
    assert (event.type, event.reason) == ("missed", "Cancelled")


def test_terminal_settles_when_one_source_stays_silent() -> None:
    engine = engine_for(settle=3)
    run(engine, presence(1, entry("Ringing")), telephony(1, "Proceeding"))
    assert run(engine, telephony(2, "Disconnected", missedCall=True), start=1) == []
    assert engine.next_deadline() == at(4)
    assert types(engine.tick(at(4))) == ["missed"]


def test_duration_from_ringcentral_times() -> None:
    engine = engine_for(presence_source=False)
    engine.apply_telephony(telephony(1, "Proceeding", event_time="2024-05-01T12:00:00Z"), at(0))
    engine.apply_telephony(telephony(2, "Answered", event_time="2024-05-01T12:00:05Z"), at(5))
    ended = telephony(3, "Disconnected", event_time="2024-05-01T12:01:05Z")
    (event,) = engine.apply_telephony(ended, at(99)).events
    assert event.duration == 65.0


def test_duration_from_engine_clock_without_telephony() -> None:
    engine = engine_for(telephony_source=False)
    engine.apply_presence(presence(1, entry("CallConnected")), at(10))
    update = engine.apply_presence(presence(2, entry("NoCall", terminationType="final")), at(52.5))
    assert [(e.type, e.duration) for e in update.events] == [("ended", 42.5)]


def test_missing_twice_ends_a_presence_only_call() -> None:
    engine = engine_for(telephony_source=False)
    assert run(engine, presence(1, entry("Ringing")), presence(2), presence(3)) == ["ringing", "missed"]


def test_missing_once_ends_after_settle() -> None:
    engine = engine_for(telephony_source=False, settle=3)
    run(engine, presence(1, entry("Ringing")), presence(2))
    assert types(engine.tick(at(3.05))) == []
    assert types(engine.tick(at(3.1))) == ["missed"]


def test_telephony_alive_outweighs_presence_missing() -> None:
    engine = engine_for(settle=3)
    run(engine, presence(1, entry("Ringing")), telephony(1, "Proceeding"), presence(2), presence(3))
    assert types(engine.tick(at(60))) == []
    assert run(engine, presence(4, entry("CallConnected")), start=61) == ["answered"]


def test_calls_beyond_the_list_cap_are_not_ended() -> None:
    engine = engine_for(telephony_source=False)
    calls = [entry("CallConnected", tsid=f"s-{n}") for n in range(8)]
    run(engine, presence(1, *calls))
    # The oldest dropped off the (latest 7) list, but RingCentral still counts 8 calls.
    assert (
        run(engine, presence(2, *calls[1:], totalActiveCalls=8), presence(3, *calls[1:], totalActiveCalls=8))
        == []
    )
    assert len(engine.state(EXT).calls) == 8


def test_presence_final_ends_the_call_when_telephony_end_is_lost() -> None:
    """Presence's NoCall (final) with telephony's Disconnected lost: the call still ends, once."""
    engine = engine_for(settle=3)
    run(engine, presence(1, entry("Ringing")), telephony(1, "Proceeding"))
    run(engine, telephony(2, "Answered"), presence(2, entry("CallConnected")), start=1)
    assert run(engine, presence(3, entry("NoCall", terminationType="final")), start=10) == []
    assert engine.state(EXT).telephony_status == "no_call"
    assert engine.next_deadline() == at(13)
    (event,) = engine.tick(at(13)).events
    assert (event.type, event.telephony_session_id) == ("ended", TSID)
    assert engine.next_deadline() is None
    assert run(engine, telephony(2, "Answered"), start=20) == []  # late news cannot revive it


def test_scenario_with_lost_telephony_hang_up_settles() -> None:
    """inbound_answered with the hang-up's telephony notification dropped ends after the settle time."""
    recording = record("inbound_answered")
    me = recording.extension_ids[0]
    hang_up = [
        i.index
        for i in recording.inputs
        if i.kind == "telephony"
        and i.extension_id == me
        and isinstance(i.payload, TelephonySessionEvent)
        and any(p.status is not None and p.status.code == "Disconnected" for p in i.payload.parties)
    ]
    assert len(hang_up) == 1
    engine = new_engine(recording, "both", settle_seconds=3)
    _, now = feed(engine, recording.prologue)
    events, now = feed(engine, [i for i in recording.inputs if i.index not in hang_up], start=now)
    assert [e.type for e in events] == ["ringing", "answered"]
    deadline = engine.next_deadline()
    assert deadline is not None
    events.extend(engine.tick(deadline).events)
    assert [e.type for e in events] == ["ringing", "answered", "ended"]
    assert state_mismatches(engine, recording, "both") == []


def test_late_events_cannot_revive_an_ended_call() -> None:
    engine = engine_for(presence_source=False)
    run(engine, telephony(1, "Proceeding"), telephony(2, "Disconnected", reason="Cancelled", missedCall=True))
    assert run(engine, telephony(1, "Proceeding"), telephony(2, "Answered"), start=1) == []
    assert engine.state(EXT).calls == ()


def test_ended_memory_is_bounded() -> None:
    engine = engine_for(presence_source=False)
    for n in range(20):
        run(
            engine,
            telephony(1, "Proceeding", party=f"p{n}"),
            telephony(2, "Disconnected", party=f"p{n}"),
            start=n,
        )
    # The most recent 16 are remembered...
    assert run(engine, telephony(1, "Proceeding", party="p19"), start=30) == []
    # ...the oldest were forgotten (that is the bound).
    assert run(engine, telephony(1, "Proceeding", party="p0"), start=31) == ["ringing"]


@pytest.mark.parametrize(
    ("later", "events"),
    [
        # Left out twice by presences that may be older than the read: no agreement; the settle
        # time ends it if nothing lists it again...
        ([presence(2), presence(3)], ["missed"]),
        # ...and a later presence listing it keeps it.
        ([presence(2), presence(3), presence(4, entry("Ringing"))], []),
    ],
)
def test_leaving_out_a_call_only_a_snapshot_listed_is_no_agreement(
    later: list[Presence], events: list[str]
) -> None:
    engine = engine_for(telephony_source=False, settle=3)
    run(engine, presence(1))
    assert snapshot(engine, entry("Ringing"), when=0.5) == ["ringing"]
    assert run(engine, *later, start=1) == []
    assert types(engine.tick(at(10))) == events


def test_the_deadline_follows_each_extensions_earliest_wait() -> None:
    """Several extensions settle terminals at different times: the deadline is always the earliest
    wait still running, and none once every call settled (the engine caches each extension's wait)."""
    engine = engine_for(settle=3)
    for n, ext in enumerate((EXT, "102")):
        run(engine, telephony(1, "Proceeding", ext=ext), telephony(2, "Answered", ext=ext), start=n)
    # Telephony's end without presence's word: each waits out the settle time.
    assert run(engine, telephony(3, "Disconnected", ext="102"), start=5) == []
    assert engine.next_deadline() == at(8)
    assert run(engine, telephony(3, "Disconnected", ext=EXT), start=6) == []
    assert engine.next_deadline() == at(8)
    assert types(engine.tick(at(8))) == ["ended"]
    assert engine.next_deadline() == at(9)
    assert types(engine.tick(at(9))) == ["ended"]
    assert engine.next_deadline() is None


def test_a_call_presence_never_lists_ends_when_the_settle_time_passes() -> None:
    """Do-not-disturb sends the call straight to voicemail and presence never lists it. Its silence
    cannot be told from a late presence that would still tell the call's story, so the end waits out
    the settle time (the README's known limitation): voicemail at once, missed 3 s after the hang-up."""
    engine = engine_for()
    assert run(engine, telephony(1, "VoiceMail"), telephony(2, "Disconnected")) == ["voicemail"]
    assert engine.next_deadline() == at(0.1 + 3)
    assert types(engine.tick(at(3.0))) == []
    assert types(engine.tick(at(3.1))) == ["missed"]
    assert engine.state(EXT).calls == ()


def test_a_silent_end_fires_its_terminal_when_late_news_shows_it_was_a_call() -> None:
    """Fresh seed 5000322: presence's final NoCall for a party arrives before anything else about it
    (kept as a ghost), a resync then finds its session gone and ends it silently (never shown), and
    only then does telephony's delayed story arrive: the party was on the call. It was a call, so its
    one terminal fires, after the settle time (as when the late story beats the resync); once."""
    engine = engine_for(settle=3)
    run(engine, presence(1))
    assert run(engine, presence(2, entry("NoCall", terminationType="final")), start=1) == []
    assert snapshot(engine, sessions={TSID: None}, when=2) == []
    assert engine.state(EXT).calls == ()
    assert run(engine, telephony(7, "Answered"), telephony(8, "Disconnected"), start=5) == []
    assert engine.state(EXT).calls == ()  # over: nothing to show, only its end to tell
    assert engine.next_deadline() == at(8)
    (event,) = engine.tick(at(8)).events
    assert (event.type, event.telephony_session_id, event.from_number) == ("ended", TSID, "+15550001")
    assert run(engine, telephony(7, "Answered"), start=10) == []  # and late news cannot revive it again
    assert engine.next_deadline() is None


def test_a_silent_end_stays_silent_without_news_of_the_party_on_the_call() -> None:
    engine = engine_for(settle=3)
    run(engine, presence(1))
    run(engine, presence(2, entry("NoCall", terminationType="final")), start=1)
    assert snapshot(engine, sessions={TSID: None}, when=2) == []
    # Telephony's own end, late: still no sign that the party was ever on the call.
    assert run(engine, telephony(8, "Disconnected"), start=5) == []
    assert engine.next_deadline() is None
    assert types(engine.tick(at(20))) == []


def test_silent_end_memory_is_bounded() -> None:
    engine = engine_for(settle=3)
    run(engine, presence(1))
    finals = [entry("NoCall", terminationType="final", tsid=f"s-{n}") for n in range(5)]
    run(engine, presence(2, *finals), start=1)
    token = engine.begin_snapshot()
    engine.apply_snapshot(token, {EXT: rest_presence()}, {f"s-{n}": None for n in range(5)}, at(2))
    # The latest four silent ends are kept for late news; the oldest is forgotten.
    assert (
        run(engine, telephony(7, "Answered", tsid="s-0"), telephony(7, "Answered", tsid="s-4"), start=3) == []
    )
    assert types(engine.tick(at(6.1))) == ["ended"]
