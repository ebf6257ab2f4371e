"""`missed_calls` and `last_caller`: played calls count once, reset at local midnight, survive restarts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import Event, HomeAssistant, State, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.util import dt as dt_util
from homeassistant.util import slugify
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    mock_restore_cache_with_extra_data,
)

from custom_components.ringcentral.const import EVENT_RINGCENTRAL, extension_signal
from custom_components.ringcentral.recent_calls import FinishedCall, RecentCalls
from custom_components.ringcentral.views import CallEventData, ExtensionUpdate
from rcsim import Simulator

from .conftest import make_entry, setup_entry, wait_for
from .recorder import entity_id


async def _entry(hass: HomeAssistant, sim: Simulator) -> tuple[MockConfigEntry, str]:
    entry = make_entry(sim)
    await setup_entry(hass, entry)
    await wait_for(hass, lambda: entry.runtime_data.coordinator.connected)
    return entry, str(entry.data["extension_id"])


def _state(hass: HomeAssistant, unique_id: str) -> State:
    state = hass.states.get(entity_id(hass, "sensor", unique_id))
    assert state is not None
    return state


class Watch:
    """The states one entity took, and the bus's call events, from now on."""

    def __init__(self, hass: HomeAssistant, entity: str) -> None:
        self.states: list[State] = []
        self.events: list[dict[str, Any]] = []

        @callback
        def _changed(event: Event) -> None:
            if event.data["entity_id"] == entity and event.data["new_state"] is not None:
                self.states.append(event.data["new_state"])

        self._unsubs = [
            hass.bus.async_listen(EVENT_STATE_CHANGED, _changed),
            hass.bus.async_listen(EVENT_RINGCENTRAL, callback(lambda e: self.events.append(dict(e.data)))),
        ]

    def stop(self) -> None:
        for unsub in self._unsubs:
            unsub()


async def _play(hass: HomeAssistant, sim: Simulator, scenario: str, me: str, *, ends: int = 1) -> None:
    """Play a scenario to its end and wait until its end event(s) reached Home Assistant."""
    seen: list[str] = []
    unsub = hass.bus.async_listen(
        EVENT_RINGCENTRAL,
        callback(lambda e: seen.append(e.data["type"]) if e.data["type"] in ("missed", "ended") else None),
    )
    sim.state.calls.start(scenario, me)
    await sim.state.calls.drain()
    await wait_for(hass, lambda: len(seen) >= ends)
    unsub()


async def test_missed_call_counts_once_and_sets_last_caller(hass: HomeAssistant, sim: Simulator) -> None:
    entry, me = await _entry(hass, sim)
    missed = _state(hass, f"{me}_missed_calls")
    assert missed.state == "0"
    assert missed.attributes["state_class"] == "total"
    assert dt_util.parse_datetime(missed.attributes["last_reset"]) == dt_util.start_of_local_day()
    assert _state(hass, f"{me}_last_caller").state == "unknown"
    watch = Watch(hass, entity_id(hass, "sensor", f"{me}_last_caller"))

    await _play(hass, sim, "inbound_missed", me)

    missed = _state(hass, f"{me}_missed_calls")
    assert missed.state == "1"
    [event] = [e for e in watch.events if e["type"] == "missed"]
    assert missed.attributes["last_missed_from"] == event["from"]
    assert missed.attributes["last_missed_from_name"] == event["from_name"]
    start = dt_util.parse_datetime(missed.attributes["last_missed_time"])
    assert start is not None
    assert dt_util.utcnow() - timedelta(minutes=5) < start <= dt_util.utcnow()

    # last_caller changed once: to the caller, with the result.
    assert [state.state for state in watch.states] == [event["from_name"]]
    caller = watch.states[0].attributes
    assert caller["from"] == event["from"]
    assert caller["from_name"] == event["from_name"]
    assert caller["result"] == "missed"
    assert caller["time"] == missed.attributes["last_missed_time"]
    assert caller["recent_calls"] == [
        {
            "direction": "inbound",
            "from": event["from"],
            "from_name": event["from_name"],
            "to": event["to"],
            "to_name": event["to_name"],
            "start": caller["time"],
            "duration": event["duration"],
            "result": "missed",
        }
    ]
    watch.stop()
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_results_of_other_calls(hass: HomeAssistant, sim: Simulator) -> None:
    """Voicemail counts as missed; answered does not; outbound calls are recent calls, not callers."""
    entry, me = await _entry(hass, sim)
    await _play(hass, sim, "inbound_voicemail", me)
    assert _state(hass, f"{me}_missed_calls").state == "1"
    assert _state(hass, f"{me}_last_caller").attributes["result"] == "voicemail"

    await _play(hass, sim, "inbound_answered", me)
    assert _state(hass, f"{me}_missed_calls").state == "1"
    caller = _state(hass, f"{me}_last_caller")
    assert caller.attributes["result"] == "answered"

    await _play(hass, sim, "outbound_unanswered", me)
    await _play(hass, sim, "outbound_answered", me)
    last = _state(hass, f"{me}_last_caller")
    assert last.state == caller.state  # outbound calls have no caller
    assert last.attributes["time"] == caller.attributes["time"]
    recent = last.attributes["recent_calls"]
    assert [(call["direction"], call["result"]) for call in recent] == [
        ("outbound", "answered"),
        ("outbound", "unanswered"),
        ("inbound", "answered"),
        ("inbound", "voicemail"),
    ]
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_midnight_resets_the_count(hass: HomeAssistant, sim: Simulator) -> None:
    """At local midnight the count starts again at zero with last_reset at midnight; the last missed
    caller stays."""
    entry, me = await _entry(hass, sim)
    await _play(hass, sim, "inbound_missed", me)
    assert _state(hass, f"{me}_missed_calls").state == "1"

    midnight = dt_util.start_of_local_day(dt_util.now().date() + timedelta(days=1))
    async_fire_time_changed(hass, midnight + timedelta(seconds=1))
    await hass.async_block_till_done()
    missed = _state(hass, f"{me}_missed_calls")
    assert missed.state == "0"
    assert dt_util.parse_datetime(missed.attributes["last_reset"]) == midnight
    assert missed.attributes["last_missed_from"]

    # Counting goes on after midnight, and the next midnight resets again.
    await _play(hass, sim, "inbound_missed", me)
    assert _state(hass, f"{me}_missed_calls").state == "1"
    next_midnight = dt_util.start_of_local_day(midnight.date() + timedelta(days=1))
    async_fire_time_changed(hass, next_midnight + timedelta(seconds=1))
    await hass.async_block_till_done()
    assert _state(hass, f"{me}_missed_calls").state == "0"
    assert dt_util.parse_datetime(_state(hass, f"{me}_missed_calls").attributes["last_reset"]) == (
        next_midnight
    )
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_a_reload_keeps_the_count_and_the_callers(hass: HomeAssistant, sim: Simulator) -> None:
    entry, me = await _entry(hass, sim)
    await _play(hass, sim, "inbound_missed", me)
    await _play(hass, sim, "inbound_answered", me)
    before = _state(hass, f"{me}_last_caller")

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert _state(hass, f"{me}_missed_calls").state == "1"
    after = _state(hass, f"{me}_last_caller")
    assert after.state == before.state
    assert after.attributes == before.attributes

    await _play(hass, sim, "inbound_missed", me)
    assert _state(hass, f"{me}_missed_calls").state == "2"
    assert len(_state(hass, f"{me}_last_caller").attributes["recent_calls"]) == 3
    assert await hass.config_entries.async_unload(entry.entry_id)


def _restored(prefix: str, count: int, last_reset: str, counted: list[list[str]]) -> list[tuple[State, Any]]:
    call = FinishedCall("inbound", "+16505550100", "Bob Jones", "101", "Me", dt_util.utcnow(), 4.0, "missed")
    return [
        (
            State(f"sensor.{prefix}_missed_calls", str(count)),
            {
                "native_value": count,
                "native_unit_of_measurement": None,
                "last_reset": last_reset,
                "counted": counted,
                "last_missed_from": "+16505550100",
                "last_missed_from_name": "Bob Jones",
                "last_missed_time": call.start.isoformat(),
            },
        ),
        (
            State(f"sensor.{prefix}_last_caller", "Bob Jones"),
            {
                "native_value": "Bob Jones",
                "native_unit_of_measurement": None,
                "last": call.as_dict(),
                "recent_calls": [call.as_dict(), {"broken": True}],
            },
        ),
    ]


@pytest.mark.parametrize(("days_ago", "expected"), [(0, "3"), (1, "0")])
async def test_a_restart_restores_today_and_forgets_yesterday(
    hass: HomeAssistant, sim: Simulator, days_ago: int, expected: str
) -> None:
    """Restored from HA's restore state: today's count is kept; one from before midnight starts at 0."""
    entry = make_entry(sim)
    me = str(entry.data["extension_id"])
    last_reset = dt_util.start_of_local_day(dt_util.now().date() - timedelta(days=days_ago))
    # Keyed by the entity ids the sensors get (named after the extension's device).
    prefix = slugify(sim.state.account.extensions[me].name)
    mock_restore_cache_with_extra_data(hass, _restored(prefix, 3, last_reset.isoformat(), [["s1", "p1"]]))
    await setup_entry(hass, entry)
    missed = _state(hass, f"{me}_missed_calls")
    assert missed.entity_id == f"sensor.{prefix}_missed_calls"
    assert missed.state == expected
    assert dt_util.parse_datetime(missed.attributes["last_reset"]) == dt_util.start_of_local_day()
    assert missed.attributes["last_missed_from_name"] == "Bob Jones"
    caller = _state(hass, f"{me}_last_caller")
    assert caller.state == "Bob Jones"
    assert [call["from"] for call in caller.attributes["recent_calls"]] == ["+16505550100"]

    # A `missed` of a call already counted before the restart does not count again; a new one does.
    def missed_event(tsid: str) -> CallEventData:
        return CallEventData("missed", me, tsid, "p1", "inbound", "+1650", None, "101", None, None, 2.0)

    coordinator = entry.runtime_data.coordinator
    for tsid in ("s1", "s2"):
        update = ExtensionUpdate((missed_event(tsid),), coordinator.view(me))
        async_dispatcher_send(hass, extension_signal(entry.entry_id, me), update)
    await hass.async_block_till_done()
    assert _state(hass, f"{me}_missed_calls").state == str(int(expected) + 1)
    assert await hass.config_entries.async_unload(entry.entry_id)


def _event(kind: str, tsid: str, direction: str = "inbound") -> CallEventData:
    return CallEventData(kind, "101", tsid, "p", direction, "+1650", "Bob", "101", "Me", None, 3.0)


def test_recent_calls_are_bounded() -> None:
    """At most 10 finished calls, newest first; the oldest open call is forgotten past the bound (its
    end is then told without what came before)."""
    recent = RecentCalls()
    now = dt_util.utcnow()
    for n in range(40):
        recent.apply(_event("answered", f"s{n}"), now)
    for n in range(40):
        recent.apply(_event("ended", f"s{n}"), now)
    calls = recent.as_list()
    assert len(calls) == 10
    assert {call["result"] for call in calls} == {"answered"}
    # s0 was forgotten while open: an outbound end without its history reads as not answered.
    recent.apply(_event("answered", "x", "outbound"), now)
    for n in range(40):
        recent.apply(_event("ringing", f"y{n}"), now)
    assert recent.apply(_event("ended", "x", "outbound"), now) == FinishedCall(
        "outbound", "+1650", "Bob", "101", "Me", now - timedelta(seconds=3), 3.0, "unanswered"
    )
    assert FinishedCall.from_dict({"start": "not a time", "result": "missed"}) is None
