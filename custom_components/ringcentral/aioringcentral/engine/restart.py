"""Restart memory: what one engine announced, handed to the engine that replaces it.

A restart may miss a call in its new baseline (presence hides it in the flicker and its session
could not be read), and a baseline is silent. So the calls an engine announced are saved on stop
(`CallStateEngine.announced_calls`, no numbers: extension, session and party ids) and restored into
the next engine: such a call, when seen again, starts from a silent baseline (no second start
event). Forgotten once seen, or once a snapshot read its session; bounded, so a call never seen
again is not carried from restart to restart for ever.
"""

from __future__ import annotations

from collections.abc import Container, Iterable

from .records import AnnouncedCall

# Calls remembered across a restart until seen again or their session was read.
MEMORY = 64


class RestartMemory:
    """The calls an earlier engine announced and this one has not met yet (an ordered set)."""

    __slots__ = ("_calls",)

    def __init__(self) -> None:
        self._calls: dict[AnnouncedCall, None] = {}

    def restore(self, calls: Iterable[AnnouncedCall]) -> None:
        """Take what `saved` produced."""
        restored = dict.fromkeys((str(ext_id), str(tsid), str(party_id)) for ext_id, tsid, party_id in calls)
        self._calls = dict.fromkeys(list(restored)[:MEMORY])

    def claim(self, extension_id: str, telephony_session_id: str, party_id: str) -> bool:
        """A call of this engine is met for the first time: whether it was announced before."""
        key = (extension_id, telephony_session_id, party_id)
        if key in self._calls:
            del self._calls[key]
            return True
        return False

    def read_sessions(self, sessions: Container[str]) -> None:
        """A snapshot read these sessions: what they said about remembered calls was applied."""
        for key in [key for key in self._calls if key[1] in sessions]:
            del self._calls[key]

    def saved(self, live: Iterable[AnnouncedCall]) -> list[AnnouncedCall]:
        """`live` calls, then the remembered ones not met again, newest knowledge first, each once."""
        return list(dict.fromkeys([*live, *self._calls]))
