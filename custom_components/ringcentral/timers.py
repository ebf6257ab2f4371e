"""A timer that follows a moving deadline (the engine's, the presence edits')."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_track_point_in_utc_time


class DeadlineTimer:
    """Calls `action(now)` at the latest deadline set; re-armed only when the deadline moves."""

    def __init__(self, hass: HomeAssistant, action: Callable[[datetime], None]) -> None:
        self._hass = hass
        self._action = action
        self._cancel: CALLBACK_TYPE | None = None
        self._at: datetime | None = None

    @property
    def armed(self) -> bool:
        """Whether a deadline is set."""
        return self._at is not None

    @callback
    def async_set(self, deadline: datetime | None) -> None:
        """Fire at `deadline` (None: not at all)."""
        if deadline == self._at:
            return
        self.async_cancel()
        if deadline is not None:
            self._at = deadline
            self._cancel = async_track_point_in_utc_time(self._hass, self._async_fire, deadline)

    @callback
    def async_cancel(self) -> None:
        if self._cancel is not None:
            self._cancel()
        self._cancel = self._at = None

    @callback
    def _async_fire(self, now: datetime) -> None:
        self._cancel = self._at = None
        self._action(now)
