"""Typed, immutable views of messages, SMS and phone numbers: REST answers (message store, SMS,
phone numbers) and notification bodies (message-store changes, voicemail and instant messages).
Names (directory entries, contacts) are in `models_names`.

The same rules as `models`: ids are `str`, enum-like values stay plain `str` (compare with
`status_is`: the spec spells the voicemail type `Voicemail` in notifications, REST says `VoiceMail`),
missing optional fields are `None`, and an unusable payload raises `ParseError`. Parsing is pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .errors import ParseError
from .models.codes import status_is
from .models.readers import _list, _mapping, _opt_int, _opt_str, _opt_strs, _opt_time, _req_str

TYPE_VOICEMAIL = "VoiceMail"
TYPE_SMS = "SMS"
READ_STATUS_UNREAD = "Unread"
READ_STATUS_READ = "Read"
FEATURE_SMS_SENDER = "SmsSender"
ATTACHMENT_TRANSCRIPTION = "AudioTranscription"
ATTACHMENT_RECORDING = "AudioRecording"
TRANSCRIPTION_COMPLETED = "Completed"


# --- phone numbers and SMS ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PhoneNumber:
    """One of an extension's numbers (`GET …/extension/{id}/phone-number`) and what it can do."""

    number: str
    usage_type: str | None
    type: str | None
    features: tuple[str, ...]
    id: str | None = None

    @property
    def sms_sender(self) -> bool:
        """Whether SMS may be sent from this number (feature `SmsSender`)."""
        return any(status_is(feature, FEATURE_SMS_SENDER) for feature in self.features)

    @classmethod
    def from_dict(cls, raw: Any, what: str = "phoneNumber") -> PhoneNumber:
        data = _mapping(raw, what)
        features = []
        for index, item in enumerate(_list(data, "features", what)):
            if not isinstance(item, str):
                raise ParseError(f"{what}.features[{index}]: expected a string")
            features.append(item)
        usage_type, number_type, number_id = _opt_strs(data, what, "usageType", "type", "id")
        return cls(
            number=_req_str(data, "phoneNumber", what),
            usage_type=usage_type,
            type=number_type,
            features=tuple(features),
            id=number_id,
        )


@dataclass(frozen=True, slots=True)
class SmsResult:
    """What RingCentral answered a sent SMS with: the new message's id and its delivery status."""

    message_id: str
    status: str | None

    @classmethod
    def from_dict(cls, raw: Any) -> SmsResult:
        what = "sms"
        data = _mapping(raw, what)
        return cls(message_id=_req_str(data, "id", what), status=_opt_str(data, "messageStatus", what))


# --- messages ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MessageAttachment:
    """A message's content: a voicemail recording or transcription, or an SMS's text."""

    id: str
    type: str | None
    content_type: str | None
    vm_duration: int | None = None

    @classmethod
    def from_dict(cls, raw: Any, what: str = "attachment") -> MessageAttachment:
        data = _mapping(raw, what)
        kind, content_type = _opt_strs(data, what, "type", "contentType")
        return cls(
            id=_req_str(data, "id", what),
            type=kind,
            content_type=content_type,
            vm_duration=_opt_int(data, "vmDuration", what),
        )


@dataclass(frozen=True, slots=True)
class Message:
    """A message of the message store: a REST record, or a voicemail / instant-SMS notification body.

    `duration` is a voicemail's length in seconds; `text` is an SMS's text (`subject`). A voicemail's
    transcription is an attachment (`transcription_attachment`): read it with
    `MessagesApi.get_transcription`.
    """

    id: str
    type: str | None
    direction: str | None
    from_number: str | None
    from_name: str | None
    to_numbers: tuple[str, ...]
    read_status: str | None
    creation_time: datetime | None
    duration: int | None
    text: str | None
    transcription_status: str | None = None
    attachments: tuple[MessageAttachment, ...] = ()
    message_status: str | None = None
    to_names: tuple[str, ...] = ()

    @property
    def is_voicemail(self) -> bool:
        return status_is(self.type, TYPE_VOICEMAIL)

    @property
    def is_sms(self) -> bool:
        return status_is(self.type, TYPE_SMS)

    @property
    def unread(self) -> bool:
        return status_is(self.read_status, READ_STATUS_UNREAD)

    @property
    def inbound(self) -> bool:
        return status_is(self.direction, "Inbound")

    @property
    def transcription_attachment(self) -> MessageAttachment | None:
        """The transcription of a voicemail, when RingCentral made one."""
        if not status_is(self.transcription_status, TRANSCRIPTION_COMPLETED):
            return None
        return next((a for a in self.attachments if status_is(a.type, ATTACHMENT_TRANSCRIPTION)), None)

    @classmethod
    def from_dict(cls, raw: Any) -> Message:
        what = "message"
        data = _mapping(raw, what)
        sender = _mapping(data.get("from") or {}, f"{what}.from")
        from_number, from_extension, from_name = _opt_strs(
            sender, f"{what}.from", "phoneNumber", "extensionNumber", "name"
        )
        to_numbers: list[str] = []
        to_names: list[str] = []
        for index, item in enumerate(_list(data, "to", what)):
            where = f"{what}.to[{index}]"
            number, extension_number, name = _opt_strs(
                _mapping(item, where), where, "phoneNumber", "extensionNumber", "name"
            )
            if number or extension_number:
                to_numbers.append(number or extension_number or "")
            if name:
                to_names.append(name)
        attachments = tuple(
            MessageAttachment.from_dict(item, f"{what}.attachments[{index}]")
            for index, item in enumerate(_list(data, "attachments", what))
        )
        kind, direction, read_status, subject, transcription, status = _opt_strs(
            data, what, "type", "direction", "readStatus", "subject", "vmTranscriptionStatus", "messageStatus"
        )
        recording = next((a for a in attachments if a.vm_duration is not None), None)
        return cls(
            id=_req_str(data, "id", what),
            type=kind,
            direction=direction,
            from_number=from_number or from_extension,
            from_name=from_name,
            to_numbers=tuple(to_numbers),
            read_status=read_status,
            creation_time=_opt_time(data, "creationTime", what),
            duration=None if recording is None else recording.vm_duration,
            text=None if status_is(kind, TYPE_VOICEMAIL) else subject,
            transcription_status=transcription,
            attachments=attachments,
            message_status=status,
            to_names=tuple(to_names),
        )


def parse_message(body: Any) -> Message:
    """Parse a message-store record, or a voicemail / instant-message notification body."""
    return Message.from_dict(body)


@dataclass(frozen=True, slots=True)
class MessageStoreChange:
    """How many messages of one type are new, and how many changed (read, deleted...)."""

    type: str | None
    new_count: int
    updated_count: int

    @property
    def is_voicemail(self) -> bool:
        return status_is(self.type, TYPE_VOICEMAIL)


@dataclass(frozen=True, slots=True)
class MessageStoreEvent:
    """A message-store notification body: what changed in an extension's mailbox."""

    extension_id: str | None
    last_updated: datetime | None
    changes: tuple[MessageStoreChange, ...]

    @property
    def voicemail_changed(self) -> bool:
        """A voicemail arrived or changed: the unread voicemail count may differ now."""
        return any(c.is_voicemail and (c.new_count or c.updated_count) for c in self.changes)

    @classmethod
    def from_dict(cls, raw: Any, *, extension_id: str | None = None) -> MessageStoreEvent:
        what = "messageStore"
        data = _mapping(raw, what)
        changes = []
        for index, item in enumerate(_list(data, "changes", what)):
            where = f"{what}.changes[{index}]"
            change = _mapping(item, where)
            changes.append(
                MessageStoreChange(
                    type=_opt_str(change, "type", where),
                    new_count=_opt_int(change, "newCount", where) or 0,
                    updated_count=_opt_int(change, "updatedCount", where) or 0,
                )
            )
        body_extension = _opt_str(data, "extensionId", what)
        return cls(
            extension_id=body_extension if body_extension not in (None, "", "~") else extension_id,
            last_updated=_opt_time(data, "lastUpdated", what),
            changes=tuple(changes),
        )


def parse_message_store_event(body: Any, *, extension_id: str | None = None) -> MessageStoreEvent:
    """Parse a message-store notification body (`extension_id`: when the body names none)."""
    return MessageStoreEvent.from_dict(body, extension_id=extension_id)
