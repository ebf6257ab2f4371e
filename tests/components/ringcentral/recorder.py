"""Records what Home Assistant shows for extensions: sensor states, busy light, event entity, bus events."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import Event, HomeAssistant, State, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util

from custom_components.ringcentral.const import DOMAIN, EVENT_RINGCENTRAL


def entity_id(hass: HomeAssistant, platform: str, unique_id: str) -> str:
    """The entity id registered for one of our unique ids."""
    found = er.async_get(hass).async_get_entity_id(platform, DOMAIN, unique_id)
    assert found is not None, f"no {platform} entity with unique id {unique_id}"
    return found


@dataclass
class ExtensionRecord:
    """Everything one extension's entities did, in order."""

    statuses: list[str] = field(default_factory=list)
    on_call: list[str] = field(default_factory=list)
    entity_events: list[str] = field(default_factory=list)
    entity_event_attributes: list[dict[str, Any]] = field(default_factory=list)
    bus_events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def bus_types(self) -> list[str]:
        return [event["type"] for event in self.bus_events]


class Recorder:
    """Listens to state changes of the given extensions' entities and to `ringcentral_event`."""

    def __init__(self, hass: HomeAssistant, extension_ids: list[str]) -> None:
        self.hass = hass
        self.records = {ext_id: ExtensionRecord() for ext_id in extension_ids}
        self._by_entity: dict[str, tuple[str, str]] = {}
        # Event entity states are times to the millisecond: compare at that precision, or an event in
        # the recorder's first millisecond would look older than the recorder.
        now = dt_util.utcnow()
        self._started = now.replace(microsecond=now.microsecond // 1000 * 1000)
        self._seen_events: set[tuple[Any, ...]] = set()
        for ext_id in extension_ids:
            self._by_entity[entity_id(hass, "sensor", f"{ext_id}_call_status")] = (ext_id, "status")
            self._by_entity[entity_id(hass, "binary_sensor", f"{ext_id}_on_call")] = (ext_id, "on_call")
            self._by_entity[entity_id(hass, "event", f"{ext_id}_call")] = (ext_id, "event")
        self._unsubs = [
            hass.bus.async_listen(EVENT_STATE_CHANGED, self._state_changed),
            hass.bus.async_listen(EVENT_RINGCENTRAL, self._bus_event),
        ]

    def __getitem__(self, extension_id: str) -> ExtensionRecord:
        return self.records[extension_id]

    def stop(self) -> None:
        for unsub in self._unsubs:
            unsub()

    @callback
    def _state_changed(self, event: Event) -> None:
        target = self._by_entity.get(event.data["entity_id"])
        new = event.data["new_state"]
        if target is None or new is None:
            return
        ext_id, kind = target
        record = self.records[ext_id]
        if kind == "status":
            if not record.statuses or record.statuses[-1] != new.state:
                record.statuses.append(new.state)
        elif kind == "on_call":
            if not record.on_call or record.on_call[-1] != new.state:
                record.on_call.append(new.state)
        elif self._is_new_event(new):
            record.entity_events.append(new.attributes["event_type"])
            record.entity_event_attributes.append(dict(new.attributes))

    def _is_new_event(self, state: State) -> bool:
        """An event entity's state is the time of its last event: a state restored after a restart or
        shown again after being unavailable is not a new event."""
        fired = dt_util.parse_datetime(state.state)
        if fired is None or fired < self._started or state.attributes.get("event_type") is None:
            return False
        key = (
            state.state,
            state.attributes["event_type"],
            state.attributes.get("telephony_session_id"),
            state.attributes.get("party_id"),
        )
        if key in self._seen_events:
            return False
        self._seen_events.add(key)
        return True

    @callback
    def _bus_event(self, event: Event) -> None:
        ext_id = event.data.get("extension_id")
        if ext_id in self.records:
            self.records[ext_id].bus_events.append(dict(event.data))
