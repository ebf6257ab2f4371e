"""What a mailbox holds: voicemails and text messages, with their attachments (plain data).

Shared by the message store (`messages.py`), the bodies it answers and publishes
(`message_bodies.py`) and the REST resources (`rest_messages.py`).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

VOICEMAIL = "VoiceMail"  # the REST spelling (`messageType`, `type`)
SMS = "SMS"
READ = "Read"
UNREAD = "Unread"
READ_STATUSES: tuple[str, ...] = (READ, UNREAD)
MESSAGE_TYPES: tuple[str, ...] = ("Fax", SMS, VOICEMAIL, "Pager", "Text")
DIRECTIONS: tuple[str, ...] = ("Inbound", "Outbound")
# RingCentral's longest SMS text (longer texts are refused).
MAX_SMS_LENGTH = 1000
# Recipients of one message (RingCentral's group-message limit).
MAX_RECIPIENTS = 10

AUDIO_RECORDING = "AudioRecording"
AUDIO_TRANSCRIPTION = "AudioTranscription"
TEXT = "Text"


@dataclass(frozen=True)
class Address:
    """A `from` / `to` end of a message."""

    phone_number: str | None = None
    name: str | None = None
    extension_number: str | None = None
    extension_id: str | None = None


@dataclass(frozen=True)
class Attachment:
    """A message's content: the recording, its transcription, or an SMS's text."""

    id: str
    type: str  # AudioRecording | AudioTranscription | Text
    content_type: str
    content: bytes
    vm_duration: int | None = None


@dataclass
class StoredMessage:
    """One message of one extension's mailbox."""

    id: str
    extension_id: str
    type: str  # VoiceMail | SMS
    direction: str  # Inbound | Outbound
    from_: Address
    to: tuple[Address, ...]
    creation_time: float
    last_modified: float
    read_status: str
    message_status: str  # Received | Queued | Sent | Delivered ...
    subject: str | None = None
    conversation_id: str | None = None
    vm_duration: int | None = None
    transcription: str | None = None
    attachments: list[Attachment] = field(default_factory=list)

    @property
    def transcription_status(self) -> str | None:
        """`vmTranscriptionStatus` of a voicemail (None for other messages)."""
        if self.type != VOICEMAIL:
            return None
        return "Completed" if self.transcription is not None else "NotAvailable"

    def attachment(self, attachment_id: str) -> Attachment | None:
        return next((a for a in self.attachments if a.id == attachment_id), None)


def silent_wav(seconds: int) -> bytes:
    """A valid, silent 8 kHz 8-bit mono WAV (stands in for a voicemail recording; at most 2 s kept)."""
    samples = b"\x80" * (8000 * min(seconds, 2))
    header = b"RIFF" + struct.pack("<I", 36 + len(samples)) + b"WAVE"
    fmt = b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, 8000, 8000, 1, 8)
    return header + fmt + b"data" + struct.pack("<I", len(samples)) + samples
