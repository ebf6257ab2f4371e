"""The message checks of the chaos suite hold what they promise (docs/chaos.md, "Messages"), and
`with_messages` adds to a plan without changing what the seed already did."""

from __future__ import annotations

from rcsim.events import SimEvent

from .message_oracle import Announcement, MessageLog, MessageStats, check_announcements
from .message_plan import with_messages
from .plan import TRANSPORTS, make_plan

ME, OTHER = "101", "102"


def voicemail(log: MessageLog, message_id: str, ext: str = ME) -> None:
    """A new voicemail as the simulator publishes it: the message, then the store change."""
    log._on_event(SimEvent("voicemail", ext, {"id": message_id, "type": "Voicemail"}))
    store(log, ext, new=1)


def store(log: MessageLog, ext: str = ME, *, new: int = 0, updated: int = 0, at: str = "") -> None:
    changes = [{"type": "Voicemail", "newCount": new, "updatedCount": updated}]
    at = at or f"t{log.counter}"
    log._on_event(SimEvent("message-store", ext, {"extensionId": ext, "lastUpdated": at, "changes": changes}))


def sms(log: MessageLog, message_id: str, ext: str = ME) -> None:
    log._on_event(SimEvent("instant-message", ext, {"id": message_id, "type": "SMS"}))


def body(log: MessageLog, index: int) -> dict[str, object]:
    event = log.published[index - 1].event
    assert event is not None
    return event.body


def test_a_count_may_be_stale_only_when_its_last_change_went_unheard_and_unresynced() -> None:
    log = MessageLog(_watched={ME})
    assert not log.count_may_be_stale(ME)  # no change: the first read is right
    voicemail(log, "1")
    assert log.count_may_be_stale(ME)
    log.heard(body(log, 2))  # the store change of the voicemail arrived
    assert not log.count_may_be_stale(ME)
    store(log, updated=1)  # read on the phone, its notification lost
    assert log.count_may_be_stale(ME)
    log.heard(body(log, 1))  # a late delivery of an older change still makes the observer read
    assert not log.count_may_be_stale(ME)
    store(log, updated=1)
    log.resynced()
    assert not log.count_may_be_stale(ME)
    sms(log, "2")  # no voicemail change
    assert not log.count_may_be_stale(ME)


def test_a_delivery_of_a_copy_marks_the_one_still_awaited() -> None:
    log = MessageLog(_watched={ME})
    sms(log, "1")
    log.forgive()  # the first delivery was lost with its connection
    sms(log, "1")  # delivered again (a redelivery)
    assert log.published[1].copy
    log.heard(body(log, 1))
    assert log.caught_up()
    assert log.heard_at == {2: 2}
    log.heard(body(log, 1))  # and once more: a duplicate
    assert log.duplicates == 0
    assert log.heard_at == {1: 2, 2: 2}
    log.heard(body(log, 1))
    assert log.duplicates == 1


def test_announcements_are_held_to_once_monitored_and_heard() -> None:
    log = MessageLog(_watched={ME})
    voicemail(log, "1")
    sms(log, "2")
    sms(log, "3", ext=OTHER)
    sms(log, "4")  # never heard: may be missing
    for index in (1, 3, 4):
        log.heard(body(log, index))
    stats = MessageStats()
    ok = [Announcement(ME, "voicemail", "1"), Announcement(ME, "sms", "2")]
    assert check_announcements(log, ok, monitored=[ME], stats=stats) == []
    assert (stats.messages, stats.announced, stats.not_heard) == (3, 2, 1)
    problems = check_announcements(
        log,
        [*ok, Announcement(ME, "sms", "2"), Announcement(OTHER, "sms", "3"), Announcement(ME, "sms", "9")],
        monitored=[ME],
    )
    assert len(problems) == 3  # twice, unmonitored, never delivered
    assert check_announcements(log, ok[:1], monitored=[ME]) == [
        "sms 2 for 101 reached the observer (notification 3) but was never announced; resyncs at []"
    ]
    assert check_announcements(log, [Announcement(ME, "sms", "1"), ok[1]], monitored=[ME]) == [
        "announced Announcement(extension_id='101', kind='sms', message_id='1'): it was a voicemail for 101"
    ]


def test_a_message_heard_only_after_a_reread_may_be_missing() -> None:
    """Fresh seed 3000897: a voicemail's notification was lost, the observer resynced (re-reading the
    mailbox), and a redelivery arrived after that: old news, which the product does not announce."""
    log = MessageLog(_watched={ME})
    voicemail(log, "1")
    log.resynced()
    log.heard(body(log, 1))
    stats = MessageStats()
    assert check_announcements(log, [], monitored=[ME], stats=stats) == []
    assert stats.not_heard == 1
    log = MessageLog(_watched={ME})
    voicemail(log, "1")
    log.heard(body(log, 1))  # heard before the resync: news, to be announced
    log.resynced()
    assert len(check_announcements(log, [], monitored=[ME])) == 1


def test_messages_join_a_plan_without_changing_it() -> None:
    for seed in range(30):
        plan = make_plan(seed, reloads=seed % 2 == 1, transports=TRANSPORTS)
        mixed = with_messages(plan)
        assert mixed == with_messages(plan)  # the same for the same seed
        own = [a for a in mixed.actions if a["do"] not in ("voicemail", "sms", "read", "redeliver")]
        extra = max(a["handle"] for a in plan.actions if a["do"] == "start") + 1
        assert [a for a in own if a.get("handle") != extra] == list(plan.actions)
        steps = [i for i, a in enumerate(mixed.actions) if a.get("handle") == extra]
        assert mixed.actions[steps[0]]["do"] == "start"
        assert len(steps) > 1
        assert any(a["do"] in ("voicemail", "sms") for a in mixed.actions)
