"""`missed_calls` and `last_caller`: per extension, from the call events it already receives.

Both are restored across restarts (`RestoreSensor`): the count, when it was last reset and which calls
it counted (so a call whose `missed` event came again after a restart is not counted twice), and the
last caller with the recent calls.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from homeassistant.components.sensor import RestoreSensor, SensorEntityDescription, SensorExtraStoredData
from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.util import dt as dt_util

from .coordinator import RingCentralCoordinator
from .entity import RingCentralExtensionEntity
from .recent_calls import CallKey, FinishedCall, RecentCalls, call_key
from .views import CallEventData, ExtensionUpdate, ExtensionView

# Calls remembered as counted (a restart may end a call whose `missed` already counted).
_COUNTED_MEMORY = 64


@dataclass
class StoredData(SensorExtraStoredData):
    """What a sensor keeps across a restart: its value and `extra`, as a plain dict."""

    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), **self.extra}


def next_local_midnight(now: datetime) -> datetime:
    """The next midnight in Home Assistant's time zone after `now` (DST-safe: from the date)."""
    tomorrow: date = dt_util.as_local(now).date() + timedelta(days=1)
    return dt_util.start_of_local_day(tomorrow)


class RingCentralCallsSensor(RingCentralExtensionEntity, RestoreSensor):
    """A sensor built from the extension's call events (not its view), restored across restarts."""

    def __init__(
        self, coordinator: RingCentralCoordinator, extension_id: str, description: SensorEntityDescription
    ) -> None:
        super().__init__(coordinator, extension_id, description)
        self._version = 0  # bumped whenever an event changed what the sensor shows

    async def async_added_to_hass(self) -> None:
        if (stored := await self.async_get_last_extra_data()) is not None:
            self._async_restore(stored.as_dict())
        await super().async_added_to_hass()

    @callback
    def _async_restore(self, data: dict[str, Any]) -> None:
        """Take what `extra_restore_state_data` stored before the restart."""
        raise NotImplementedError

    @callback
    def _async_apply(self, event: CallEventData, at: datetime) -> bool:
        """Take one call event; True when it changed what the sensor shows."""
        raise NotImplementedError

    @callback
    def _async_handle_update(self, update: ExtensionUpdate, available: bool) -> None:
        for event in update.events:
            if self._async_apply(event, update.at):
                self._version += 1
        super()._async_handle_update(update, available)

    @callback
    def _async_refresh(self, view: ExtensionView) -> object:
        return self._version


class MissedCallsSensor(RingCentralCallsSensor):
    """Missed calls since local midnight; each call counts once, when its `missed` event fires."""

    _attr_native_value = 0
    _unrecorded_attributes = frozenset({"last_missed_from", "last_missed_from_name", "last_missed_time"})

    def __init__(
        self, coordinator: RingCentralCoordinator, extension_id: str, description: SensorEntityDescription
    ) -> None:
        super().__init__(coordinator, extension_id, description)
        self._attr_last_reset = dt_util.start_of_local_day()
        self._counted: deque[CallKey] = deque(maxlen=_COUNTED_MEMORY)
        self._last: dict[str, Any] = {
            "last_missed_from": None,
            "last_missed_from_name": None,
            "last_missed_time": None,
        }
        self._unsub_midnight: CALLBACK_TYPE | None = None

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        return dict(self._last)

    @property
    def extra_restore_state_data(self) -> StoredData:
        return StoredData(
            self._attr_native_value,
            None,
            {
                "last_reset": self._attr_last_reset.isoformat() if self._attr_last_reset else None,
                "counted": [list(key) for key in self._counted],
                **self._last,
            },
        )

    @callback
    def _async_restore(self, data: dict[str, Any]) -> None:
        last_reset = dt_util.parse_datetime(str(data.get("last_reset")))
        count = data.get("native_value")
        if last_reset is not None and isinstance(count, int):
            self._attr_native_value, self._attr_last_reset = count, last_reset
        for key in data.get("counted") or []:
            if isinstance(key, list) and len(key) == 2:
                self._counted.append((key[0], key[1]))
        self._last.update({key: data.get(key) for key in self._last})

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self.async_on_remove(self._async_cancel_midnight)
        # Restored from yesterday (HA was down at midnight): today starts at zero.
        self._async_midnight(dt_util.utcnow(), write=False)

    @callback
    def _async_cancel_midnight(self) -> None:
        if self._unsub_midnight is not None:
            self._unsub_midnight()
            self._unsub_midnight = None

    @callback
    def _async_midnight(self, now: datetime, *, write: bool = True) -> None:
        """Reset at local midnight (when `now` is past it), and wake again at the next one."""
        self._unsub_midnight = None
        today = dt_util.start_of_local_day(dt_util.as_local(now).date())
        if self._attr_last_reset is None or self._attr_last_reset < today:
            self._attr_native_value, self._attr_last_reset = 0, today
            self._version += 1
            if write:
                self.async_write_ha_state()
        self._unsub_midnight = async_track_point_in_utc_time(
            self.hass, self._async_midnight, next_local_midnight(now)
        )

    @callback
    def _async_apply(self, event: CallEventData, at: datetime) -> bool:
        key = call_key(event)
        if event.type != "missed" or key in self._counted:
            return False
        self._counted.append(key)
        self._attr_native_value = int(self._attr_native_value or 0) + 1
        start = at - timedelta(seconds=event.duration or 0.0)
        self._last = {
            "last_missed_from": event.from_number,
            "last_missed_from_name": event.from_name,
            "last_missed_time": start.isoformat(),
        }
        return True


class LastCallerSensor(RingCentralCallsSensor):
    """The last inbound caller (name, else number) and the extension's last finished calls."""

    # Numbers and names of every caller: kept out of history (the README adds the state itself).
    _unrecorded_attributes = frozenset({"from", "from_name", "recent_calls"})

    def __init__(
        self, coordinator: RingCentralCoordinator, extension_id: str, description: SensorEntityDescription
    ) -> None:
        super().__init__(coordinator, extension_id, description)
        self._recent = RecentCalls()
        self._last: FinishedCall | None = None

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        last = self._last
        return {
            "from": last.from_number if last else None,
            "from_name": last.from_name if last else None,
            "time": last.start.isoformat() if last else None,
            "result": last.result if last else None,
            "recent_calls": self._recent.as_list(),
        }

    @property
    def extra_restore_state_data(self) -> StoredData:
        return StoredData(
            self._attr_native_value,
            None,
            {
                "last": None if self._last is None else self._last.as_dict(),
                "recent_calls": [call.as_dict() for call in self._recent.calls],
            },
        )

    @callback
    def _async_restore(self, data: dict[str, Any]) -> None:
        last = data.get("last")
        self._last = FinishedCall.from_dict(last) if isinstance(last, dict) else None
        self._attr_native_value = None if self._last is None else self._last.caller
        restored = (
            FinishedCall.from_dict(call) for call in data.get("recent_calls") or [] if isinstance(call, dict)
        )
        self._recent.restore(call for call in restored if call is not None)

    @callback
    def _async_apply(self, event: CallEventData, at: datetime) -> bool:
        call = self._recent.apply(event, at)
        if call is None:
            return False
        if call.inbound:
            self._last = call
            self._attr_native_value = call.caller
        return True
