"""Hand-written engine inputs for the table tests: presence and telephony bodies, an engine, a clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from custom_components.ringcentral.aioringcentral.engine import CallStateEngine, EngineUpdate
from custom_components.ringcentral.aioringcentral.models import (
    Presence,
    TelephonySessionEvent,
    parse_presence,
    parse_telephony_session,
)

from .engine_harness import START

EXT = "101"
TSID = "s-1"
PARTY = "p-1"


def at(seconds: float) -> datetime:
    return START + timedelta(seconds=seconds)


def presence(seq: int | None, *calls: dict[str, Any], ext: str = EXT, **fields: Any) -> Presence:
    """A detailed presence body; calls are `activeCalls` entries."""
    live = [c["telephonyStatus"] for c in calls if c.get("telephonyStatus") not in (None, "NoCall")]
    body: dict[str, Any] = {
        "extensionId": ext,
        "telephonyStatus": live[0] if live else "NoCall",
        "activeCalls": list(calls),
        "presenceStatus": "Available",
        "userStatus": "Available",
        "dndStatus": "TakeAllCalls",
        **fields,
    }
    if seq is not None:
        body["sequence"] = seq
    return parse_presence(body, detailed=True)


def entry(
    status: str, *, tsid: str = TSID, party: str = PARTY, direction: str = "Inbound", **extra: Any
) -> dict[str, Any]:
    return {
        "id": f"{tsid}-{party}",
        "direction": direction,
        "from": "+15550001",
        "fromName": "Caller",
        "to": "+15550002",
        "toName": "Me",
        "telephonyStatus": status,
        "telephonySessionId": tsid,
        "partyId": party,
        "sessionId": "9",
        "startTime": "2024-05-01T12:00:00.000Z",
        **extra,
    }


def telephony(
    seq: int | None,
    code: str,
    *,
    ext: str = EXT,
    tsid: str = TSID,
    party: str = PARTY,
    direction: str = "Inbound",
    event_time: str = "2024-05-01T12:00:00.000Z",
    **status: Any,
) -> TelephonySessionEvent:
    """A telephony-session body with one party of `ext`."""
    party_body: dict[str, Any] = {
        "id": party,
        "extensionId": ext,
        "direction": direction,
        "from": {"phoneNumber": "+15550001", "name": "Caller"},
        "to": {"phoneNumber": "+15550002", "name": "Me", "extensionId": ext},
        "status": {"code": code, **{k: v for k, v in status.items() if k != "missedCall"}},
    }
    if "missedCall" in status:
        party_body["missedCall"] = status["missedCall"]
    body: dict[str, Any] = {
        "telephonySessionId": tsid,
        "sessionId": "9",
        "eventTime": event_time,
        "parties": [party_body],
    }
    if seq is not None:
        body["sequence"] = seq
    return parse_telephony_session(body)


def engine_for(
    *, presence_source: bool = True, telephony_source: bool = True, settle: float = 3.0
) -> CallStateEngine:
    engine = CallStateEngine(settle_seconds=settle)
    engine.set_monitored(
        [EXT, "102"],
        presence=[EXT, "102"] if presence_source else [],
        telephony=[EXT, "102"] if telephony_source else [],
    )
    return engine


def types(update: EngineUpdate) -> list[str]:
    return [event.type for event in update.events]


def run(engine: CallStateEngine, *items: Presence | TelephonySessionEvent, start: float = 0.0) -> list[str]:
    events: list[str] = []
    for index, item in enumerate(items):
        now = at(start + index * 0.1)
        if isinstance(item, Presence):
            events.extend(types(engine.apply_presence(item, now)))
        else:
            events.extend(types(engine.apply_telephony(item, now)))
    return events


def rest_presence(*calls: dict[str, Any], ext: str = EXT, **fields: Any) -> Presence:
    return presence(None, *calls, ext=ext, **fields)


def session(code: str, *, tsid: str = TSID, party: str = PARTY, ext: str = EXT) -> TelephonySessionEvent:
    """A REST telephony session (`GET .../telephony/sessions/{id}`) with one party of `ext`."""
    return parse_telephony_session(
        {"id": tsid, "parties": [{"id": party, "status": {"code": code}, "owner": {"extensionId": ext}}]}
    )


def snapshot(
    engine: CallStateEngine, *calls: dict[str, Any], sessions: dict[str, Any] | None = None, when: float = 0.0
) -> list[str]:
    """A resync of `EXT` reading these calls (and sessions) at once; the event types it fires."""
    token = engine.begin_snapshot()
    return types(engine.apply_snapshot(token, {EXT: rest_presence(*calls)}, sessions or {}, at(when)))
