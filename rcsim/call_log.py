"""The call log: every extension's finished calls (`GET …/extension/{id}/call-log`).

`CallLog` listens to the telephony events on the bus, as the platform's own records are made from
call legs: a party of an extension is followed from its first status to its end (`Disconnected` or
`Gone`), then recorded with its direction, ends, start, duration (from the first status to the end,
simulated seconds) and result: `Voicemail` (it went to voicemail), `Accepted` / `Call connected`
(answered, inbound / outbound), `Missed` (inbound, never answered), `No Answer` (outbound).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from .clock import SimClock
from .events import EventBus, SimEvent

# Records kept per extension (the oldest go first), and calls followed at once.
MAX_RECORDS = 1000
MAX_OPEN = 1000


@dataclass
class CallRecord:
    """One finished call leg of one extension."""

    id: str
    extension_id: str
    telephony_session_id: str
    session_id: str
    direction: str
    from_: dict[str, Any]  # {phoneNumber, name?, extensionId?} as the telephony party shows it
    to: dict[str, Any]
    start: float
    answered: float | None = None
    voicemail: bool = False
    end: float | None = None

    @property
    def result(self) -> str:
        if self.voicemail:
            return "Voicemail"
        if self.answered is not None:
            return "Accepted" if self.direction == "Inbound" else "Call connected"
        return "Missed" if self.direction == "Inbound" else "No Answer"

    @property
    def duration(self) -> int:
        return round((self.end or self.start) - self.start)


class CallLog:
    """Finished calls per extension, newest first."""

    def __init__(self, *, clock: SimClock, bus: EventBus) -> None:
        self._clock = clock
        self._open: OrderedDict[tuple[str, str], CallRecord] = OrderedDict()
        self._records: dict[str, OrderedDict[str, CallRecord]] = {}
        self._counter = 0
        self._unsubscribe = bus.subscribe(self._on_event)

    def records(self, extension_id: str) -> list[CallRecord]:
        return list(reversed(self._records.get(extension_id, {}).values()))

    def _on_event(self, event: SimEvent) -> None:
        if event.kind != "telephony":
            return
        body = event.body
        now = self._clock.now()
        for party in body.get("parties", ()):
            key = (event.extension_id, str(party.get("id")))
            record = self._open.get(key)
            if record is None:
                record = self._open[key] = CallRecord(
                    id=self._next_id(),
                    extension_id=event.extension_id,
                    telephony_session_id=str(body.get("telephonySessionId")),
                    session_id=str(body.get("sessionId")),
                    direction=str(party.get("direction")),
                    from_=dict(party.get("from") or {}),
                    to=dict(party.get("to") or {}),
                    start=now,
                )
                while len(self._open) > MAX_OPEN:
                    self._open.popitem(last=False)
            code = (party.get("status") or {}).get("code")
            if code == "Answered" and record.answered is None:
                record.answered = now
            elif code == "VoiceMail":
                record.voicemail = True
            elif code in ("Disconnected", "Gone"):
                record.end = now
                del self._open[key]
                finished = self._records.setdefault(event.extension_id, OrderedDict())
                finished[record.id] = record
                while len(finished) > MAX_RECORDS:
                    finished.popitem(last=False)

    def _next_id(self) -> str:
        # RingCentral's call-log ids are opaque strings.
        self._counter += 1
        return f"IkHM{self._counter:011d}"


def call_log_record(record: CallRecord, extension_uri: str, clock: SimClock) -> dict[str, Any]:
    """One record of the call-log list (schema `CallLogRecord`, simple view)."""
    ext_id = record.extension_id
    return {
        "uri": f"{extension_uri}/call-log/{record.id}",
        "id": record.id,
        "sessionId": record.session_id,
        "telephonySessionId": record.telephony_session_id,
        "startTime": clock.iso(record.start),
        "duration": record.duration,
        "type": "Voice",
        "direction": record.direction,
        "action": "Phone Call",
        "result": record.result,
        "to": dict(record.to),
        "from": dict(record.from_),
        "extension": {"uri": extension_uri, "id": int(ext_id) if ext_id.isdigit() else ext_id},
        "transport": "PSTN",
        "lastModifiedTime": clock.iso(record.end or record.start),
    }
