"""Finished calls, derived from the call events every extension already receives (pure).

The engine reports each call as a sequence of events ending in exactly one `missed` or `ended`; this
remembers, per call, what happened before its end (answered, sent to voicemail), so the end can be told
as one finished call with its result. `missed_calls` and `last_caller` are built on it; nothing here
reaches into the engine.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .const import RECENT_CALLS, RESULT_ANSWERED, RESULT_MISSED, RESULT_UNANSWERED, RESULT_VOICEMAIL
from .views import CallEventData

# Calls still going on that are remembered (an extension rarely has more than a few at once; the
# oldest is forgotten first, and its end is then told without the history).
_OPEN_CALLS = 32

type CallKey = tuple[str | None, str | None]


@dataclass(frozen=True, slots=True)
class FinishedCall:
    """One finished call of an extension, as `recent_calls` lists it."""

    direction: str | None
    from_number: str | None
    from_name: str | None
    to_number: str | None
    to_name: str | None
    start: datetime
    duration: float | None
    result: str

    @property
    def inbound(self) -> bool:
        return self.direction == "inbound"

    @property
    def caller(self) -> str | None:
        """The caller's name, else the number."""
        return self.from_name or self.from_number

    def as_dict(self) -> dict[str, Any]:
        return {
            "direction": self.direction,
            "from": self.from_number,
            "from_name": self.from_name,
            "to": self.to_number,
            "to_name": self.to_name,
            "start": self.start.isoformat(),
            "duration": self.duration,
            "result": self.result,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FinishedCall | None:
        """A call `as_dict` wrote (e.g. restored after a restart); None when it does not parse."""
        try:
            start = datetime.fromisoformat(str(data["start"]))
            duration = data.get("duration")
            return cls(
                direction=_opt_str(data.get("direction")),
                from_number=_opt_str(data.get("from")),
                from_name=_opt_str(data.get("from_name")),
                to_number=_opt_str(data.get("to")),
                to_name=_opt_str(data.get("to_name")),
                start=start,
                duration=None if duration is None else float(duration),
                result=str(data["result"]),
            )
        except (KeyError, TypeError, ValueError):
            return None


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def call_key(event: CallEventData) -> CallKey:
    """What identifies one call of one extension across its events."""
    return (event.telephony_session_id, event.party_id)


class RecentCalls:
    """The last finished calls of one extension, and what the calls still going on went through."""

    def __init__(self, size: int = RECENT_CALLS) -> None:
        self.calls: deque[FinishedCall] = deque(maxlen=size)
        # Per open call: whether it was answered, whether it went to voicemail.
        self._open: OrderedDict[CallKey, tuple[bool, bool]] = OrderedDict()
        # `calls` as dicts, made once per call (each state write lists them all).
        self._dicts: deque[dict[str, Any]] = deque(maxlen=size)

    def restore(self, calls: Iterable[FinishedCall]) -> None:
        """The finished calls known before a restart, oldest first."""
        for call in calls:
            self.calls.append(call)
            self._dicts.append(call.as_dict())

    def apply(self, event: CallEventData, at: datetime) -> FinishedCall | None:
        """Take one call event (fired at `at`); the finished call when it was the call's end."""
        key = call_key(event)
        answered, voicemail = self._open.pop(key, (False, False))
        if event.type not in ("missed", "ended"):
            answered = answered or event.type == "answered"
            voicemail = voicemail or event.type == "voicemail"
            self._open[key] = (answered, voicemail)
            while len(self._open) > _OPEN_CALLS:
                self._open.popitem(last=False)
            return None
        call = FinishedCall(
            direction=event.direction,
            from_number=event.from_number,
            from_name=event.from_name,
            to_number=event.to_number,
            to_name=event.to_name,
            start=at - timedelta(seconds=event.duration or 0.0),
            duration=event.duration,
            result=_result(event, answered=answered, voicemail=voicemail),
        )
        self.calls.append(call)
        self._dicts.append(call.as_dict())
        return call

    def as_list(self) -> list[dict[str, Any]]:
        """The finished calls, newest first (a new list of dicts that are shared: never to be changed)."""
        return list(reversed(self._dicts))


def _result(event: CallEventData, *, answered: bool, voicemail: bool) -> str:
    """How a call ended: `missed` is an inbound call never answered here (voicemail when the caller
    was sent there); any other inbound end was answered (here, or picked up elsewhere)."""
    if event.type == "missed":
        return RESULT_VOICEMAIL if voicemail else RESULT_MISSED
    if event.direction == "outbound" and not answered:
        return RESULT_UNANSWERED
    return RESULT_ANSWERED
