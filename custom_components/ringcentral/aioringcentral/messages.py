"""New voicemails and SMS, and the unread voicemail count, of one extension.

Pure and HA-free: no I/O, time passed in (`now`: epoch seconds, the clock RingCentral's
`creationTime` is compared with). `MessageTracker` is fed by the notification router and by REST
reads the caller makes when the tracker asks for them:

- The unread voicemail count comes from a REST read of the unread voicemails (`begin_reread`, the
  read, `apply_reread`). A message-store change about voicemail, a new voicemail, and a resync (the
  connection lost notifications) each make it ask for a re-read (`MessageUpdate.reread`,
  `reread_needed`). A read that began before the latest change may be stale: its count is not used
  and the need to re-read stays; a read older than one already applied is ignored. So the count
  equals RingCentral's as soon as a read that began after the last change has been applied.
  Between reads, a new unread voicemail adds one at once.
- Voicemail and inbound SMS notifications become `NewMessage`s, each message once: ids are
  remembered (the last `max_remembered`), and messages created before a read of the mailbox began
  (less `clock_skew`) are never announced, whatever arrives late or again. A read does not make a
  newer message old: a voicemail's notification may arrive after the read its store change asked
  for has listed it (RingCentral does not order the notifications of different filters).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from .models_messages import Message, MessageStoreEvent

DEFAULT_MAX_REMEMBERED: Final = 1000
# How far RingCentral's clock (message creation times) and ours may disagree.
DEFAULT_CLOCK_SKEW: Final = 300.0

MessageKind = Literal["voicemail", "sms"]


@dataclass(frozen=True, slots=True)
class NewMessage:
    """A message to announce: `kind` is `voicemail` or `sms`."""

    kind: MessageKind
    message: Message


@dataclass(frozen=True, slots=True)
class MessageUpdate:
    """What one input changed: messages to announce, whether the unread count changed, and whether
    the caller should re-read the unread voicemails."""

    messages: tuple[NewMessage, ...] = ()
    unread_changed: bool = False
    reread: bool = False


@dataclass(frozen=True, slots=True)
class ReadToken:
    """A read of the unread voicemails in progress (from `begin_reread`)."""

    serial: int
    generation: int  # changes seen when the read began
    started_at: float


_NOTHING: Final = MessageUpdate()


class MessageTracker:
    """One extension's new messages and unread voicemail count."""

    def __init__(
        self,
        extension_id: str,
        *,
        max_remembered: int = DEFAULT_MAX_REMEMBERED,
        clock_skew: float = DEFAULT_CLOCK_SKEW,
    ) -> None:
        if max_remembered < 1:
            raise ValueError("max_remembered must be positive")
        self.extension_id = extension_id
        self.max_remembered = max_remembered
        self.clock_skew = clock_skew
        self.unread_voicemails: int | None = None  # None until a read was applied
        self.reread_needed = True
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._generation = 0  # changes to the voicemail count seen so far
        self._serial = 0  # reads begun
        self._applied = 0  # serial of the newest read applied
        self._horizon: float | None = None  # messages created before this are old news

    # ---- the unread count --------------------------------------------------------------------------

    def begin_reread(self, now: float) -> ReadToken:
        """The caller starts reading the unread voicemails (`list_messages`)."""
        self._serial += 1
        self.reread_needed = False
        return ReadToken(self._serial, self._generation, now)

    def apply_reread(self, token: ReadToken, unread: Sequence[Message]) -> MessageUpdate:
        """The read's answer: the extension's unread voicemails."""
        # What was created before the read began (less the skew) is old: never announce it later.
        # Newer ones stay announceable: a listed voicemail's own notification may still be on its way.
        horizon = token.started_at - self.clock_skew
        self._horizon = horizon if self._horizon is None else max(self._horizon, horizon)
        if token.serial <= self._applied:
            return _NOTHING  # a newer read was applied already
        if token.generation != self._generation:
            self.reread_needed = True  # the count changed while it was read
            return MessageUpdate(reread=True)
        self._applied = token.serial
        count = sum(1 for m in unread if m.is_voicemail and m.unread)
        changed = count != self.unread_voicemails
        self.unread_voicemails = count
        return MessageUpdate(unread_changed=changed)

    def reread_failed(self) -> None:
        """The read failed: it is still needed."""
        self.reread_needed = True

    def resync(self) -> MessageUpdate:
        """Notifications may have been lost (connection `LOST` or `NEW`): re-read."""
        return self._count_changed()

    def _count_changed(self) -> MessageUpdate:
        self._generation += 1
        self.reread_needed = True
        return MessageUpdate(reread=True)

    # ---- notifications -------------------------------------------------------------------------------

    def apply_message_store(self, event: MessageStoreEvent) -> MessageUpdate:
        """A message-store change: about voicemail, the count must be read again."""
        return self._count_changed() if event.voicemail_changed else _NOTHING

    def apply_voicemail(self, message: Message) -> MessageUpdate:
        """A voicemail notification: announced once; an unread one counts at once."""
        if not self._is_new(message):
            return _NOTHING
        update = self._count_changed()
        changed = False
        if message.unread and self.unread_voicemails is not None:
            self.unread_voicemails += 1
            changed = True
        return MessageUpdate(
            (NewMessage("voicemail", message),), unread_changed=changed, reread=update.reread
        )

    def apply_sms(self, message: Message) -> MessageUpdate:
        """An instant (inbound) SMS notification: announced once."""
        if not self._is_new(message):
            return _NOTHING
        return MessageUpdate((NewMessage("sms", message),))

    def _is_new(self, message: Message) -> bool:
        """Whether to announce a message (and remember it either way)."""
        seen = message.id in self._seen
        self._remember(message.id)
        if seen or (message.direction is not None and not message.inbound):
            return False
        created = message.creation_time
        return self._horizon is None or created is None or created.timestamp() >= self._horizon

    def _remember(self, message_id: str) -> None:
        self._seen[message_id] = None
        self._seen.move_to_end(message_id)
        while len(self._seen) > self.max_remembered:
            self._seen.popitem(last=False)

    def diagnostics(self) -> dict[str, Any]:
        """Counts only: no numbers, names or text."""
        return {
            "unread_voicemails": self.unread_voicemails,
            "reread_needed": self.reread_needed,
            "remembered": len(self._seen),
        }
