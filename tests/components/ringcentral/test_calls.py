"""End to end: simulator scenarios → sensors, busy light, event entities and bus events, exactly once.

Everything is observed through Home Assistant (states, the bus); the simulator is driven through its
own API. Each scenario runs at speed; then a barrier (a presence change that must arrive after every
earlier notification on the same socket) proves nothing else is still on its way.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant

from custom_components.ringcentral.const import MONITOR_ACCOUNT, MONITOR_OWN
from custom_components.ringcentral.views import snake
from rcsim import Simulator

from .conftest import make_entry, setup_entry, wait_for
from .recorder import Recorder, entity_id

ON, OFF = STATE_ON, STATE_OFF


@dataclass(frozen=True)
class Expect:
    """What one extension's entities show during a scenario."""

    statuses: list[str]
    on_call: list[str]
    events: list[str]


QUIET = Expect([], [], [])
ANSWERED_IN = Expect(["ringing", "call_connected", "no_call"], [ON, OFF], ["ringing", "answered", "ended"])
ANSWERED_OUT = Expect(["ringing", "call_connected", "no_call"], [ON, OFF], ["dialing", "answered", "ended"])

# scenario → (needs a second extension, expectations for extensions 0, 1, 2). Extension 0 is the admin.
SCENARIOS: dict[str, tuple[bool, tuple[Expect, Expect, Expect]]] = {
    "inbound_answered": (False, (ANSWERED_IN, QUIET, QUIET)),
    "inbound_missed": (False, (Expect(["ringing", "no_call"], [], ["ringing", "missed"]), QUIET, QUIET)),
    "inbound_voicemail": (
        False,
        (Expect(["ringing", "no_call"], [], ["ringing", "voicemail", "missed"]), QUIET, QUIET),
    ),
    # Presence flickers Ringing → NoCall → Ringing while telephony rings on: nothing of it shows.
    "inbound_flicker": (False, (ANSWERED_IN, QUIET, QUIET)),
    "outbound_answered": (False, (ANSWERED_OUT, QUIET, QUIET)),
    "outbound_unanswered": (False, (Expect(["ringing", "no_call"], [], ["dialing", "ended"]), QUIET, QUIET)),
    "hold_resume": (
        False,
        (
            Expect(
                ["ringing", "call_connected", "on_hold", "call_connected", "no_call"],
                [ON, OFF],
                ["ringing", "answered", "on_hold", "resumed", "ended"],
            ),
            QUIET,
            QUIET,
        ),
    ),
    "park_pickup": (
        True,
        (
            Expect(
                ["ringing", "call_connected", "parked_call", "no_call"],
                [ON, OFF],
                ["ringing", "answered", "parked", "ended"],
            ),
            # Picking up a parked call starts connected: it never rang.
            Expect(["call_connected", "no_call"], [ON, OFF], ["answered", "ended"]),
            QUIET,
        ),
    ),
    "blind_transfer": (True, (ANSWERED_IN, ANSWERED_IN, QUIET)),
    "attended_transfer": (
        True,
        (
            # The original call goes on hold, the consult call connects; both end.
            Expect(
                ["ringing", "call_connected", "on_hold", "call_connected", "no_call"],
                [ON, OFF],
                ["ringing", "answered", "on_hold", "dialing", "answered", "ended", "ended"],
            ),
            # The target: the consult call, then the transferred call (starts connected). Telephony
            # reports the join with the consult call's end, so the target stays connected throughout
            # (as the simulator's ground truth does).
            Expect(
                ["ringing", "call_connected", "no_call"],
                [ON, OFF],
                ["ringing", "answered", "answered", "ended", "ended"],
            ),
            QUIET,
        ),
    ),
    "concurrent_calls": (
        False,
        (
            Expect(
                [
                    "ringing",
                    "call_connected",
                    "on_hold",
                    "call_connected",
                    "on_hold",
                    "call_connected",
                    "no_call",
                ],
                [ON, OFF],
                ["ringing", "answered", "ringing", "on_hold", "answered", "ended", "resumed", "ended"],
            ),
            QUIET,
            QUIET,
        ),
    ),
    # The queue rings three agents; the first answers, the others' calls end (picked up elsewhere).
    "queue_call": (
        False,
        (
            ANSWERED_IN,
            Expect(["ringing", "no_call"], [], ["ringing", "ended"]),
            Expect(["ringing", "no_call"], [], ["ringing", "ended"]),
        ),
    ),
    # Two extensions in one call, each with its own view.
    "internal_call": (True, (ANSWERED_OUT, ANSWERED_IN, QUIET)),
    "presence_change": (False, (QUIET, QUIET, QUIET)),
    "dnd_change": (False, (QUIET, QUIET, QUIET)),
}


def test_every_simulator_scenario_is_covered(sim: Simulator) -> None:
    assert set(SCENARIOS) == set(sim.state.calls.scenarios())


async def barrier(hass: HomeAssistant, sim: Simulator, extension_id: str) -> None:
    """Change the extension's user status and wait until HA shows it: every earlier notification is in."""
    sensor = entity_id(hass, "sensor", f"{extension_id}_call_status")
    now = sim.state.account.extensions[extension_id].user_status
    new = "Busy" if now != "Busy" else "Available"
    sim.state.calls.set_presence(extension_id, user_status=new)
    await wait_for(hass, lambda: hass.states.get(sensor).attributes.get("user_status") == new.lower())


def users(sim: Simulator) -> list[str]:
    return [ext.id for ext in sim.state.account.extensions.values() if ext.type == "User"]


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
async def test_scenario_account_wide(hass: HomeAssistant, sim: Simulator, scenario: str) -> None:
    """Monitoring the whole account: every extension involved shows its own side of the call."""
    entry = make_entry(sim, monitor=MONITOR_ACCOUNT)
    await setup_entry(hass, entry)
    await wait_for(hass, lambda: entry.runtime_data.coordinator.connected)
    ids = users(sim)
    recorder = Recorder(hass, ids)
    needs_other, expectations = SCENARIOS[scenario]

    sim.state.calls.start(scenario, ids[0], other_extension_id=ids[1] if needs_other else None)
    await sim.state.calls.drain()
    await barrier(hass, sim, ids[0])

    for ext_id, expect in zip(ids, expectations, strict=True):
        record = recorder[ext_id]
        # A state write for the barrier shows the idle state on quiet extension 0; ignore it.
        statuses = [] if record.statuses == ["no_call"] else record.statuses
        assert statuses == expect.statuses, ext_id
        assert record.on_call == expect.on_call, ext_id
        assert record.entity_events == expect.events, ext_id
        assert record.bus_types == expect.events, ext_id
        # The event entity and the bus carry the same data.
        for attributes, bus in zip(record.entity_event_attributes, record.bus_events, strict=True):
            assert {key: attributes[key] for key in bus if key in attributes} == {
                key: bus[key] for key in bus if key in attributes
            }
        sensor = hass.states.get(entity_id(hass, "sensor", f"{ext_id}_call_status"))
        assert sensor.state == "no_call"
        assert sensor.attributes["active_calls"] == []
    recorder.stop()
    assert await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.parametrize(
    "scenario",
    ["inbound_answered", "inbound_flicker", "hold_resume", "inbound_voicemail", "concurrent_calls"],
)
async def test_scenario_own_extension(hass: HomeAssistant, sim: Simulator, scenario: str) -> None:
    """The default: the user's own extension over extension-level filters (with SIP data)."""
    entry = make_entry(sim, monitor=MONITOR_OWN)
    await setup_entry(hass, entry)
    await wait_for(hass, lambda: entry.runtime_data.coordinator.connected)
    me = entry.data["extension_id"]
    recorder = Recorder(hass, [me])
    expect = SCENARIOS[scenario][1][0]

    sim.state.calls.start(scenario, me)
    await sim.state.calls.drain()
    await barrier(hass, sim, me)

    assert recorder[me].statuses == expect.statuses
    assert recorder[me].on_call == expect.on_call
    assert recorder[me].entity_events == expect.events
    assert recorder[me].bus_types == expect.events
    recorder.stop()
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_call_attributes_step_by_step(hass: HomeAssistant, sim: Simulator) -> None:
    """The sensor's attributes describe the active call; the event entity carries the call's details."""
    entry = make_entry(sim)
    await setup_entry(hass, entry)
    await wait_for(hass, lambda: entry.runtime_data.coordinator.connected)
    me = entry.data["extension_id"]
    me_ext = sim.state.account.extensions[me]
    sensor = entity_id(hass, "sensor", f"{me}_call_status")
    on_call = entity_id(hass, "binary_sensor", f"{me}_on_call")
    event = entity_id(hass, "event", f"{me}_call")

    tsid = sim.state.calls.start("inbound_answered", me, step=True)
    assert sim.state.calls.step(tsid)  # rings
    await wait_for(hass, lambda: hass.states.get(sensor).state == "ringing")
    state = hass.states.get(sensor)
    [call] = state.attributes["active_calls"]
    assert call["telephony_session_id"] == tsid
    assert call["direction"] == "inbound"
    assert call["status"] == "ringing"
    assert call["to"] == me_ext.phone_number
    assert call["from"]
    assert call["from_name"]
    assert call["party_id"]
    assert call["queue_call"] is False
    assert call["start_time"].endswith("+00:00")
    assert set(call) == {
        "telephony_session_id",
        "party_id",
        "session_id",
        "direction",
        "status",
        "from",
        "from_name",
        "to",
        "to_name",
        "start_time",
        "queue_call",
    }
    truth = sim.state.calls.ground_truth()[me]
    assert state.attributes["presence_status"] == snake(truth["presenceStatus"])
    assert state.attributes["user_status"] == "available"
    assert state.attributes["dnd_status"] == "take_all_calls"
    assert hass.states.get(on_call).state == STATE_OFF
    ringing = hass.states.get(event)
    assert ringing.attributes["event_type"] == "ringing"
    assert ringing.attributes["telephony_session_id"] == tsid
    assert ringing.attributes["from"] == call["from"]
    assert ringing.attributes["direction"] == "inbound"

    assert sim.state.calls.step(tsid)  # answered
    await wait_for(hass, lambda: hass.states.get(sensor).state == "call_connected")
    assert hass.states.get(on_call).state == STATE_ON
    assert hass.states.get(sensor).attributes["active_calls"][0]["status"] == "call_connected"

    assert sim.state.calls.step(tsid)  # hung up
    await wait_for(hass, lambda: hass.states.get(sensor).state == "no_call")
    assert hass.states.get(on_call).state == STATE_OFF
    ended = hass.states.get(event)
    assert ended.attributes["event_type"] == "ended"
    assert ended.attributes["duration"] is not None
    assert ended.attributes["duration"] >= 0
    assert await hass.config_entries.async_unload(entry.entry_id)
