"""Fan-out: what the engine derived, handed to Home Assistant.

Every call event goes on the bus as a `ringcentral_event` (in order, with the extension's device id), and
each changed extension gets one dispatcher signal whose payload carries its call events and its view, so
a call on one extension wakes only that extension's entities and the view is computed once, not once per
entity. The signal has one target per extension (`async_listen`), which wakes its entities in plain
Python with the extension's availability, also computed once.
"""

from __future__ import annotations

from collections.abc import Callable

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect, async_dispatcher_send
from homeassistant.util import dt as dt_util

from .aioringcentral.engine import EngineUpdate
from .const import EVENT_RINGCENTRAL, LOGGER, extension_signal
from .devices import ExtensionDevices
from .views import CallEventData, ExtensionUpdate, ExtensionView, NameLookup, call_event_data, no_name

# An entity's callback: the extension's update, and whether the extension is available.
type ExtensionListener = Callable[[ExtensionUpdate, bool], None]


class _ExtensionListeners:
    """The one dispatcher target of an extension's signal: wakes its entities in order."""

    def __init__(self, extension_id: str, available: Callable[[str], bool]) -> None:
        self.extension_id = extension_id
        self.available = available
        self.listeners: list[ExtensionListener] = []
        self.unsubscribe: CALLBACK_TYPE | None = None

    @callback
    def async_wake(self, update: ExtensionUpdate) -> None:
        available = self.available(self.extension_id)
        for listener in list(self.listeners):
            # As the dispatcher does per target: one entity's error does not keep the others stale.
            try:
                listener(update, available)
            except Exception:
                LOGGER.exception("Error updating an entity of extension %s", self.extension_id)


class Fanout:
    """Sends one entry's engine updates to its entities and the bus."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry_id: str,
        devices: ExtensionDevices,
        view: Callable[[str], ExtensionView],
        *,
        available: Callable[[str], bool],
        names: NameLookup = no_name,
    ) -> None:
        self._hass = hass
        self._entry_id = entry_id
        self._devices = devices
        self._view = view
        self._available = available
        self._names = names
        self._listeners: dict[str, _ExtensionListeners] = {}

    @callback
    def async_listen(self, extension_id: str, listener: ExtensionListener) -> CALLBACK_TYPE:
        """Call `listener` with each update of the extension (its signal's, whoever sends it)."""
        target = self._listeners.get(extension_id)
        if target is None:
            target = self._listeners[extension_id] = _ExtensionListeners(extension_id, self._available)
            target.unsubscribe = async_dispatcher_connect(
                self._hass, extension_signal(self._entry_id, extension_id), target.async_wake
            )
        target.listeners.append(listener)

        @callback
        def _remove() -> None:
            target.listeners.remove(listener)
            if not target.listeners and self._listeners.get(extension_id) is target:
                del self._listeners[extension_id]
                if target.unsubscribe is not None:
                    target.unsubscribe()

        return _remove

    @callback
    def async_send(self, update: EngineUpdate) -> None:
        """One signal per changed extension; every call event also goes on the bus, in order."""
        extensions = self._devices.extensions
        events: dict[str, list[CallEventData]] = {}
        for event in update.events:
            if event.extension_id not in extensions:
                continue
            data = call_event_data(event, self._names)
            events.setdefault(event.extension_id, []).append(data)
            self._hass.bus.async_fire(
                EVENT_RINGCENTRAL,
                {
                    **data.attributes(),
                    "type": data.type,
                    "extension_id": data.extension_id,
                    "device_id": self._devices.device_ids.get(data.extension_id),
                },
            )
        at = dt_util.utcnow()
        for ext_id in set(update.changed).union(events) if events else update.changed:
            if ext_id in extensions:
                async_dispatcher_send(
                    self._hass,
                    extension_signal(self._entry_id, ext_id),
                    ExtensionUpdate(tuple(events.get(ext_id, ())), self._view(ext_id), at),
                )

    @callback
    def async_send_all(self) -> None:
        """Every extension's view, without events (its availability changed)."""
        for ext_id in self._devices.extensions:
            async_dispatcher_send(
                self._hass, extension_signal(self._entry_id, ext_id), ExtensionUpdate((), self._view(ext_id))
            )
