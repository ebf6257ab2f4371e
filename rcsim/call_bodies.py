"""The bodies the call engine answers and publishes: presence and telephony sessions, over REST and
in notifications (schemas `GetPresenceInfo`, `CallSessionObject`, and the notification samples).

Id forms follow the schemas: every id is a string, except `extension.id` in the REST presence body,
which `GetPresenceInfo` types as an integer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .call_model import Party, Session
from .clock import SimClock
from .model import Extension
from .presence import aggregate_status, presence_status

# RingCentral keeps the latest 7 calls in a presence body's activeCalls.
MAX_ACTIVE_CALLS = 7
SERVER_ID = "10.62.25.111.TAM"
API_BASE = "https://platform.ringcentral.com"
SIP_DOMAIN = "sip.ringcentral.com"


def rest_presence(
    ext: Extension,
    live: Sequence[Party],
    account_id: str,
    clock: SimClock,
    *,
    detailed: bool,
    sip_data: bool,
) -> dict[str, Any]:
    """`GET .../extension/{id}/presence` for an extension whose calls not shown as NoCall are `live`."""
    aggregate = aggregate_status(p.presence_status for p in live)
    ext_uri = f"{API_BASE}/restapi/v1.0/account/{account_id}/extension/{ext.id}"
    body: dict[str, Any] = {
        "uri": f"{ext_uri}/presence",
        "extension": {
            "uri": ext_uri,
            "id": int(ext.id) if ext.id.isdigit() else ext.id,
            "extensionNumber": ext.extension_number,
        },
        "presenceStatus": presence_status(ext.user_status, ext.dnd_status, aggregate),
        "telephonyStatus": aggregate,
        "userStatus": ext.user_status,
        "dndStatus": ext.dnd_status,
        "meetingStatus": ext.meeting_status,
        "allowSeeMyPresence": True,
        "ringOnMonitoredCall": False,
        "pickUpCallsOnHold": False,
    }
    if detailed:
        body["activeCalls"] = [active_call(p, clock, sip_data=sip_data) for p in live[-MAX_ACTIVE_CALLS:]]
    return body


def presence_event(ext: Extension, calls: Sequence[Party], clock: SimClock) -> dict[str, Any]:
    """A detailed presence notification body (without `sequence`) for an extension's listed `calls`."""
    live = [p for p in calls if p.presence_status != "NoCall"]
    aggregate = aggregate_status(p.presence_status for p in live)
    return {
        "extensionId": ext.id,
        "telephonyStatus": aggregate,
        "activeCalls": [active_call(p, clock, sip_data=True) for p in calls[-MAX_ACTIVE_CALLS:]],
        "presenceStatus": presence_status(ext.user_status, ext.dnd_status, aggregate),
        "userStatus": ext.user_status,
        "dndStatus": ext.dnd_status,
        "meetingStatus": ext.meeting_status,
        "allowSeeMyPresence": True,
        "ringOnMonitoredCall": False,
        "pickUpCallsOnHold": False,
        "totalActiveCalls": len(live),
    }


def rest_session(session: Session, account_id: str, clock: SimClock) -> dict[str, Any]:
    """`GET .../telephony/sessions/{id}` (`CallSessionObject`)."""
    return {
        "id": session.telephony_session_id,
        "origin": {"type": session.origin},
        "creationTime": clock.iso(session.creation_time),
        "parties": [rest_party(p, account_id) for p in session.parties if p.code],
    }


def telephony_event(
    session: Session, ext: Extension, sequence: int, account_id: str, clock: SimClock
) -> dict[str, Any]:
    """A telephony-session notification body for `ext`: its own parties of the session only."""
    return {
        "sequence": sequence,
        "sessionId": session.session_id,
        "telephonySessionId": session.telephony_session_id,
        "serverId": SERVER_ID,
        "eventTime": clock.iso(),
        "accountId": account_id,
        "parties": [
            event_party(p, ext, account_id) for p in session.parties if p.code and p.extension is ext
        ],
        "origin": {"type": session.origin},
        "extensionId": ext.id,
    }


def active_call(party: Party, clock: SimClock, *, sip_data: bool) -> dict[str, Any]:
    """One entry of a presence body's `activeCalls`."""
    call: dict[str, Any] = {
        "id": party.presence_id,
        "direction": party.direction,
        "queueCall": party.queue_call,
        "from": party.from_.phone_number,
    }
    if party.from_.name is not None:
        call["fromName"] = party.from_.name
    call["to"] = party.to.phone_number
    if party.to.name is not None:
        call["toName"] = party.to.name
    call["telephonyStatus"] = party.presence_status
    if sip_data:
        local, remote = (party.to, party.from_) if party.direction == "Inbound" else (party.from_, party.to)
        call["sipData"] = {
            "toTag": party.to_tag,
            "fromTag": party.from_tag,
            "remoteUri": f"sip:{remote.phone_number}@{SIP_DOMAIN}",
            "localUri": f"sip:{local.phone_number}@{SIP_DOMAIN}",
        }
    call["sessionId"] = party.session.session_id
    call["startTime"] = clock.iso(party.start_time)
    call["partyId"] = party.id
    call["telephonySessionId"] = party.session.telephony_session_id
    if party.presence_ended:
        call["terminationType"] = "final"
    elif party.flicker:
        call["terminationType"] = "intermediate"
    return call


def party_status(party: Party) -> dict[str, Any]:
    """A party's `status` in telephony bodies."""
    status: dict[str, Any] = {"code": party.code}
    if party.reason is not None:
        status["reason"] = party.reason
    if party.peer is not None:
        status["peerId"] = {
            "sessionId": party.peer.session.session_id,
            "telephonySessionId": party.peer.session.telephony_session_id,
            "partyId": party.peer.id,
        }
    if party.park_id is not None and party.code == "Parked":
        status["parkData"] = f"*{party.park_id}"
    return status


def event_party(party: Party, ext: Extension, account_id: str) -> dict[str, Any]:
    """A party of a telephony-session notification sent to `ext`."""
    status = party_status(party)
    if party.code == "Proceeding" and party.direction == "Inbound":
        # Where RingCentral's desktop/mobile apps could pick the ringing call up.
        status["mobilePickupData"] = {
            "ccMailboxes": [ext.id],
            "to": f"#{ext.extension_number}@{SIP_DOMAIN}:5060",
            "sid": party.call_id,
            "srvLvl": "-149699523",
            "srvLvlExt": "390",
        }
    out: dict[str, Any] = {
        "sipData": {"callId": party.call_id, "toTag": party.to_tag, "fromTag": party.from_tag},
        "accountId": account_id,
        "extensionId": ext.id,
        "id": party.id,
        "direction": party.direction,
        "to": party.to.as_dict(),
        "from": party.from_.as_dict(),
        "status": status,
        "missedCall": party.missed_call,
        "standAlone": party.code in ("Hold", "Parked"),
        "muted": party.muted,
    }
    if party.queue_call:
        out["queueCall"] = True
    if party.park_id is not None and party.code == "Parked":
        out["park"] = {"id": party.park_id}
    return out


def rest_party(party: Party, account_id: str) -> dict[str, Any]:
    """A party of the REST `CallSessionObject`."""
    out: dict[str, Any] = {
        "id": party.id,
        "status": party_status(party),
        "muted": party.muted,
        "standAlone": party.code in ("Hold", "Parked"),
        "from": party.from_.as_dict(),
        "to": party.to.as_dict(),
        "direction": party.direction,
    }
    if party.extension is not None:
        out["owner"] = {"accountId": account_id, "extensionId": party.extension.id}
    if party.park_id is not None and party.code == "Parked":
        out["park"] = {"id": party.park_id}
    return out
