"""What Home Assistant's recorder keeps of a call: states yes, phone numbers and names no.

A real recorder (SQLite in memory) records a whole call; history is then read back through the
recorder's own history API, as the history panel would.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from homeassistant.components.recorder import Recorder, get_instance, history
from homeassistant.components.recorder.db_schema import Events, EventTypes
from homeassistant.core import HomeAssistant, State, callback
from homeassistant.helpers.recorder import session_scope
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.components.recorder.common import async_wait_recording_done

from custom_components.ringcentral.const import EVENT_RINGCENTRAL
from rcsim import Simulator

from .conftest import make_entry, setup_entry, wait_for
from .recorder import entity_id

PERSONAL = {"from", "from_name", "to", "to_name"}


@pytest.fixture(autouse=True)
def mock_recorder_before_hass(async_test_recorder: Any) -> None:
    """Set the recorder up before Home Assistant starts (phacc's documented hook)."""


async def _connected_entry(hass: HomeAssistant, sim: Simulator) -> str:
    """Set up an entry for the admin's own extension, connected; the extension's id."""
    entry = make_entry(sim)
    await setup_entry(hass, entry)
    await wait_for(hass, lambda: entry.runtime_data.coordinator.connected)
    return str(entry.data["extension_id"])


async def _play_answered_call(hass: HomeAssistant, sim: Simulator, me: str) -> str:
    sensor = entity_id(hass, "sensor", f"{me}_call_status")
    tsid = sim.state.calls.start("inbound_answered", me, step=True)
    assert sim.state.calls.step(tsid)  # rings
    await wait_for(hass, lambda: hass.states.get(sensor).state == "ringing")
    assert sim.state.calls.step(tsid)
    await wait_for(hass, lambda: hass.states.get(sensor).state == "call_connected")
    assert sim.state.calls.step(tsid)
    await wait_for(hass, lambda: hass.states.get(sensor).state == "no_call")
    await async_wait_recording_done(hass)
    return tsid


def _history(hass: HomeAssistant, start: datetime, entity: str) -> list[State]:
    """Every recorded state of `entity` since `start`, attribute-only changes included (an event
    entity's state is its event's time to the millisecond: two events may share it)."""
    states = history.get_significant_states(
        hass,
        start,
        entity_ids=[entity],
        include_start_time_state=False,
        significant_changes_only=False,
    )
    return [state for state in states.get(entity, []) if isinstance(state, State)]


def _recorded_bus_events(hass: HomeAssistant) -> int:
    with session_scope(hass=hass, read_only=True) as session:
        return (
            session.query(Events)
            .join(EventTypes, Events.event_type_id == EventTypes.event_type_id)
            .filter(EventTypes.event_type == EVENT_RINGCENTRAL)
            .count()
        )


async def test_history_keeps_call_states_but_no_phone_numbers(
    recorder_mock: Recorder, hass: HomeAssistant, sim: Simulator
) -> None:
    """The sensor's states and the event types are history; who called whom is not."""
    me = await _connected_entry(hass, sim)
    start = dt_util.utcnow()
    await _play_answered_call(hass, sim, me)

    sensor, event = entity_id(hass, "sensor", f"{me}_call_status"), entity_id(hass, "event", f"{me}_call")
    # While live, the numbers are in the state machine: that is what automations read.
    assert set(hass.states.get(event).attributes) >= PERSONAL

    sensor_history = await get_instance(hass).async_add_executor_job(_history, hass, start, sensor)
    statuses = [state.state for state in sensor_history]
    # Attribute-only writes (presence catching up with telephony) are recorded too: compare the changes.
    assert [s for i, s in enumerate(statuses) if i == 0 or s != statuses[i - 1]] == [
        "ringing",
        "call_connected",
        "no_call",
    ]
    for state in sensor_history:
        assert "active_calls" not in state.attributes
        assert state.attributes["dnd_status"] == "take_all_calls"  # everything else is kept

    event_history = await get_instance(hass).async_add_executor_job(_history, hass, start, event)
    assert [state.attributes["event_type"] for state in event_history] == ["ringing", "answered", "ended"]
    for state in event_history:
        assert not PERSONAL & set(state.attributes)
        assert state.attributes["direction"] == "inbound"


@pytest.mark.parametrize("recorder_config", [{"exclude": {"event_types": [EVENT_RINGCENTRAL]}}])
async def test_readme_recorder_exclude_keeps_bus_events_out(
    recorder_mock: Recorder, hass: HomeAssistant, sim: Simulator
) -> None:
    """The bus event carries the numbers; the README's recorder `exclude` keeps it out of the database."""
    me = await _connected_entry(hass, sim)
    heard: list[str] = []
    hass.bus.async_listen(EVENT_RINGCENTRAL, callback(lambda event: heard.append(event.data["type"])))
    await _play_answered_call(hass, sim, me)

    assert heard == ["ringing", "answered", "ended"]  # automations still get every event
    assert await get_instance(hass).async_add_executor_job(_recorded_bus_events, hass) == 0


async def test_bus_events_are_recorded_without_the_exclude(
    recorder_mock: Recorder, hass: HomeAssistant, sim: Simulator
) -> None:
    """Without the exclude every call event is in the database (what the README warns about)."""
    me = await _connected_entry(hass, sim)
    await _play_answered_call(hass, sim, me)
    assert await get_instance(hass).async_add_executor_job(_recorded_bus_events, hass) == 3
