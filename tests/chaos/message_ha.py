"""The messages of a Home Assistant-level chaos run, as Home Assistant shows them.

Reads the `unread_voicemails` and `missed_calls` sensors from `hass.states`, records every
`ringcentral_message` bus event and every firing of the `message` event entities, tells the
`MessageLog` what reached the coordinators (and when they resynced or reconnected without their
session), and runs the message reads' timers (real time in Home Assistant) while the run waits.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_STATE_CHANGED, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed  # type: ignore[import-untyped]

from custom_components.ringcentral.aioringcentral.transport import Continuity
from custom_components.ringcentral.connection import Connection
from custom_components.ringcentral.const import DOMAIN, EVENT_RINGCENTRAL_MESSAGE
from custom_components.ringcentral.coordinator import RingCentralCoordinator
from custom_components.ringcentral.messages import (
    READ_SPACING,
    RingCentralMessages,
)
from rcsim import Simulator

from .message_oracle import Announcement, MessageLog, MessageStats, check_announcements
from .oracle import ObservedEvent
from .pipeline import notifications_in_flight


class HomeAssistantMessages:
    """What Home Assistant shows of the monitored extensions' messages and missed calls."""

    def __init__(
        self, hass: HomeAssistant, sim: Simulator, entry: MockConfigEntry, users: list[str], log: MessageLog
    ) -> None:
        self.hass = hass
        self.sim = sim
        self.entry = entry
        self.users = users
        self.log = log
        self.announced: list[Announcement] = []  # the bus events
        self.fired: list[Announcement] = []  # the event entities' firings
        self.call_events: list[ObservedEvent] = []  # set by the test: the `ringcentral_event`s
        self._last_fired: dict[str, tuple[str, Any]] = {}
        self._last_reset: dict[str, str | None] = {}
        self._unsubs = [
            hass.bus.async_listen(EVENT_RINGCENTRAL_MESSAGE, self._on_message),
            hass.bus.async_listen(EVENT_STATE_CHANGED, self._on_state),
        ]

    def stop(self) -> None:
        for unsub in self._unsubs:
            unsub()

    @callback
    def _on_message(self, event: Event) -> None:
        data = event.data
        self.announced.append(
            Announcement(str(data["extension_id"]), str(data["type"]), str(data["message_id"]))
        )

    @callback
    def _on_state(self, event: Event[EventStateChangedData]) -> None:
        entity_id = event.data["entity_id"]
        new = event.data["new_state"]
        if (
            not entity_id.startswith("event.")
            or new is None
            or new.state in (STATE_UNAVAILABLE, STATE_UNKNOWN)
        ):
            return
        entry = er.async_get(self.hass).async_get(entity_id)
        if entry is None or entry.platform != DOMAIN or not entry.unique_id.endswith("_message"):
            return
        # A firing has a new time (or, within one millisecond, a new id); a restart restores the last.
        shown = (new.state, new.attributes.get("message_id"))
        if self._last_fired.get(entity_id) != shown:
            self._last_fired[entity_id] = shown
            ext_id = entry.unique_id.removesuffix("_message")
            self.fired.append(Announcement(ext_id, str(new.attributes.get("event_type")), str(shown[1])))

    def instrument(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Tell the message log what reached every coordinator (also those a reload creates), when
        a connection did not keep its session, and when a resync finished."""
        log = self.log
        # The transport callbacks live on the entry's `Connection`; the resync's end on the coordinator.
        on_notification = Connection.on_notification
        on_connected = Connection.on_connected
        on_resynced = RingCentralCoordinator.async_resynced

        def notification(connection: Connection, raw: dict[str, Any]) -> None:
            log.heard(raw.get("body"))
            on_notification(connection, raw)

        def connected(connection: Connection, continuity: Continuity) -> None:
            if continuity is not Continuity.KEPT:
                log.forgive()
            on_connected(connection, continuity)

        def resynced(coordinator: RingCentralCoordinator) -> None:
            log.resynced()  # the feeds hear of it in there and ask their reads
            on_resynced(coordinator)

        monkeypatch.setattr(Connection, "on_notification", notification)
        monkeypatch.setattr(Connection, "on_connected", connected)
        monkeypatch.setattr(RingCentralCoordinator, "async_resynced", resynced)

    # -- what the driver reads ----------------------------------------------------------------------

    @property
    def feed(self) -> RingCentralMessages | None:
        if self.entry.state is not ConfigEntryState.LOADED:
            return None
        feed: RingCentralMessages = self.entry.runtime_data.messages
        return feed

    @property
    def idle(self) -> bool:
        feed = self.feed
        if feed is None:
            return False
        reads = feed.diagnostics()["reads"]
        return not reads["pending"] and not reads["reading"]

    def _sensor(self, ext_id: str, key: str) -> Any:
        entity_id = er.async_get(self.hass).async_get_entity_id("sensor", DOMAIN, f"{ext_id}_{key}")
        return None if entity_id is None else self.hass.states.get(entity_id)

    def _number(self, ext_id: str, key: str) -> int | None:
        state = self._sensor(ext_id, key)
        try:
            return None if state is None else int(state.state)
        except ValueError:
            return None

    def unread(self) -> dict[str, int | None]:
        return {ext_id: self._number(ext_id, "unread_voicemails") for ext_id in self.users}

    def remember_last_reset(self) -> None:
        """`missed_calls` restarts from zero at local midnight: note where each one starts."""
        for ext_id in self.users:
            state = self._sensor(ext_id, "missed_calls")
            self._last_reset[ext_id] = None if state is None else state.attributes.get("last_reset")

    async def nudge(self) -> None:
        """Run the message reads' timers: the token bucket's refill, a failed read's retry."""
        feed = self.feed
        if feed is None or notifications_in_flight(self.sim):
            return
        reads = feed.diagnostics()["reads"]
        jump: float | None = None
        if reads["retry_in"] is not None:
            jump = reads["retry_in"] + 1
        elif reads["pending"] and reads["refilling"]:
            jump = READ_SPACING + 0.5
        if jump is not None:
            async_fire_time_changed(self.hass, dt_util.utcnow() + timedelta(seconds=jump))
        await self.hass.async_block_till_done()

    # -- checks only Home Assistant has ---------------------------------------------------------------

    def problems(self, log: MessageLog, stats: MessageStats) -> list[str]:
        problems = check_announcements(log, self.fired, monitored=self.users, what="fired")
        missed: dict[str, set[tuple[str, str]]] = {ext_id: set() for ext_id in self.users}
        for event in self.call_events:
            if event.type == "missed" and event.key[0] in missed:
                missed[event.key[0]].add(event.key[1:])
        for ext_id, calls in missed.items():
            state = self._sensor(ext_id, "missed_calls")
            if state is not None and state.attributes.get("last_reset") != self._last_reset.get(ext_id):
                continue  # midnight passed (Home Assistant's clock was jumped past it): counted afresh
            stats.missed_calls += len(calls)
            shown = self._number(ext_id, "missed_calls")
            if shown != len(calls):
                problems.append(f"extension {ext_id}: missed_calls is {shown!r}, missed events {len(calls)}")
        return problems
