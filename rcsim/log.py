"""The control API's log (`GET /sim/log`): requests received, logins, deliveries and faults, in order."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, overload

from .clock import SimClock

# Bounded: once past the limit the oldest entries go, a batch at a time (indices stay absolute).
MAX_ENTRIES = 20000
TRIM = 5000

Entry = dict[str, Any]


class SimLog(Sequence[Entry]):
    """Entries `{time, kind, ...}`, oldest first; as a sequence, the entries still kept."""

    def __init__(self, clock: SimClock) -> None:
        self._clock = clock
        self.entries: list[Entry] = []
        self.dropped = 0  # entries trimmed from the front, so log indices stay absolute
        self._listeners: list[Callable[[Entry], None]] = []

    def record(self, kind: str, **data: Any) -> None:
        """Append an entry (bounded, newest kept)."""
        entry = {"time": self._clock.iso(), "kind": kind, **data}
        self.entries.append(entry)
        if len(self.entries) > MAX_ENTRIES:
            del self.entries[:TRIM]
            self.dropped += TRIM
        for listener in list(self._listeners):
            listener(entry)

    def listen(self, listener: Callable[[Entry], None]) -> Callable[[], None]:
        """Call `listener(entry)` for every entry recorded from now on (trimming cannot hide any)."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    @overload
    def __getitem__(self, index: int) -> Entry: ...

    @overload
    def __getitem__(self, index: slice) -> list[Entry]: ...

    def __getitem__(self, index: int | slice) -> Entry | list[Entry]:
        return self.entries[index]

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)
