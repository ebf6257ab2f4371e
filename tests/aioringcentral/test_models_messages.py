"""Parsing messages, message-store changes, directory changes, numbers and contacts: the official
samples, both spellings RingCentral uses, and payloads of the wrong shape (`ParseError`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from custom_components.ringcentral.aioringcentral.errors import ParseError
from custom_components.ringcentral.aioringcentral.filters import FilterKind
from custom_components.ringcentral.aioringcentral.models import parse_notification
from custom_components.ringcentral.aioringcentral.models_messages import (
    MessageStoreChange,
    PhoneNumber,
    SmsResult,
    parse_message,
    parse_message_store_event,
)
from custom_components.ringcentral.aioringcentral.models_names import (
    Contact,
    DirectoryEntry,
    parse_directory_event,
)
from tests.rcsim.spec_support import sample


def test_voicemail_sample() -> None:
    notification = parse_notification(sample("voicemail-message.json"))
    assert notification.kind == FilterKind.VOICEMAIL
    message = parse_message(notification.body)
    assert (message.id, message.type, message.direction, message.read_status) == (
        "82063400004",
        "VoiceMail",
        "Inbound",
        "Unread",
    )
    assert (message.from_number, message.from_name) == ("+18664320079", "Jane Doe")
    assert (message.to_numbers, message.to_names) == ((), ("John Doe",))
    assert message.duration == 3
    assert message.text is None
    assert message.creation_time == datetime(2018, 2, 28, 10, 5, 55, tzinfo=UTC)
    assert message.is_voicemail
    assert message.unread
    assert message.inbound
    # "Completed", but the sample carries no transcription attachment to read.
    assert message.transcription_status == "Completed"
    assert message.transcription_attachment is None


def test_instant_message_sample() -> None:
    notification = parse_notification(sample("instant-message.json"))
    assert notification.kind == FilterKind.INSTANT_MESSAGE
    message = parse_message(notification.body)
    assert message.is_sms
    assert not message.is_voicemail
    assert (message.text, message.from_number, message.from_name) == (
        "Hi there",
        "+14157809227",
        "John Smith",
    )
    assert message.to_numbers == ("+16508974563",)
    assert message.duration is None
    assert message.attachments[0].type == "Text"


def test_message_store_sample() -> None:
    notification = parse_notification(sample("message.json"))
    assert notification.kind == FilterKind.MESSAGE_STORE
    event = parse_message_store_event(notification.body)
    assert event.extension_id == "406149828004"
    assert event.changes == (
        MessageStoreChange("Pager", 0, 1),
        MessageStoreChange("SMS", 1, 0),
        MessageStoreChange(None, 0, 0),  # the sample's "..." entry
    )
    assert not event.voicemail_changed


@pytest.mark.parametrize(
    ("change", "voicemail_changed"),
    [
        ({"type": "Voicemail", "newCount": 1, "updatedCount": 0}, True),
        ({"type": "VoiceMail", "newCount": 0, "updatedCount": 1}, True),
        ({"type": "Voicemail", "newCount": 0, "updatedCount": 0}, False),
        ({"type": "SMS", "newCount": 3, "updatedCount": 1}, False),
        ({"type": "Voicemail", "newCount": "2"}, True),
    ],
)
def test_voicemail_changes(change: dict[str, Any], voicemail_changed: bool) -> None:
    event = parse_message_store_event({"changes": [change]}, extension_id="42")
    assert event.voicemail_changed is voicemail_changed
    assert event.extension_id == "42"


def test_directory_sample() -> None:
    notification = parse_notification(sample("company-directory.json"))
    assert notification.kind == FilterKind.DIRECTORY
    event = parse_directory_event(notification.body)
    [change] = event.changes
    assert change.event_type == "Update"
    assert not change.deleted
    assert change.entry == DirectoryEntry("8798797945", "John Smith", ("+12345672134",), "103", "User")


def test_a_deleted_entry_may_carry_only_its_id() -> None:
    event = parse_directory_event({"contacts": [{"eventType": "Delete", "id": 77}]})
    assert event.changes[0].deleted
    assert event.changes[0].entry == DirectoryEntry("77", None, ())


def test_rest_records() -> None:
    number = PhoneNumber.from_dict(
        {
            "id": 1045512008,
            "phoneNumber": "+16505550101",
            "usageType": "DirectNumber",
            "features": ["SmsSender"],
        }
    )
    assert (number.id, number.sms_sender, number.type) == ("1045512008", True, None)
    assert not PhoneNumber.from_dict({"phoneNumber": "+1", "features": ["CallerId"]}).sms_sender
    assert SmsResult.from_dict({"id": 82063400014, "messageStatus": "Queued"}) == SmsResult(
        "82063400014", "Queued"
    )
    assert Contact.from_dict(
        {"id": 5, "firstName": "Esther", "mobilePhone": "+1720", "businessFax": "+1"}
    ) == Contact("5", "Esther", ("+1720",))
    assert Contact.from_dict({"id": 6, "company": "Plumbing Co"}).name == "Plumbing Co"
    assert DirectoryEntry.from_dict({"id": "8", "firstName": "Ann", "lastName": "Lee"}).name == "Ann Lee"
    internal = parse_message(
        {"id": 1, "from": {"extensionNumber": "102", "name": "Bob"}, "to": [{"extensionNumber": "101"}]}
    )
    assert (internal.from_number, internal.to_numbers) == ("102", ("101",))


@pytest.mark.parametrize(
    ("parse", "payload", "where"),
    [
        (parse_message, [], "message"),
        (parse_message, {"type": "SMS"}, "message.id"),
        (parse_message, {"id": 1, "to": {"phoneNumber": "+1"}}, "message.to"),
        (parse_message, {"id": 1, "from": "+1"}, "message.from"),
        (parse_message, {"id": 1, "attachments": [{"type": "Text"}]}, "attachments[0].id"),
        (parse_message, {"id": 1, "creationTime": "yesterday"}, "creationTime"),
        (parse_message_store_event, {"changes": [{"newCount": "many"}]}, "changes[0]"),
        (parse_message_store_event, {"changes": "all"}, "changes"),
        (parse_directory_event, {"contacts": [{"name": "x"}]}, "contacts[0].id"),
        (PhoneNumber.from_dict, {"phoneNumber": "+1", "features": [1]}, "features[0]"),
        (PhoneNumber.from_dict, {"features": []}, "phoneNumber"),
        (SmsResult.from_dict, {"messageStatus": "Queued"}, "sms.id"),
    ],
)
def test_wrong_shapes_name_the_field(parse: Any, payload: Any, where: str) -> None:
    with pytest.raises(ParseError, match=rf"{where.replace('[', r'\[').replace(']', r'\]')}"):
        parse(payload)
