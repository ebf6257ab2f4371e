"""What the call engine publishes and the subscription layer delivers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

EventKind = Literal["presence", "telephony"]


@dataclass(frozen=True)
class SimEvent:
    """One change to publish.

    `presence`: `body` is a detailed presence body (with `sipData` and `activeCalls`) for `extension_id`;
    the subscription layer strips what a filter did not ask for (`sipData`, detailed fields).
    `telephony`: `body` is a telephony-session body whose `parties` are those `extension_id` may see;
    it is delivered to extension-level filters of `extension_id` and to account-level filters.
    """

    kind: EventKind
    extension_id: str
    body: dict[str, Any]


Listener = Callable[[SimEvent], None]


class EventBus:
    """Synchronous fan-out from the call engine to the subscription layer (and the log)."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def publish(self, event: SimEvent) -> None:
        for listener in list(self._listeners):
            listener(event)
