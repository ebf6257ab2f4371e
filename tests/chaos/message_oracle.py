"""What the simulator's message store did, what the observer heard of it, and the message checks.

`MessageLog` listens on the simulator's bus for the message kinds (voicemail, instant-message,
message-store; `SimLog` hears only the call kinds). Every message notification gets an index on one
counter with the resyncs the observer reports, so "was this change followed by a resync" is a
comparison. The observer tells it what reached it (`heard`), when a connection may have lost
notifications (`forgive`, for catching up only) and when it resynced (`resynced`).

The checks, once the run is quiet (docs/chaos.md, "Messages"):
- (a) each monitored extension's unread voicemail count equals the simulator's store, unless the
  notifications of its last voicemail change were all lost and no resync followed them (a message
  notification has no sequence number: such a loss cannot be noticed);
- (b) each voicemail / inbound SMS is announced at most once, only for a monitored extension, with
  its kind; and it is announced when its own notification (voicemail / instant SMS) reached the
  observer. One whose notification never arrived may be missing: a resync re-reads only the count;
- (c) (Home Assistant) `missed_calls` equals the number of distinct calls with a `missed` event.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rcsim import Simulator
from rcsim.events import EventKind, SimEvent

MESSAGE_KINDS: tuple[EventKind, ...] = ("voicemail", "instant-message", "message-store")
KIND_OF = {"voicemail": "voicemail", "instant-message": "sms"}


@dataclass(frozen=True)
class Announcement:
    """One message an observer announced."""

    extension_id: str
    kind: str  # voicemail or sms
    message_id: str


@dataclass
class Published:
    """One message notification the simulator published."""

    index: int
    kind: str
    extension_id: str
    key: tuple[str, ...]
    voicemail_change: bool
    message_id: str | None = None
    event: SimEvent | None = None
    copy: bool = False  # the same message published again (a redelivery under a new uuid)


def body_key(body: Mapping[str, Any]) -> tuple[str, ...]:
    """What identifies a message notification's body, as published and as heard."""
    if "changes" in body:  # message-store: no id, but its time and changes
        return (
            "store",
            str(body.get("extensionId")),
            str(body.get("lastUpdated")),
            json.dumps(body["changes"]),
        )
    return ("message", str(body.get("id")))


@dataclass
class MessageLog:
    """Every message notification the simulator published, and what the observer heard of them."""

    counter: int = 0
    published: list[Published] = field(default_factory=list)
    # Index of each published notification that was heard -> the counter when it first arrived.
    heard_at: dict[int, int] = field(default_factory=dict)
    resyncs: list[int] = field(default_factory=list)  # counter values at which the observer resynced
    duplicates: int = 0  # message notifications heard again (the uuid told no repeat)
    _by_key: dict[tuple[str, ...], list[int]] = field(default_factory=dict)
    _unheard: set[int] = field(default_factory=set)
    _watched: set[str] = field(default_factory=set)
    _sim: Simulator | None = None

    def attach(self, sim: Simulator, watched: Iterable[str]) -> None:
        self._sim = sim
        self._watched = set(watched)
        sim.state.bus.subscribe(self._on_event, kinds=MESSAGE_KINDS)

    def _on_event(self, event: SimEvent) -> None:
        self.counter += 1
        body = event.body
        key = body_key(body)
        changes = body.get("changes") or []
        copy = "changes" not in body and key in self._by_key
        item = Published(
            self.counter,
            event.kind,
            event.extension_id,
            key,
            voicemail_change=(event.kind == "voicemail" and not copy)
            or any(
                str(c.get("type")).lower() == "voicemail" and (c.get("newCount") or c.get("updatedCount"))
                for c in changes
            ),
            message_id=None if "changes" in body else str(body.get("id")),
            event=event,
            copy=copy,
        )
        self.published.append(item)
        self._by_key.setdefault(key, []).append(item.index)
        if event.extension_id in self._watched:
            self._unheard.add(item.index)

    # -- what the observer reports ---------------------------------------------------------------

    def heard(self, body: Any) -> None:
        """A notification body reached the observer (any body: call ones are ignored)."""
        if not isinstance(body, dict):
            return
        indices = self._by_key.get(body_key(body), ())
        # Copies are alike: this delivery is of one still awaited, if any (others may be lost).
        awaited = [i for i in indices if i in self._unheard]
        for index in awaited or indices:
            if index not in self.heard_at:
                self.heard_at[index] = self.counter
                self._unheard.discard(index)
                return
        if indices:
            self.duplicates += 1

    def forgive(self) -> None:
        """A connection that may have lost notifications: nothing published so far is awaited."""
        self._unheard.clear()

    def resynced(self) -> None:
        """The observer re-read the call state (and so asks its message reads again)."""
        self.counter += 1
        self.resyncs.append(self.counter)

    def unheard(self) -> list[int]:
        return sorted(self._unheard)

    def caught_up(self) -> bool:
        """Every message notification about a watched extension reached the observer (or was forgiven)."""
        return not self._unheard

    # -- the simulator's truth --------------------------------------------------------------------

    def unread_voicemails(self, extension_id: str) -> int:
        assert self._sim is not None
        return sum(
            1
            for m in self._sim.state.messages.messages(extension_id)
            if m.type == "VoiceMail" and m.read_status == "Unread" and m.direction == "Inbound"
        )

    def count_may_be_stale(self, extension_id: str) -> bool:
        """Whether the extension's last voicemail change may be unknown to the observer: no
        notification about a voicemail change of the extension arrived after it happened, and no
        resync followed it (either makes the observer read the count again)."""
        changes = [p for p in self.published if p.extension_id == extension_id and p.voicemail_change]
        if not changes:
            return False
        start = changes[-1].index
        if len(changes) > 1 and changes[-2].kind == "voicemail" and changes[-2].index == start - 1:
            start -= 1  # a new voicemail: its voicemail notification, then its store change
        if any(self.heard_at.get(p.index, -1) >= start for p in changes):
            return False
        return not any(at > start for at in self.resyncs)

    def messages(self, extension_ids: Iterable[str]) -> dict[str, Published]:
        """Every voicemail / inbound SMS published for these extensions, by message id (the first
        publication of each)."""
        wanted = set(extension_ids)
        return {
            p.message_id: p
            for p in self.published
            if p.kind in KIND_OF and p.message_id is not None and p.extension_id in wanted and not p.copy
        }

    def message_heard_as_news(self, origin: Published) -> bool:
        """Whether a delivery of the message's own notification reached the observer before the
        observer re-read the mailbox after the message came (a resync). One heard only after such a
        read (a late redelivery, the original lost) is old news to it: the product never announces a
        message created before a read began (`MessageTracker`, README), so it may be missing."""
        reread = min((r for r in self.resyncs if r > origin.index), default=None)
        return any(
            index in self.heard_at and (reread is None or self.heard_at[index] < reread)
            for index in self._by_key.get(origin.key, ())
        )


@dataclass
class MessageStats:
    """How often a run met the allowances of the checks (for the sweep's figures)."""

    messages: int = 0
    duplicates: int = 0  # message notifications delivered twice
    announced: int = 0
    not_heard: int = 0  # messages whose notification never arrived (allowed missing)
    stale_counts: int = 0  # extensions whose count may be stale (allowed)
    counts: int = 0
    missed_calls: int = 0


def check_counts(
    log: MessageLog, shown: Mapping[str, int | None], stats: MessageStats | None = None
) -> list[str]:
    """(a): each monitored extension's unread voicemail count against the store."""
    problems = []
    for ext_id, count in shown.items():
        if log.count_may_be_stale(ext_id):
            if stats is not None:
                stats.stale_counts += 1
            continue
        if stats is not None:
            stats.counts += 1
        truth = log.unread_voicemails(ext_id)
        if count != truth:
            problems.append(f"extension {ext_id}: unread_voicemails is {count!r}, truth {truth}")
    return problems


def check_announcements(
    log: MessageLog,
    announced: Iterable[Announcement],
    *,
    monitored: Iterable[str],
    what: str = "announced",
    stats: MessageStats | None = None,
) -> list[str]:
    """(b): each message at most once, only for monitored extensions, every one that was heard."""
    monitored = set(monitored)
    every = log.messages(p.extension_id for p in log.published)
    problems = []
    seen: dict[str, int] = {}
    for item in announced:
        seen[item.message_id] = seen.get(item.message_id, 0) + 1
        origin = every.get(item.message_id)
        if origin is None:
            problems.append(f"{what} {item}: a message the simulator never delivered")
        elif item.extension_id != origin.extension_id or item.kind != KIND_OF[origin.kind]:
            problems.append(f"{what} {item}: it was a {KIND_OF[origin.kind]} for {origin.extension_id}")
        if item.extension_id not in monitored:
            problems.append(f"{what} {item}: the extension is not monitored")
    problems += [f"{what} message {mid} {n} times" for mid, n in seen.items() if n > 1]
    for message_id, origin in log.messages(monitored).items():
        if message_id in seen:
            continue
        if log.message_heard_as_news(origin):
            problems.append(
                f"{KIND_OF[origin.kind]} {message_id} for {origin.extension_id} reached the observer "
                f"(notification {origin.index}) but was never {what}; resyncs at {log.resyncs}"
            )
        elif stats is not None:
            stats.not_heard += 1
    if stats is not None:
        stats.duplicates = log.duplicates + sum(
            1 for p in log.published if p.copy and p.index in log.heard_at
        )
        stats.messages += len(log.messages(monitored))
        stats.announced += len(seen)
    return problems
