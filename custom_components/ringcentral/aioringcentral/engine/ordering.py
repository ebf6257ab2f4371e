"""Per-source ordering: each source's own numbering, and nothing else.

- Presence: `sequence` is per extension (platform facts, section 6: RingCentral's apps keep the
  highest per extension), so `PresenceStream` puts an extension's presences back in order: in-order
  ones apply at once, one after a gap waits until the gap fills or the settle time passes (then the
  stream gives up on order, newest wins, until the next snapshot).
- Telephony: `sequence` is comparable only per party (`party_in_order`). An extension's telephony
  numbering can still show that nothing was missed (`TelephonyNumbering`): while it does, telephony
  may lead (see `arbitration.py`).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

# Buffered presences per extension, and telephony gaps tracked per extension, before giving up.
MAX_BUFFER = 32

# What `PresenceStream.offer` decided.
APPLY = "apply"  # in order (or order given up): apply it now, then `drain`
STALE = "stale"  # a duplicate, or older than what was applied: drop it
HELD = "held"  # after a gap: it waits
OVERFLOW = "overflow"  # it waits, but too many do: `give_up` now


class PresenceStream[Item]:
    """Restores the order of one extension's presence notifications by `sequence`.

    A stream whose gap had to be given up on stops waiting (`contiguous` False: newest wins) until
    the next snapshot. After a snapshot (`jump`) a gap below the next notification may hold reordered
    ones sent after the snapshot: it waits the same way, but what is still missing then was lost
    before the snapshot, which covers it, so order is not given up.

    Each item handed out comes with its age: the engine operation it arrived in, or that of any item
    numbered after it that arrived earlier (sent after it, so it is no newer). A snapshot started after
    that operation is newer than the item, however late the item was applied.
    """

    __slots__ = ("buffer", "contiguous", "jump", "next", "waiting_since")

    def __init__(self) -> None:
        self.next: int | None = None
        self.buffer: dict[int, tuple[Item, int]] | None = None
        self.waiting_since: datetime | None = None
        self.contiguous = True
        self.jump = False

    def offer(self, seq: int, item: Item, op: int, now: datetime) -> str:
        """Where a presence numbered `seq`, arriving in operation `op`, goes."""
        if self.next is not None and seq < self.next:
            return STALE
        if self.buffer is not None and seq in self.buffer:
            return STALE
        if self.next is None or seq == self.next or not self.contiguous:
            self.jump = False
            self.next = seq + 1
            return APPLY
        if self.buffer is None:
            self.buffer = {}
        self.buffer[seq] = (item, op)
        if self.waiting_since is None:
            self.waiting_since = now
        return OVERFLOW if len(self.buffer) > MAX_BUFFER else HELD

    def age(self, seq: int, op: int) -> int:
        """The age of an item numbered `seq` that arrived in operation `op` (see the class)."""
        if not self.buffer:
            return op
        later = [received for other, (_, received) in self.buffer.items() if other > seq]
        return min(op, *later) if later else op

    def drain(self, now: datetime) -> Iterator[tuple[Item, int]]:
        """The buffered items now in order, each with its age (consume fully)."""
        while self.buffer and self.next is not None and self.next in self.buffer:
            seq = self.next
            item, received = self.buffer.pop(seq)
            self.next += 1
            yield item, self.age(seq, received)
        if not self.buffer:
            self.buffer = None
            self.waiting_since = None
        elif self.waiting_since is None:
            self.waiting_since = now

    def give_up(self) -> Iterator[tuple[Item, int]]:
        """Stop waiting for the gap: every buffered item in order (consume fully).

        Right after a snapshot the missing numbers were lost before it, which the snapshot covers:
        the stream starts at what arrived and keeps restoring order. The wait counts as under way
        until every item was handed out (terminals held back by it see all it held).
        """
        buffer = self.buffer or {}
        self.buffer = None
        self.contiguous = self.jump
        self.jump = False
        ordered = sorted(buffer)
        ages = [received for _, received in (buffer[seq] for seq in ordered)]
        for index in range(len(ages) - 2, -1, -1):
            ages[index] = min(ages[index], ages[index + 1])
        for seq, age in zip(ordered, ages, strict=True):
            self.next = seq + 1
            yield buffer[seq][0], age
        self.waiting_since = None

    def reset(self, op: int, *, pushed: bool) -> dict[int, Item]:
        """A snapshot started at operation `op` was applied: forget what it supersedes and return
        the buffered items that arrived after it started (they are newer: push them again).
        `pushed`: a presence arrived while the snapshot was read (the stream is not jumping)."""
        buffer = self.buffer or {}
        kept = {seq: item for seq, (item, received) in buffer.items() if received > op}
        superseded = [seq for seq, (_, received) in buffer.items() if received <= op]
        if superseded:
            # Anything numbered up to these was sent before the snapshot was read.
            self.next = max(self.next or 0, max(superseded) + 1)
        self.buffer = None
        self.waiting_since = None
        self.contiguous = True
        self.jump = not pushed
        return kept


class TelephonyNumbering:
    """Gaps in one extension's telephony `sequence` numbering (tracked only while it looks contiguous).

    RingCentral numbers telephony events per session, so an extension's numbering may be sparse: a
    gap too large to be a few lost notifications, or one that stays open for the settle time, marks it
    sparse (`sparse`) until the next snapshot. While the numbering shows no gap, telephony is in order.
    """

    __slots__ = ("contiguous", "gap_since", "missing", "next")

    def __init__(self) -> None:
        self.next: int | None = None
        self.missing: set[int] | None = None
        self.gap_since: datetime | None = None
        self.contiguous = True

    def track(self, seq: int | None, now: datetime) -> bool:
        """Note `seq`; True if it opened a gap to wait for (a deadline)."""
        if seq is None or not self.contiguous:
            return False
        if self.next is None:
            self.next = seq + 1
        elif seq >= self.next:
            gap = range(self.next, seq)
            if len(gap) + len(self.missing or ()) > MAX_BUFFER:
                self.sparse()  # numbered per session, not per extension
                return False
            self.next = seq + 1
            if gap:
                self.missing = (self.missing or set()) | set(gap)
                if self.gap_since is None:
                    self.gap_since = now
                    return True
        elif self.missing is not None and seq in self.missing:
            self.missing.discard(seq)
            if not self.missing:
                self.missing = None
                self.gap_since = None
        return False

    def in_order(self, seq: int | None) -> bool:
        """Whether an update numbered `seq` (already tracked) has no gap below it."""
        return seq is not None and self.contiguous and self.missing is None

    def sparse(self) -> None:
        """Stop waiting for gaps (until the next snapshot)."""
        self.contiguous = False
        self.missing = None
        self.gap_since = None

    def reset(self) -> None:
        """A snapshot re-read the extension: numbering starts afresh."""
        self.next = None
        self.missing = None
        self.gap_since = None
        self.contiguous = True


def party_in_order(last: int | None, seq: int | None) -> bool:
    """Whether a party update numbered `seq` is newer than the last one applied (`last`)."""
    return seq is None or last is None or seq > last
