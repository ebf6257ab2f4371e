"""`MessageTracker`: each message announced once (duplicates, reordering, replays after a read), and
the unread voicemail count, which equals RingCentral's once a re-read that began after the last
change has been applied, whatever was lost, duplicated or reordered before (table and properties)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.ringcentral.aioringcentral.messages import MessageTracker, NewMessage, ReadToken
from custom_components.ringcentral.aioringcentral.models_messages import (
    Message,
    MessageStoreChange,
    MessageStoreEvent,
)

PROPERTIES = settings(deadline=None, database=None, max_examples=300)
T0 = 1_800_000_000.0


def message(
    message_id: str,
    *,
    kind: str = "VoiceMail",
    at: float = T0,
    read: bool = False,
    direction: str = "Inbound",
) -> Message:
    return Message(
        id=message_id,
        type=kind,
        direction=direction,
        from_number="+14155550198",
        from_name=None,
        to_numbers=(),
        read_status="Read" if read else "Unread",
        creation_time=datetime.fromtimestamp(at, UTC),
        duration=5 if kind == "VoiceMail" else None,
        text=None if kind == "VoiceMail" else "Hi",
    )


def store(kind: str = "Voicemail", new: int = 1, updated: int = 0) -> MessageStoreEvent:
    return MessageStoreEvent("42", None, (MessageStoreChange(kind, new, updated),))


def baseline(tracker: MessageTracker, unread: list[Message], now: float = T0) -> None:
    tracker.apply_reread(tracker.begin_reread(now), unread)


def test_a_read_sets_the_count() -> None:
    tracker = MessageTracker("42")
    assert tracker.unread_voicemails is None
    assert tracker.reread_needed
    update = tracker.apply_reread(
        tracker.begin_reread(T0), [message("1"), message("2"), message("3", kind="SMS")]
    )
    assert update.unread_changed
    assert tracker.unread_voicemails == 2
    assert not tracker.reread_needed
    assert not tracker.apply_reread(tracker.begin_reread(T0 + 1), [message("1"), message("2")]).unread_changed


def test_a_new_voicemail_is_announced_once_and_counted_at_once() -> None:
    tracker = MessageTracker("42")
    baseline(tracker, [message("1")])
    new = message("2", at=T0 + 10)
    update = tracker.apply_voicemail(new)
    assert update.messages == (NewMessage("voicemail", new),)
    assert update.unread_changed
    assert update.reread
    assert tracker.unread_voicemails == 2
    assert tracker.apply_voicemail(new).messages == ()  # a duplicate
    assert tracker.unread_voicemails == 2
    old = message("0", at=T0 - 301)  # unread when read, and created before it (beyond the skew)
    assert tracker.apply_voicemail(old).messages == ()


@pytest.mark.parametrize(
    ("incoming", "announced"),
    [
        (message("5", at=T0 - 301), False),  # created before the read began (beyond the clock skew)
        (message("5", at=T0 - 299), True),  # within the skew: may be new
        (message("5", direction="Outbound", at=T0 + 5), False),
        (message("5", read=True, at=T0 + 5), True),  # announced, but not counted
    ],
)
def test_which_voicemails_are_announced(incoming: Message, announced: bool) -> None:
    tracker = MessageTracker("42")
    baseline(tracker, [])
    update = tracker.apply_voicemail(incoming)
    assert bool(update.messages) is announced
    assert tracker.unread_voicemails == (1 if announced and incoming.unread else 0)


def test_sms() -> None:
    tracker = MessageTracker("42")
    sms = message("7", kind="SMS", at=T0 + 1)
    update = tracker.apply_sms(sms)
    assert update.messages == (NewMessage("sms", sms),)
    assert not update.reread
    assert not update.unread_changed
    assert tracker.apply_sms(sms).messages == ()
    assert tracker.apply_sms(message("8", kind="SMS", direction="Outbound")).messages == ()
    # Before any read, nothing is known to be old: announce, but there is no count to change.
    assert tracker.unread_voicemails is None


@pytest.mark.parametrize(
    ("event", "reread"),
    [
        (store("Voicemail", new=1), True),
        (store("VoiceMail", new=0, updated=1), True),
        (store("Voicemail", new=0, updated=0), False),
        (store("SMS", new=1), False),
        (MessageStoreEvent("42", None, ()), False),
    ],
)
def test_message_store_changes(event: MessageStoreEvent, reread: bool) -> None:
    tracker = MessageTracker("42")
    baseline(tracker, [])
    assert tracker.apply_message_store(event).reread is reread
    assert tracker.reread_needed is reread


def test_a_voicemail_notified_after_a_read_listed_it_is_announced() -> None:
    """Its store change arrived first (RingCentral does not order the notifications of different
    filters) and the read it asked for listed the voicemail; the voicemail's own notification, which
    arrived next, must still announce it, once (fresh chaos seed 5000: it was never announced)."""
    tracker = MessageTracker("42")
    baseline(tracker, [message("1", at=T0 - 3600)])
    new = message("2", at=T0 + 10)
    assert tracker.apply_message_store(store(new=1)).reread
    tracker.apply_reread(tracker.begin_reread(T0 + 11), [message("1", at=T0 - 3600), new])
    assert tracker.unread_voicemails == 2
    update = tracker.apply_voicemail(new)
    assert update.messages == (NewMessage("voicemail", new),)
    assert update.reread  # it counted once more at once: the read it asks for sets the count right
    baseline(tracker, [message("1", at=T0 - 3600), new], now=T0 + 12)
    assert tracker.unread_voicemails == 2
    assert tracker.apply_voicemail(new).messages == ()
    # Old news stays old: created before the read began, less the clock skew.
    assert tracker.apply_voicemail(message("1", at=T0 - 3600)).messages == ()


def test_a_read_older_than_a_change_is_not_used() -> None:
    tracker = MessageTracker("42")
    baseline(tracker, [message("1")])
    token = tracker.begin_reread(T0 + 5)
    tracker.apply_message_store(store(new=0, updated=1))  # read on the phone while we read
    update = tracker.apply_reread(token, [message("1")])
    assert update.reread
    assert not update.unread_changed
    assert tracker.reread_needed
    baseline(tracker, [], now=T0 + 6)
    assert tracker.unread_voicemails == 0


def test_a_read_older_than_an_applied_one_is_ignored() -> None:
    tracker = MessageTracker("42")
    first = tracker.begin_reread(T0)
    second = tracker.begin_reread(T0 + 1)
    tracker.apply_reread(second, [])
    assert tracker.apply_reread(first, [message("1")]) == tracker.apply_reread(first, [])
    assert tracker.unread_voicemails == 0


def test_resync_and_failed_reads_ask_for_a_read() -> None:
    tracker = MessageTracker("42")
    baseline(tracker, [])
    assert tracker.resync().reread
    tracker.begin_reread(T0 + 1)
    assert not tracker.reread_needed
    tracker.reread_failed()
    assert tracker.reread_needed


def test_memory_is_bounded() -> None:
    tracker = MessageTracker("42", max_remembered=2)
    for index in range(5):
        tracker.apply_sms(message(str(index), kind="SMS"))
    assert tracker.diagnostics() == {"unread_voicemails": None, "reread_needed": True, "remembered": 2}
    with pytest.raises(ValueError):
        MessageTracker("42", max_remembered=0)


# ---- properties ----------------------------------------------------------------------------------------


@dataclass
class World:
    """RingCentral's truth for one mailbox, the notifications on their way, and reads in flight."""

    tracker: MessageTracker
    now: float = T0
    unread: dict[str, Message] = field(default_factory=dict)
    made: int = 0
    pending: list[tuple[str, object]] = field(default_factory=list)
    reads: list[tuple[ReadToken, list[Message]]] = field(default_factory=list)
    announced: list[str] = field(default_factory=list)
    delivered: set[str] = field(default_factory=set)
    dropped: bool = False

    def apply(self, kind: str, payload: object) -> None:
        if kind == "voicemail":
            assert isinstance(payload, Message)
            self.delivered.add(payload.id)
            update = self.tracker.apply_voicemail(payload)
        elif kind == "sms":
            assert isinstance(payload, Message)
            update = self.tracker.apply_sms(payload)
        else:
            assert isinstance(payload, MessageStoreEvent)
            update = self.tracker.apply_message_store(payload)
            if payload.voicemail_changed:
                assert self.tracker.reread_needed  # a change is never forgotten
        self.announced += [n.message.id for n in update.messages]

    def step(self, op: str, pick: int) -> None:
        self.now += 1.0
        if op == "voicemail":
            self.made += 1
            new = message(f"vm{self.made}", at=self.now)
            self.unread[new.id] = new
            self.pending += [("voicemail", new), ("store", store(new=1))]
        elif op == "sms":
            self.made += 1
            self.pending += [
                ("sms", message(f"sms{self.made}", kind="SMS", at=self.now)),
                ("store", store("SMS")),
            ]
        elif op == "read_on_phone" and self.unread:
            self.unread.pop(sorted(self.unread)[pick % len(self.unread)])
            self.pending.append(("store", store(new=0, updated=1)))
        elif op in ("deliver", "duplicate", "drop") and self.pending:
            index = pick % len(self.pending)
            kind, payload = self.pending[index] if op == "duplicate" else self.pending.pop(index)
            if op != "drop":
                self.apply(kind, payload)
            self.dropped = self.dropped or op == "drop"
        elif op == "begin_read":
            self.reads.append(
                (self.tracker.begin_reread(self.now), sorted(self.unread.values(), key=lambda m: m.id))
            )
        elif op == "finish_read" and self.reads:
            token, snapshot = self.reads.pop(pick % len(self.reads))
            self.tracker.apply_reread(token, snapshot)
        elif op == "resync":
            assert self.tracker.resync().reread


OPS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "voicemail",
                "sms",
                "read_on_phone",
                "deliver",
                "duplicate",
                "drop",
                "begin_read",
                "finish_read",
                "resync",
            ]
        ),
        st.integers(0, 50),
    ),
    max_size=80,
)


@PROPERTIES
@given(ops=OPS)
def test_the_count_converges_after_a_read_that_began_after_the_last_change(
    ops: list[tuple[str, int]],
) -> None:
    world = World(MessageTracker("42", clock_skew=0.0))
    for op, pick in ops:
        world.step(op, pick)
    for kind, payload in world.pending:  # whatever is still on its way arrives
        world.apply(kind, payload)
    for token, snapshot in world.reads:  # and so do late answers of older reads
        world.tracker.apply_reread(token, snapshot)
    if not world.dropped and not world.tracker.reread_needed:
        # Nothing was lost and the tracker asks for no read: then it must be right already.
        assert world.tracker.unread_voicemails == len(world.unread)
    world.now += 1
    token = world.tracker.begin_reread(world.now)
    world.tracker.apply_reread(token, list(world.unread.values()))
    assert world.tracker.unread_voicemails == len(world.unread)
    assert not world.tracker.reread_needed


@PROPERTIES
@given(ops=OPS)
def test_each_message_is_announced_at_most_once(ops: list[tuple[str, int]]) -> None:
    world = World(MessageTracker("42", clock_skew=0.0))
    for op, pick in ops:
        world.step(op, pick)
    assert len(world.announced) == len(set(world.announced))


@PROPERTIES
@given(
    ops=st.lists(
        st.tuples(st.sampled_from(["voicemail", "sms", "deliver", "duplicate"]), st.integers(0, 50)),
        max_size=60,
    )
)
def test_without_reads_every_delivered_voicemail_is_announced(ops: list[tuple[str, int]]) -> None:
    """With nothing read yet (so nothing is known to be old), duplicates and reordering alone never
    hide a voicemail: each one delivered is announced, once."""
    world = World(MessageTracker("42"))
    for op, pick in ops:
        world.step(op, pick)
    announced_voicemails = {i for i in world.announced if i.startswith("vm")}
    assert announced_voicemails == world.delivered


@PROPERTIES
@given(ops=OPS)
def test_reads_never_hide_a_delivered_voicemail(ops: list[tuple[str, int]]) -> None:
    """Reads in any order with any delivery (none of it older than the clock skew): each voicemail
    whose notification arrived is announced, once, also when a read listed it first."""
    world = World(MessageTracker("42", clock_skew=1e6))
    for op, pick in ops:
        world.step(op, pick)
    announced_voicemails = [i for i in world.announced if i.startswith("vm")]
    assert sorted(announced_voicemails) == sorted(world.delivered)
