"""What the recorder keeps of messages and recent calls: counts and types, never text, numbers or names.

A real recorder (SQLite in memory) records an inbound SMS and a missed call; the database is then
searched for the SMS text, the caller's number and name.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from homeassistant.components.recorder import Recorder, get_instance
from homeassistant.components.recorder.db_schema import EventData, Events, EventTypes, StateAttributes, States
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.recorder import session_scope
from homeassistant.util.yaml import parse_yaml
from pytest_homeassistant_custom_component.components.recorder.common import async_wait_recording_done

from custom_components.ringcentral.const import EVENT_RINGCENTRAL, EVENT_RINGCENTRAL_MESSAGE
from rcsim import Simulator

from .conftest import make_entry, settled, setup_entry, wait_for
from .recorder import entity_id

TEXT = "The door code is 4711"
SENDER, SENDER_NAME = "+14155550198", "Jane Cooper"
README = Path(__file__).parents[3] / "README.md"


def readme_recorder_config() -> dict[str, Any]:
    """The README's `recorder:` settings (its privacy section), as Home Assistant parses them."""
    block = re.search(r"```yaml\n(recorder:\n.*?)```", README.read_text(), re.DOTALL)
    assert block is not None, "the README has no recorder example"
    config = parse_yaml(block[1])
    assert isinstance(config, dict)
    return dict(config["recorder"])


# The README's recorder settings keep the bus events (they carry numbers and text) and the last
# caller's name out of the database.
README_EXCLUDE = readme_recorder_config()


@pytest.fixture(autouse=True)
def mock_recorder_before_hass(async_test_recorder: Any) -> None:
    """Set the recorder up before Home Assistant starts (phacc's documented hook)."""


def _database(hass: HomeAssistant) -> tuple[str, dict[str, int]]:
    """Every recorded attribute and event payload as one text, and the count of each event type."""
    with session_scope(hass=hass, read_only=True) as session:
        attributes = [row.shared_attrs for row in session.query(StateAttributes).all()]
        payloads = [row.shared_data for row in session.query(EventData).all()]
        states = [row.state for row in session.query(States).all()]
        counts: dict[str, int] = {}
        for (event_type,) in session.query(EventTypes.event_type).join(
            Events, Events.event_type_id == EventTypes.event_type_id
        ):
            counts[event_type] = counts.get(event_type, 0) + 1
    return "\n".join(str(value) for value in [*attributes, *payloads, *states]), counts


async def _sms_and_missed_call(hass: HomeAssistant, sim: Simulator) -> tuple[str, list[dict[str, Any]]]:
    entry = make_entry(sim)
    await setup_entry(hass, entry)
    await wait_for(hass, lambda: entry.runtime_data.coordinator.connected and settled(hass, entry))
    me = str(entry.data["extension_id"])
    heard: list[dict[str, Any]] = []
    hass.bus.async_listen(EVENT_RINGCENTRAL_MESSAGE, callback(lambda event: heard.append(dict(event.data))))
    ext = sim.state.account.extensions[me]
    sim.state.messages.receive_sms(ext, from_number=SENDER, from_name=SENDER_NAME, text=TEXT)
    await wait_for(hass, lambda: len(heard) == 1)
    missed = entity_id(hass, "sensor", f"{me}_missed_calls")
    sim.state.calls.start("inbound_missed", me)
    await sim.state.calls.drain()
    await wait_for(hass, lambda: hass.states.get(missed).state == "1")
    await async_wait_recording_done(hass)
    return me, heard


@pytest.mark.parametrize("recorder_config", [README_EXCLUDE])
async def test_nothing_personal_is_recorded(
    recorder_mock: Recorder, hass: HomeAssistant, sim: Simulator
) -> None:
    """The SMS reaches automations with its text; the database holds its type and the counts only."""
    me, heard = await _sms_and_missed_call(hass, sim)
    assert heard[0]["text"] == TEXT  # on the bus
    caller = hass.states.get(entity_id(hass, "sensor", f"{me}_last_caller"))
    assert caller is not None
    # While live, automations read them from the state machine.
    assert hass.states.get(entity_id(hass, "event", f"{me}_message")).attributes["text"] == TEXT

    recorded, counts = await get_instance(hass).async_add_executor_job(_database, hass)
    for personal in (TEXT, SENDER, SENDER_NAME, caller.attributes["from"], caller.attributes["from_name"]):
        assert personal not in recorded
    assert EVENT_RINGCENTRAL_MESSAGE not in counts
    assert EVENT_RINGCENTRAL not in counts
    assert '"event_type":"sms"' in recorded  # the type is history
    assert '"last_reset"' in recorded  # the missed-calls count is history (statistics need it)


async def test_without_the_exclude_only_the_bus_event_holds_the_text(
    recorder_mock: Recorder, hass: HomeAssistant, sim: Simulator
) -> None:
    """Entity history never holds the text; the bus event does until excluded (the README says so)."""
    await _sms_and_missed_call(hass, sim)
    recorded, counts = await get_instance(hass).async_add_executor_job(_database, hass)
    assert counts[EVENT_RINGCENTRAL_MESSAGE] == 1
    assert recorded.count(TEXT) == 1  # in the one event payload, in no state
