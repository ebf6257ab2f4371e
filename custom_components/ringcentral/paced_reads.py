"""Paced reads: REST reads asked for per extension, made one at a time and never in a long burst.

A few reads may go at once, then one more every `spacing` seconds (a token bucket), so a burst of
requests never eats the rate budget call state needs. A read that fails is tried again later, the
delay doubling up to a maximum. Asking again for an extension already waiting adds nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later


@dataclass(frozen=True, slots=True)
class PacedReadsState:
    """Where the reads stand (diagnostics; the chaos suite waits on it)."""

    pending: int  # extensions waiting for a read
    reading: bool  # a read is under way
    retry_in: float | None  # seconds of the retry scheduled after a failure (None: none)
    refilling: bool  # a read token comes back later (pending reads wait for it when none is left)


class PacedReads:
    """Reads what was asked for, in order, paced and retried (an entry background task at a time)."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        name: str,
        *,
        read: Callable[[str], Awaitable[bool]],
        wanted: Callable[[str], bool],
        burst: int,
        spacing: float,
        retry: float,
        retry_max: float,
    ) -> None:
        """`read(ext_id)` returns False when it should be tried again later; `wanted(ext_id)` says
        whether a read still asked for is still of use when its turn comes."""
        self._hass = hass
        self._entry = entry
        self._name = name
        self._read = read
        self._wanted = wanted
        self._burst = burst
        self._spacing = spacing
        self._retry_delay = retry
        self._retry_max = retry_max
        # Extensions waiting for a read, in the order asked.
        self._pending: dict[str, None] = {}
        self._reader: asyncio.Task[None] | None = None
        # Reads allowed now; one more every `spacing` seconds, up to `burst`.
        self._tokens = burst
        self._refill: CALLBACK_TYPE | None = None
        self._failures = 0
        self._retry: CALLBACK_TYPE | None = None
        self._retry_in: float | None = None

    @property
    def state(self) -> PacedReadsState:
        return PacedReadsState(
            pending=len(self._pending),
            reading=self._reader is not None and not self._reader.done(),
            retry_in=self._retry_in if self._retry is not None else None,
            refilling=self._refill is not None,
        )

    @callback
    def async_want(self, ext_id: str) -> None:
        """Read the extension when its turn comes."""
        self._pending[ext_id] = None
        self._async_start_reader()

    @callback
    def async_clear(self) -> None:
        """Forget the reads asked for (none would work now)."""
        self._pending.clear()

    @callback
    def async_stop(self) -> None:
        """Cancel the timers (unload; HA cancels a read under way with the entry's background tasks)."""
        self._cancel_retry()
        if self._refill is not None:
            self._refill()
            self._refill = None

    @callback
    def _async_start_reader(self) -> None:
        """Read what is pending, one at a time, unless a retry waits or a read is under way."""
        if self._pending and self._retry is None and (self._reader is None or self._reader.done()):
            self._reader = self._entry.async_create_background_task(
                self._hass, self._async_read_pending(), self._name
            )

    async def _async_read_pending(self) -> None:
        while self._pending:
            if self._tokens == 0:
                return  # the next refill starts the reader again
            ext_id = next(iter(self._pending))
            del self._pending[ext_id]
            if not self._wanted(ext_id):
                continue
            self._tokens -= 1
            self._async_schedule_refill()
            if not await self._read(ext_id):
                self._pending[ext_id] = None  # read again with the retry
                self._async_schedule_retry()
                return
        self._failures = 0

    @callback
    def _async_schedule_refill(self) -> None:
        if self._refill is None and self._tokens < self._burst:
            self._refill = async_call_later(self._hass, self._spacing, self._async_refilled)

    @callback
    def _async_refilled(self, _now: Any) -> None:
        self._refill = None
        self._tokens += 1
        self._async_schedule_refill()
        self._async_start_reader()

    @callback
    def _async_schedule_retry(self) -> None:
        delay = min(self._retry_delay * 2**self._failures, self._retry_max)
        self._failures += 1
        self._cancel_retry()
        self._retry_in = delay
        self._retry = async_call_later(self._hass, delay, self._async_retry)

    @callback
    def _async_retry(self, _now: Any) -> None:
        self._retry = None
        self._async_start_reader()

    @callback
    def _cancel_retry(self) -> None:
        if self._retry is not None:
            self._retry()
            self._retry = None
