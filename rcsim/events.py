"""What the call engine, the message store and the directory publish, and the subscription layer delivers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

EventKind = Literal["presence", "telephony", "message-store", "voicemail", "instant-message", "directory"]


@dataclass(frozen=True)
class SimEvent:
    """One change to publish.

    `presence`: `body` is a detailed presence body (with `sipData` and `activeCalls`) for `extension_id`;
    the subscription layer strips what a filter did not ask for (`sipData`, detailed fields).
    `telephony`: `body` is a telephony-session body whose `parties` are those `extension_id` may see;
    it is delivered to extension-level filters of `extension_id` and to account-level filters.
    `message-store`: a `MessageEvent` body (`changes[]`); `voicemail` / `instant-message`: the message
    (`VoicemailMessageEvent` / `InstantMessageEvent` bodies), all for the mailbox of `extension_id`.
    `directory`: a company-directory change (`contacts[]`); account-wide, `extension_id` is the account's id.
    """

    kind: EventKind
    extension_id: str
    body: dict[str, Any]


Listener = Callable[[SimEvent], None]


class EventBus:
    """Synchronous fan-out from the call engine and the message store to the subscription layer.

    Listeners are called in the order they subscribed.
    """

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def publish(self, event: SimEvent) -> None:
        for listener in list(self._listeners):
            listener(event)
