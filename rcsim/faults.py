"""Fault injection settings, consulted by the HTTP middleware and the delivery layer.

The control API (`POST /sim/faults`) writes here or calls the owning manager directly
(dropping sockets, expiring or blacklisting subscriptions, revoking tokens).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field


@dataclass
class NotificationFaults:
    """Probabilities applied to each notification about to be delivered (any transport)."""

    drop: float = 0.0
    duplicate: float = 0.0
    reorder: float = 0.0  # hold a notification back and send it after the next one
    delay: float = 0.0  # max extra delay, simulated seconds
    remaining: int | None = None  # notifications still affected; None = until cleared

    @property
    def active(self) -> bool:
        return (self.remaining is None or self.remaining > 0) and any(
            (self.drop, self.duplicate, self.reorder, self.delay)
        )


@dataclass
class HttpFault:
    """Answer matching requests with an error instead of serving them."""

    path: re.Pattern[str]
    status: int
    method: str | None = None
    remaining: int | None = 1
    retry_after: float | None = None

    def matches(self, method: str, path: str) -> bool:
        if self.remaining is not None and self.remaining <= 0:
            return False
        return (self.method is None or self.method == method.upper()) and bool(self.path.search(path))


@dataclass
class Faults:
    notifications: NotificationFaults = field(default_factory=NotificationFaults)
    http: list[HttpFault] = field(default_factory=list)
    fail_recoveries: int = 0  # the next N WebSocket recovery attempts answer recoveryState Failed
    rng: random.Random = field(default_factory=random.Random)

    def take_http_fault(self, method: str, path: str) -> HttpFault | None:
        """The first matching fault, with its budget decremented."""
        for fault in self.http:
            if fault.matches(method, path):
                if fault.remaining is not None:
                    fault.remaining -= 1
                return fault
        return None

    def take_recovery_failure(self) -> bool:
        if self.fail_recoveries > 0:
            self.fail_recoveries -= 1
            return True
        return False

    def clear(self) -> None:
        self.notifications = NotificationFaults()
        self.http.clear()
        self.fail_recoveries = 0
