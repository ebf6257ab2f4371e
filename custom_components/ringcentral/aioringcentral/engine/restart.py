"""Restart memory: what one engine announced, handed to the engine that replaces it.

A restart may miss a call in its new baseline (presence hides it in the flicker and its session
could not be read), and a baseline is silent. So the calls an engine announced are saved on stop
(`CallStateEngine.announced_calls`, no numbers: extension, session and party ids and where the call's
announced history stood) and restored into the next engine: such a call, when seen again, moves on
from where its history stood (no second start event, and no step the user never saw announced),
or, saved without it, starts from a silent baseline. Forgotten once seen, or once a snapshot read its
session; bounded, so a call never seen again is not carried from restart to restart for ever.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Sequence

from .lifecycle import NEW
from .phases import PHASES
from .records import AnnouncedCall

# Calls remembered across a restart until seen again or their session was read.
MEMORY = 64
UNKNOWN = NEW  # announced, but where its history stood is not known (an entry of three ids)


class RestartMemory:
    """The calls an earlier engine announced and this one has not met yet: key -> lifecycle state."""

    __slots__ = ("_calls",)

    def __init__(self) -> None:
        self._calls: dict[tuple[str, str, str], str] = {}

    def restore(self, calls: Iterable[Sequence[str]]) -> None:
        """Take what `saved` produced (or entries of three ids: history unknown)."""
        restored: dict[tuple[str, str, str], str] = {}
        for call in calls:
            key = (str(call[0]), str(call[1]), str(call[2]))
            state = str(call[3]) if len(call) > 3 else UNKNOWN
            restored.setdefault(key, state if state in PHASES else UNKNOWN)
            if len(restored) >= MEMORY:
                break
        self._calls = restored

    def claim(self, extension_id: str, telephony_session_id: str, party_id: str) -> str | None:
        """A call of this engine is met for the first time: where its history stood if it was
        announced before the restart (`UNKNOWN`: announced, history unknown), else None."""
        return self._calls.pop((extension_id, telephony_session_id, party_id), None)

    def read_sessions(self, sessions: Container[str]) -> None:
        """A snapshot read these sessions: what they said about remembered calls was applied."""
        for key in [key for key in self._calls if key[1] in sessions]:
            del self._calls[key]

    def saved(self, live: Iterable[tuple[str, str, str, str]]) -> list[AnnouncedCall]:
        """`live` calls (extension, session, party, lifecycle state), then the remembered ones not
        met again, newest knowledge first, each once."""
        entries: dict[tuple[str, str, str], str] = {}
        for ext_id, tsid, party_id, state in live:
            entries.setdefault((ext_id, tsid, party_id), state)
        for key, state in self._calls.items():
            entries.setdefault(key, state)
        return [key if state not in PHASES else (*key, state) for key, state in entries.items()]
