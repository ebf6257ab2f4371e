"""Simulated time: a wall clock that can run faster than real time so tests finish in seconds."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime


class SimClock:
    """Simulated epoch seconds = start + (real elapsed) * time_scale."""

    def __init__(self, time_scale: float = 1.0) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        self.time_scale = time_scale
        self._real0 = time.monotonic()
        self._sim0 = time.time()
        self._offset = 0.0

    def now(self) -> float:
        """Current simulated time in epoch seconds."""
        return self._sim0 + (time.monotonic() - self._real0) * self.time_scale + self._offset

    def advance(self, seconds: float) -> None:
        """Jump simulated time forward (tests use it to expire tokens or windows at once)."""
        self._offset += seconds

    def set_time_scale(self, time_scale: float) -> None:
        """Change speed from now on without jumping: simulated time stays continuous."""
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        now = self.now()
        self._real0 = time.monotonic()
        self._sim0 = now
        self._offset = 0.0
        self.time_scale = time_scale

    def to_real(self, sim_seconds: float) -> float:
        """Real seconds that correspond to a simulated duration."""
        return max(0.0, sim_seconds / self.time_scale)

    async def sleep(self, sim_seconds: float) -> None:
        """Sleep for a simulated duration."""
        await asyncio.sleep(self.to_real(sim_seconds))

    def iso(self, ts: float | None = None) -> str:
        """RingCentral's timestamp format: ISO 8601, milliseconds, `Z`."""
        value = self.now() if ts is None else ts
        return (
            datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%dT%H:%M:%S.")
            + f"{int(value * 1000) % 1000:03d}Z"
        )
