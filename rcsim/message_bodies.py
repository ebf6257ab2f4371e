"""The bodies the message store answers and publishes: REST messages (`GetMessageInfoResponse`), and
the message-store, voicemail and instant-message notifications (schemas `MessageEvent`,
`VoicemailMessageEvent`, `InstantMessageEvent`, and the official samples).

Where the spec and the samples disagree, the spec's types win (they are validated): message and
attachment ids are integers in REST bodies and attachment ids integers in notifications (the samples
quote them), and a notification spells the voicemail type `Voicemail` (the spec's enum; REST says
`VoiceMail`, and so does the voicemail sample).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .call_bodies import API_BASE
from .clock import SimClock
from .message_model import TEXT, VOICEMAIL, Address, StoredMessage

# `changes[].type` of a message-store notification, by REST message type.
CHANGE_TYPES = {VOICEMAIL: "Voicemail", "SMS": "SMS", "Fax": "Fax", "Pager": "Pager"}


def message_uri(base: str, account_id: str, message: StoredMessage) -> str:
    return (
        f"{base}/restapi/v1.0/account/{account_id}/extension/{message.extension_id}"
        f"/message-store/{message.id}"
    )


def _address(address: Address, *, extension_id: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if address.phone_number is not None:
        out["phoneNumber"] = address.phone_number
    if address.extension_number is not None:
        out["extensionNumber"] = address.extension_number
    if extension_id and address.extension_id is not None:
        out["extensionId"] = address.extension_id
    if address.name is not None:
        out["name"] = address.name
    return out


def _attachments(message: StoredMessage, uri: str, *, size: bool) -> list[dict[str, Any]]:
    out = []
    for attachment in message.attachments:
        item: dict[str, Any] = {
            "id": int(attachment.id),
            "uri": f"{uri}/content/{attachment.id}",
            "type": attachment.type,
            "contentType": attachment.content_type,
        }
        if attachment.vm_duration is not None:
            item["vmDuration"] = attachment.vm_duration
        if size and attachment.type == TEXT:
            item["size"] = len(attachment.content)
        out.append(item)
    return out


def rest_message(
    message: StoredMessage, base: str, account_id: str, clock: SimClock, *, sent: bool = False
) -> dict[str, Any]:
    """`GetMessageInfoResponse`: one record of the message list, or the message itself; `sent`:
    the answer to sending an SMS (`GetSMSMessageInfoResponse`, which has no `extensionId`)."""
    uri = message_uri(base, account_id, message)
    body: dict[str, Any] = {"uri": uri, "id": int(message.id)}
    if not sent:
        body["extensionId"] = message.extension_id
    body |= {
        "to": [_address(a, extension_id=True) for a in message.to],
        "from": _address(message.from_, extension_id=True),
        "type": message.type,
        "creationTime": clock.iso(message.creation_time),
        "readStatus": message.read_status,
        "priority": "Normal",
        "attachments": _attachments(message, uri, size=True),
        "direction": message.direction,
        "availability": "Alive",
        "messageStatus": message.message_status,
        "lastModifiedTime": clock.iso(message.last_modified),
    }
    if message.subject is not None:
        body["subject"] = message.subject
    if message.conversation_id is not None:
        body["conversationId"] = int(message.conversation_id)
        body["conversation"] = {
            "id": message.conversation_id,
            "uri": f"{base}/restapi/v1.0/conversation/{message.conversation_id}",
        }
    if message.transcription_status is not None:
        body["vmTranscriptionStatus"] = message.transcription_status
    return body


def voicemail_event(message: StoredMessage, account_id: str, clock: SimClock) -> dict[str, Any]:
    """A voicemail notification body (`…/voicemail`): the new message, as the sample shows it."""
    uri = message_uri(API_BASE, account_id, message)
    return {
        "id": message.id,
        "to": [{"name": a.name} if a.name is not None else {} for a in message.to],
        "from": _address(message.from_, extension_id=False),
        "type": CHANGE_TYPES[VOICEMAIL],
        "creationTime": clock.iso(message.creation_time),
        "readStatus": message.read_status,
        "priority": "Normal",
        "attachments": _attachments(message, uri, size=False),
        "direction": message.direction,
        "availability": "Alive",
        "messageStatus": message.message_status,
        "lastModifiedTime": clock.iso(message.last_modified),
        "vmTranscriptionStatus": message.transcription_status,
    }


def instant_event(message: StoredMessage, account_id: str, clock: SimClock) -> dict[str, Any]:
    """An instant-message notification body (`…/message-store/instant?type=SMS`): an inbound SMS."""
    uri = message_uri(API_BASE, account_id, message)
    body: dict[str, Any] = {
        "id": message.id,
        "to": [{"phoneNumber": a.phone_number} for a in message.to if a.phone_number is not None],
        "from": _address(message.from_, extension_id=False),
        "type": message.type,
        "creationTime": clock.iso(message.creation_time),
        "lastModifiedTime": clock.iso(message.last_modified),
        "readStatus": message.read_status,
        "priority": "Normal",
        "attachments": _attachments(message, uri, size=True),
        "direction": message.direction,
        "availability": "Alive",
        "subject": message.subject or "",
        "messageStatus": message.message_status,
    }
    if message.conversation_id is not None:
        body["conversationId"] = message.conversation_id
    return body


def message_store_event(
    extension_id: str, account_id: str, changes: Sequence[tuple[str, int, int]], clock: SimClock
) -> dict[str, Any]:
    """A message-store notification body: per changed message type, how many are new and updated."""
    return {
        "accountId": account_id,
        "extensionId": extension_id,
        "lastUpdated": clock.iso(),
        "changes": [
            {"type": CHANGE_TYPES.get(kind, kind), "newCount": new, "updatedCount": updated}
            for kind, new, updated in changes
        ],
    }
