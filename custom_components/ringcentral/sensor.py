"""Call-status sensor: one per monitored extension, mirroring RingCentral's telephonyStatus."""

from __future__ import annotations

from homeassistant.components.sensor import SensorDeviceClass, SensorEntity, SensorEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import CALL_STATUSES
from .coordinator import RingCentralConfigEntry, RingCentralCoordinator
from .entity import RingCentralExtensionEntity, async_add_extension_entities
from .views import ExtensionView

# Push only: entities never poll or call RingCentral.
PARALLEL_UPDATES = 0

CALL_STATUS = SensorEntityDescription(
    key="call_status",
    translation_key="call_status",
    device_class=SensorDeviceClass.ENUM,
    options=list(CALL_STATUSES),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: RingCentralConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a call-status sensor for every monitored extension, now and as extensions appear."""
    async_add_extension_entities(entry, async_add_entities, CallStatusSensor)


class CallStatusSensor(RingCentralExtensionEntity, SensorEntity):
    """no_call / ringing / call_connected / on_hold / parked_call, with the active calls as attributes."""

    # Caller numbers and names change with every call and are personal data: keep them out of history.
    _unrecorded_attributes = frozenset({"active_calls"})

    def __init__(self, coordinator: RingCentralCoordinator, extension_id: str) -> None:
        super().__init__(coordinator, extension_id, CALL_STATUS)

    @callback
    def _async_refresh(self, view: ExtensionView) -> object:
        self._attr_native_value = view.call_status
        self._attr_extra_state_attributes = view.attributes()
        return view
