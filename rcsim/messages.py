"""The message store: every extension's voicemails and text messages, and the notifications they cause.

`MessageStore` is the ground truth for mailboxes. Each change publishes on the event bus:
- a new voicemail: a `voicemail` event (the message), then a `message-store` change
  (`Voicemail`, newCount 1);
- an inbound SMS: an `instant-message` event, then a `message-store` change (`SMS`, newCount 1);
- an outbound SMS: a `message-store` change (`SMS`, newCount 1) in the sender's mailbox (and, when
  sent to another extension's direct number, an inbound SMS in that mailbox);
- a read status that changes (REST `PUT`, or "read on the phone" through the control API): a
  `message-store` change (updatedCount 1).

Voicemails come from calls: the store listens to the telephony events on the bus, and a party of an
extension that went to `VoiceMail` and then ended leaves a voicemail whose duration is the time in
between (with a transcription unless `transcribe` is off). The assembly subscribes the store after
the subscription manager, so a call's end is delivered before the voicemail it left.
"""

from __future__ import annotations

import random
from collections import OrderedDict
from typing import Any

from .clock import SimClock
from .events import EventBus, SimEvent
from .log import SimLog
from .message_bodies import instant_event, message_store_event, voicemail_event
from .message_model import (
    AUDIO_RECORDING,
    AUDIO_TRANSCRIPTION,
    READ,
    SMS,
    TEXT,
    UNREAD,
    VOICEMAIL,
    Address,
    Attachment,
    StoredMessage,
    silent_wav,
)
from .model import Account, Extension

# Messages kept per mailbox (the oldest go first), and calls being recorded at once.
MAX_MESSAGES = 1000
MAX_RECORDING = 1000

_TRANSCRIPTS: tuple[str, ...] = (
    "Hi, it's Jane. Please call me back when you get a chance.",
    "Hello, this is ACME Deliveries: your parcel is at the front desk.",
    "Hey, just checking about tomorrow's meeting. Talk soon.",
)


class MessageStore:
    """Mailboxes of the account's extensions."""

    def __init__(
        self, *, clock: SimClock, account: Account, bus: EventBus, log: SimLog, rng: random.Random
    ) -> None:
        self._clock = clock
        self._account = account
        self._bus = bus
        self._log = log
        self._rng = rng
        self.transcribe = True  # voicemails left by calls get a transcription
        self._mailboxes: dict[str, OrderedDict[str, StoredMessage]] = {}
        self._next_id = 82063400004
        self._conversations: dict[frozenset[str], str] = {}
        # (extension, party) of calls now in voicemail -> (when it started, the caller)
        self._recording: OrderedDict[tuple[str, str], tuple[float, dict[str, Any]]] = OrderedDict()
        self._unsubscribe = bus.subscribe(self._on_event)

    # ---- reading ---------------------------------------------------------------------------------

    def messages(self, extension_id: str) -> list[StoredMessage]:
        """An extension's messages, newest first."""
        mailbox = self._mailboxes.get(extension_id)
        return list(reversed(mailbox.values())) if mailbox else []

    def get(self, extension_id: str, message_id: str) -> StoredMessage | None:
        mailbox = self._mailboxes.get(extension_id)
        return mailbox.get(message_id) if mailbox else None

    def find(self, message_id: str) -> StoredMessage | None:
        """A message of any mailbox."""
        for mailbox in self._mailboxes.values():
            if message_id in mailbox:
                return mailbox[message_id]
        return None

    # ---- changes -----------------------------------------------------------------------------------

    def leave_voicemail(
        self,
        ext: Extension,
        *,
        from_number: str,
        from_name: str | None = None,
        duration: int,
        transcription: str | None = None,
    ) -> StoredMessage:
        message = self._new(
            ext,
            VOICEMAIL,
            "Inbound",
            Address(from_number, from_name),
            (Address(name=ext.name),),
            message_status="Received",
        )
        message.vm_duration = max(1, duration)
        message.transcription = transcription
        message.attachments.append(
            Attachment(message.id, AUDIO_RECORDING, "audio/x-wav", silent_wav(duration), message.vm_duration)
        )
        if transcription is not None:
            message.attachments.append(
                Attachment(self._id(), AUDIO_TRANSCRIPTION, "text/plain", transcription.encode())
            )
        self._publish(SimEvent("voicemail", ext.id, voicemail_event(message, self._account.id, self._clock)))
        self._changed(ext.id, VOICEMAIL, new=1)
        return message

    def receive_sms(
        self, ext: Extension, *, from_number: str, text: str, from_name: str | None = None
    ) -> StoredMessage:
        """An SMS arrives at the extension's direct number."""
        to = Address(ext.phone_number, ext.name)
        message = self._sms(ext, "Inbound", Address(from_number, from_name), (to,), text, status="Received")
        self._publish(
            SimEvent("instant-message", ext.id, instant_event(message, self._account.id, self._clock))
        )
        self._changed(ext.id, SMS, new=1)
        return message

    def send_sms(
        self, ext: Extension, *, from_number: str, to_numbers: list[str], text: str
    ) -> StoredMessage:
        """An SMS the extension sends (numbers already checked); inside the account it is delivered."""
        sender = Address(from_number, ext.name, ext.extension_number, ext.id)
        recipients = tuple(self._addressed(number) for number in to_numbers)
        message = self._sms(ext, "Outbound", sender, recipients, text, status="Queued")
        message.read_status = READ
        self._changed(ext.id, SMS, new=1)
        for number in to_numbers:
            target = self._by_direct_number(number)
            if target is not None and target is not ext:
                self.receive_sms(target, from_number=from_number, text=text, from_name=ext.name)
        return message

    def set_read_status(self, message: StoredMessage, read_status: str) -> bool:
        """Mark a message read or unread; False when it already was."""
        if read_status not in (READ, UNREAD):
            raise ValueError(f"read status must be {READ} or {UNREAD}")
        if message.read_status == read_status:
            return False
        message.read_status = read_status
        message.last_modified = self._clock.now()
        self._log.record("message", action="read_status", message_id=message.id, read_status=read_status)
        self._changed(message.extension_id, message.type, updated=1)
        return True

    # ---- voicemail from calls ----------------------------------------------------------------------

    def _on_event(self, event: SimEvent) -> None:
        if event.kind != "telephony":
            return
        ext = self._account.extensions.get(event.extension_id)
        if ext is None:
            return
        for party in event.body.get("parties", ()):
            key = (ext.id, str(party.get("id")))
            code = (party.get("status") or {}).get("code")
            if code == "VoiceMail" and key not in self._recording:
                self._recording[key] = (self._clock.now(), party.get("from") or {})
                while len(self._recording) > MAX_RECORDING:
                    self._recording.popitem(last=False)
            elif code in ("Disconnected", "Gone") and key in self._recording:
                started, caller = self._recording.pop(key)
                self.leave_voicemail(
                    ext,
                    from_number=str(caller.get("phoneNumber") or "anonymous"),
                    from_name=caller.get("name"),
                    duration=round(self._clock.now() - started),
                    transcription=self._rng.choice(_TRANSCRIPTS) if self.transcribe else None,
                )

    # ---- internals ---------------------------------------------------------------------------------

    def _id(self) -> str:
        self._next_id += 10
        return str(self._next_id)

    def _new(
        self,
        ext: Extension,
        kind: str,
        direction: str,
        from_: Address,
        to: tuple[Address, ...],
        *,
        message_status: str,
    ) -> StoredMessage:
        now = self._clock.now()
        message = StoredMessage(
            id=self._id(),
            extension_id=ext.id,
            type=kind,
            direction=direction,
            from_=from_,
            to=to,
            creation_time=now,
            last_modified=now,
            read_status=UNREAD,
            message_status=message_status,
        )
        mailbox = self._mailboxes.setdefault(ext.id, OrderedDict())
        mailbox[message.id] = message
        while len(mailbox) > MAX_MESSAGES:
            mailbox.popitem(last=False)
        self._log.record("message", action="stored", message_id=message.id, type=kind, direction=direction)
        return message

    def _sms(
        self,
        ext: Extension,
        direction: str,
        from_: Address,
        to: tuple[Address, ...],
        text: str,
        *,
        status: str,
    ) -> StoredMessage:
        message = self._new(ext, SMS, direction, from_, to, message_status=status)
        message.subject = text
        numbers = [from_.phone_number or "", *(a.phone_number or "" for a in to)]
        message.conversation_id = self._conversation(frozenset(numbers))
        message.attachments.append(Attachment(message.id, TEXT, "text/plain", text.encode()))
        return message

    def _conversation(self, numbers: frozenset[str]) -> str:
        found = self._conversations.get(numbers)
        if found is None:
            found = self._conversations[numbers] = str(7876416245344257449 + len(self._conversations))
        return found

    def _addressed(self, number: str) -> Address:
        target = self._by_direct_number(number)
        if target is None:
            return Address(number)
        return Address(number, target.name, target.extension_number, target.id)

    def _by_direct_number(self, number: str) -> Extension | None:
        return next((e for e in self._account.extensions.values() if e.phone_number == number), None)

    def _changed(self, extension_id: str, kind: str, *, new: int = 0, updated: int = 0) -> None:
        body = message_store_event(extension_id, self._account.id, [(kind, new, updated)], self._clock)
        self._publish(SimEvent("message-store", extension_id, body))

    def _publish(self, event: SimEvent) -> None:
        self._bus.publish(event)
