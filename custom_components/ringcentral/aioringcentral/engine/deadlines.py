"""Deadlines: which extensions wait for something (`pending`), and when the earliest wait runs out.

An extension's waits (a presence gap, a telephony gap, a terminal settling, a call waiting for
presence to list it, sources agreeing on another phase) each end `settle` after they began. Only an
extension an entry point touched can change its waits, so only those are recomputed (`refresh`), and
each recomputed deadline goes on a heap of (deadline, extension id). Entries are never removed in
place: an extension owns the entry its `queued` deadline is (an identity check), which counts while
the extension is pending; a changed or dropped wait leaves a stale entry, skipped when it reaches the
top. `next` and `due` thus cost O(log n) per change, however many extensions wait.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from heapq import heapify, heappop, heappush
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .context import ExtensionRecord

# Stale heap entries tolerated beyond this many per pending extension before the heap is rebuilt.
_SLACK = 4


class Deadlines:
    """The pending extensions and a heap of their deadlines (see the module docstring)."""

    __slots__ = ("_heap", "pending", "settle", "stale")

    def __init__(self, settle: timedelta) -> None:
        self.settle = settle
        # Extensions with a deadline (units add them when a wait begins; `refresh` drops the ones
        # nothing waits for any more).
        self.pending: set[str] = set()
        # Extensions touched since their waits were last computed.
        self.stale: set[str] = set()
        self._heap: list[tuple[datetime, str]] = []

    def forget(self, extension_id: str) -> None:
        """The extension is dropped (its heap entries go stale with its record)."""
        self.pending.discard(extension_id)
        self.stale.discard(extension_id)

    def refresh(self, exts: dict[str, ExtensionRecord]) -> None:
        """Recompute `wait_from` of the extensions touched since the last refresh."""
        pending = self.pending
        heap = self._heap
        for ext_id in self.stale:
            ext = exts.get(ext_id)
            if ext is None:
                continue
            wait = earliest_wait(ext)
            if wait is None:
                pending.discard(ext_id)
                ext.queued = None
            elif ext.queued is None or wait is not ext.wait_from:
                deadline = wait + self.settle
                heappush(heap, (deadline, ext_id))
                ext.queued = deadline
            ext.wait_from = wait
        self.stale.clear()
        if len(heap) > _SLACK * (len(pending) + 16):
            # Each extension owns at most one entry: the rest are stale.
            self._heap = [entry for entry in heap if _owner(entry, exts) is not None]
            heapify(self._heap)

    def next(self, exts: dict[str, ExtensionRecord]) -> datetime | None:
        """The earliest deadline of a pending extension (call `refresh` first), None if none."""
        heap = self._heap
        while heap:
            entry = heap[0]
            owner = _owner(entry, exts)
            if owner is not None and entry[1] in self.pending:
                return entry[0]
            heappop(heap)
            if owner is not None:
                owner.queued = None
        return None

    def due(self, exts: dict[str, ExtensionRecord], now: datetime) -> list[ExtensionRecord]:
        """The pending extensions whose deadline is `now` or earlier, earliest first, each once; their
        entries leave the heap (a touched extension that still waits is queued again by `refresh`)."""
        heap = self._heap
        out: list[ExtensionRecord] = []
        while heap and heap[0][0] <= now:
            entry = heappop(heap)
            owner = _owner(entry, exts)
            if owner is not None:
                owner.queued = None
                if entry[1] in self.pending:
                    out.append(owner)
        return out


def _owner(entry: tuple[datetime, str], exts: dict[str, ExtensionRecord]) -> ExtensionRecord | None:
    """The entry's extension, if the entry is its current deadline (else the entry is stale)."""
    ext = exts.get(entry[1])
    return ext if ext is not None and ext.queued is entry[0] else None


def earliest_wait(ext: ExtensionRecord) -> datetime | None:
    """When the earliest of the extension's waits began (each ends `settle` later), None if none.
    A terminal's settle time does not run out while the presence stream waits for a gap
    (`settlement.settle`), so its end signal does not count then."""
    earliest = ext.pstream.waiting_since
    stream_waits = earliest is not None
    gap_since = ext.telephony.gap_since
    if gap_since is not None and (earliest is None or gap_since < earliest):
        earliest = gap_since
    # Unrolled (no tuple per call), in the order (end signal, wait for presence, disagreement):
    # among equal moments the first wins, as `min` would pick it.
    for call in ext.calls.values():
        if not stream_waits:
            moment = call.end_signal_at
            if moment is not None and (earliest is None or moment < earliest):
                earliest = moment
        moment = call.t_wait_since
        if moment is not None and (earliest is None or moment < earliest):
            earliest = moment
        moment = call.disagree_since
        if moment is not None and (earliest is None or moment < earliest):
            earliest = moment
    return earliest
