"""Notification fault injection: drop, duplicate, reorder and delay notifications before delivery.

Consults the simulator's `Faults.notifications` for every notification about to go to a subscription, on any
transport, and decrements its `remaining` budget for each notification it looks at while active.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from .clock import SimClock
from .faults import Faults
from .log import SimLog

# A reordered notification is held until the subscription's next one, or at most this long (sim seconds).
REORDER_MAX_HOLD = 2.0

Send = Callable[[str, dict[str, Any]], None]


class NotificationFaultPipeline:
    """Sits between event routing and the transports; `send(subscription_id, notification)` delivers."""

    def __init__(self, faults: Faults, clock: SimClock, log: SimLog, send: Send) -> None:
        self._faults = faults
        self._clock = clock
        self._log = log
        self._send = send
        self._held: dict[str, tuple[dict[str, Any], asyncio.TimerHandle]] = {}
        self._timers: set[asyncio.TimerHandle] = set()

    def submit(self, subscription_id: str, notification: dict[str, Any]) -> None:
        faults = self._faults.notifications
        if not faults.active:
            self._emit(subscription_id, notification)
            return
        if faults.remaining is not None:
            faults.remaining -= 1
        rng = self._faults.rng
        if faults.drop and rng.random() < faults.drop:
            self._note("drop", subscription_id, notification)
            return
        copies = 2 if faults.duplicate and rng.random() < faults.duplicate else 1
        if copies == 2:
            self._note("duplicate", subscription_id, notification)
        if faults.reorder and subscription_id not in self._held and rng.random() < faults.reorder:
            self._note("reorder", subscription_id, notification)
            hold = max(faults.delay, REORDER_MAX_HOLD)
            handle = self._call_later(hold, self._release, subscription_id)
            self._held[subscription_id] = (notification, handle)
            return
        delay = rng.uniform(0.0, faults.delay) if faults.delay else 0.0
        for _ in range(copies):
            if delay > 0:
                self._note("delay", subscription_id, notification)
                self._call_later(delay, self._emit, subscription_id, notification)
            else:
                self._emit(subscription_id, notification)

    def forget(self, subscription_id: str) -> None:
        """Drop what is held for a subscription that no longer exists."""
        held = self._held.pop(subscription_id, None)
        if held is not None:
            held[1].cancel()
            self._timers.discard(held[1])

    def close(self) -> None:
        for handle in self._timers:
            handle.cancel()
        self._timers.clear()
        self._held.clear()

    def _emit(self, subscription_id: str, notification: dict[str, Any]) -> None:
        self._send(subscription_id, notification)
        # A held-back notification goes out right after the one that overtook it.
        self._release(subscription_id)

    def _release(self, subscription_id: str) -> None:
        held = self._held.pop(subscription_id, None)
        if held is not None:
            held[1].cancel()
            self._timers.discard(held[1])
            self._send(subscription_id, held[0])

    def _call_later(
        self, sim_seconds: float, callback: Callable[..., None], *args: Any
    ) -> asyncio.TimerHandle:
        loop = asyncio.get_running_loop()
        handle: asyncio.TimerHandle

        def run() -> None:
            self._timers.discard(handle)
            callback(*args)

        handle = loop.call_later(self._clock.to_real(sim_seconds), run)
        self._timers.add(handle)
        return handle

    def _note(self, fault: str, subscription_id: str, notification: dict[str, Any]) -> None:
        self._log.record(
            "notification_fault", fault=fault, subscription_id=subscription_id, uuid=notification.get("uuid")
        )
