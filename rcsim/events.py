"""What the call engine, the message store and the directory publish, and the subscription layer delivers."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any, Literal, get_args

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

CALL_KINDS: frozenset[EventKind] = frozenset({"presence", "telephony"})
ALL_KINDS: frozenset[EventKind] = frozenset(get_args(EventKind))


class EventBus:
    """Synchronous fan-out from the call engine, the message store and the directory to the
    subscription layer (and whoever else listens).

    Listeners are called in the order they subscribed, for the kinds they subscribed to: the call
    events unless they ask for more (the subscription layer asks for every kind).
    """

    def __init__(self) -> None:
        self._listeners: list[tuple[Listener, frozenset[EventKind]]] = []

    def subscribe(self, listener: Listener, kinds: Collection[EventKind] = CALL_KINDS) -> Callable[[], None]:
        entry = (listener, frozenset(kinds))
        self._listeners.append(entry)
        return lambda: self._listeners.remove(entry)

    def publish(self, event: SimEvent) -> None:
        for listener, kinds in list(self._listeners):
            if event.kind in kinds:
                listener(event)
