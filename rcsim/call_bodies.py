"""How the parties of a call appear in presence and telephony-session bodies, notifications and REST."""

from __future__ import annotations

from typing import Any

from .call_model import Party
from .clock import SimClock
from .model import Extension

SIP_DOMAIN = "sip.ringcentral.com"


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
