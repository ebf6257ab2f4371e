"""Sensors of each monitored extension, declared as descriptions over its `ExtensionView`.

The call-status sensor mirrors RingCentral's telephonyStatus (no_call / ringing / call_connected /
on_hold / parked_call), with the active calls and presence as attributes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .call_sensors import LastCallerSensor, MissedCallsSensor
from .const import CALL_STATUSES
from .coordinator import RingCentralConfigEntry, RingCentralCoordinator
from .entity import RingCentralExtensionEntity, async_add_extension_entities
from .message_entities import UnreadVoicemailsSensor
from .views import ExtensionView

# Push only: entities never poll or call RingCentral.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class RingCentralSensorEntityDescription(SensorEntityDescription):
    """A sensor of an extension: its state (and attributes) from the extension's view."""

    value_fn: Callable[[ExtensionView], StateType]
    attrs_fn: Callable[[ExtensionView], dict[str, Any]] | None = None


SENSORS: tuple[RingCentralSensorEntityDescription, ...] = (
    RingCentralSensorEntityDescription(
        key="call_status",
        translation_key="call_status",
        device_class=SensorDeviceClass.ENUM,
        options=list(CALL_STATUSES),
        value_fn=lambda view: view.call_status,
        attrs_fn=ExtensionView.attributes,
    ),
)

# Recent calls and messages (issue 16): from events, not the view (see `call_sensors.py`).
MISSED_CALLS = SensorEntityDescription(
    key="missed_calls", translation_key="missed_calls", state_class=SensorStateClass.TOTAL
)
LAST_CALLER = SensorEntityDescription(key="last_caller", translation_key="last_caller")
UNREAD_VOICEMAILS = SensorEntityDescription(
    key="unread_voicemails", translation_key="unread_voicemails", state_class=SensorStateClass.MEASUREMENT
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: RingCentralConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors of every monitored extension, now and as extensions appear."""

    def _sensors(coordinator: RingCentralCoordinator, extension_id: str) -> Iterable[SensorEntity]:
        yield from (RingCentralSensor(coordinator, extension_id, description) for description in SENSORS)
        # Recent calls and messages (issue 16): built from events, restored across restarts.
        yield MissedCallsSensor(coordinator, extension_id, MISSED_CALLS)
        yield LastCallerSensor(coordinator, extension_id, LAST_CALLER)
        yield UnreadVoicemailsSensor(
            coordinator, entry.runtime_data.messages, extension_id, UNREAD_VOICEMAILS
        )

    async_add_extension_entities(entry, async_add_entities, _sensors)


class RingCentralSensor(RingCentralExtensionEntity, SensorEntity):
    """A sensor of one extension, as its description says."""

    entity_description: RingCentralSensorEntityDescription
    # Caller numbers and names change with every call and are personal data: keep them out of history.
    _unrecorded_attributes = frozenset({"active_calls"})

    def __init__(
        self,
        coordinator: RingCentralCoordinator,
        extension_id: str,
        description: RingCentralSensorEntityDescription,
    ) -> None:
        super().__init__(coordinator, extension_id, description)
        # The view the attributes were last made from (they are a function of it).
        self._attrs_view: ExtensionView | None = None
        self._attrs: dict[str, Any] | None = None

    @callback
    def _async_refresh(self, view: ExtensionView) -> object:
        # Set only what changed: each `_attr_` set also clears HA's cached property.
        description = self.entity_description
        value = description.value_fn(view)
        if value != self._attr_native_value:
            self._attr_native_value = value
        if description.attrs_fn is not None and view != self._attrs_view:
            self._attrs_view = view
            self._attrs = description.attrs_fn(view)
            self._attr_extra_state_attributes = self._attrs
        return value, self._attrs
