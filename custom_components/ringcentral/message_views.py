"""What message entities show and the bus carries, in Home Assistant's vocabulary (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .aioringcentral.messages import NewMessage
from .views import NameLookup, no_name


@dataclass(frozen=True, slots=True)
class MessageEventData:
    """One new voicemail or SMS as the `message` event entity and `ringcentral_message` carry it."""

    type: str  # voicemail | sms
    extension_id: str
    message_id: str
    from_number: str | None
    from_name: str | None
    to: tuple[str, ...]
    duration: int | None
    text: str | None

    def attributes(self) -> dict[str, Any]:
        """The event entity's attributes (the bus event adds type, extension_id and device_id)."""
        return {
            "message_id": self.message_id,
            "from": self.from_number,
            "from_name": self.from_name,
            "to": list(self.to),
            "duration": self.duration,
            "text": self.text,
        }


@dataclass(frozen=True, slots=True)
class MessageUpdateData:
    """The payload of an extension's message signal: a new message (maybe none), the unread voicemail
    count (None: not read yet) and whether messages can be followed at all."""

    event: MessageEventData | None
    unread_voicemails: int | None
    available: bool


def message_event_data(
    extension_id: str, new: NewMessage, text: str | None, names: NameLookup = no_name
) -> MessageEventData:
    """A new message as event data; a sender name RingCentral did not send is looked up in `names`."""
    message = new.message
    return MessageEventData(
        type=new.kind,
        extension_id=extension_id,
        message_id=message.id,
        from_number=message.from_number,
        from_name=message.from_name or names(message.from_number),
        to=message.to_numbers,
        duration=message.duration if new.kind == "voicemail" else None,
        text=text,
    )
