"""Each blueprint, loaded into Home Assistant and driven by simulator calls, calls the services it promises.

Services are phacc mock services, so the assertions are on exactly what HA was asked to do.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from homeassistant.components.blueprint.models import Blueprint
from homeassistant.components.blueprint.schemas import BLUEPRINT_SCHEMA
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from homeassistant.util.yaml import load_yaml_dict
from pytest_homeassistant_custom_component.common import async_fire_time_changed, async_mock_service

from custom_components.ringcentral.const import DOMAIN
from rcsim import Simulator
from rcsim.message_model import READ

from .conftest import (
    BLUEPRINTS,
    Extension,
    blueprint_automation,
    finish,
    load_automations,
    step_until,
    wait_for,
)


@pytest.mark.parametrize("path", sorted(BLUEPRINTS.glob("*.yaml")), ids=lambda p: p.name)
def test_blueprint_is_valid(path: Path) -> None:
    """HA's own blueprint schema accepts the file, and every input is used or has a default."""
    blueprint = Blueprint(load_yaml_dict(path), expected_domain="automation", schema=BLUEPRINT_SCHEMA)
    assert blueprint.name.startswith("RingCentral")
    assert blueprint.metadata["source_url"].endswith(f"blueprints/automation/ringcentral/{path.name}")
    text = path.read_text()
    for name in blueprint.inputs:
        assert f"!input {name}" in text, f"input {name} is declared but never used"


async def test_busy_light(hass: HomeAssistant, sim: Simulator, extension: Extension) -> None:
    """The light turns red while the call is connected and off when it ends; not while only ringing."""
    turn_on = async_mock_service(hass, "light", "turn_on")
    turn_off = async_mock_service(hass, "light", "turn_off")
    await load_automations(
        hass,
        [
            blueprint_automation(
                "busy_light.yaml",
                {"on_call_sensor": extension.on_call, "busy_light": {"entity_id": "light.office_door"}},
            )
        ],
    )
    tsid = sim.state.calls.start("inbound_answered", extension.id, step=True)

    await step_until(hass, sim, tsid, extension, "ringing")
    on_call = hass.states.get(extension.on_call)
    assert on_call is not None
    assert on_call.state == "off"
    assert not turn_on

    await step_until(hass, sim, tsid, extension, "call_connected")
    await wait_for(hass, lambda: len(turn_on) == 1)
    assert turn_on[0].data == {
        "entity_id": ["light.office_door"],
        "rgb_color": [255, 0, 0],
        "brightness_pct": 100,
    }
    assert not turn_off

    await finish(hass, sim, tsid, extension)
    await wait_for(hass, lambda: len(turn_off) == 1)
    assert turn_off[0].data == {"entity_id": ["light.office_door"]}
    assert len(turn_on) == 1


async def test_busy_light_stays_on_while_on_hold(
    hass: HomeAssistant, sim: Simulator, extension: Extension
) -> None:
    """Hold counts as busy: holding and resuming a call does not flash the light."""
    turn_on = async_mock_service(hass, "light", "turn_on")
    turn_off = async_mock_service(hass, "light", "turn_off")
    await load_automations(
        hass,
        [
            blueprint_automation(
                "busy_light.yaml",
                {
                    "on_call_sensor": extension.on_call,
                    "busy_light": {"entity_id": "light.desk"},
                    "busy_color": [0, 0, 255],
                    "brightness": 40,
                },
            )
        ],
    )
    tsid = sim.state.calls.start("hold_resume", extension.id, step=True)
    await step_until(hass, sim, tsid, extension, "on_hold")
    await wait_for(hass, lambda: len(turn_on) == 1)
    assert turn_on[0].data["rgb_color"] == [0, 0, 255]
    assert turn_on[0].data["brightness_pct"] == 40
    assert not turn_off
    await finish(hass, sim, tsid, extension)
    await wait_for(hass, lambda: len(turn_off) == 1)
    assert len(turn_on) == 1


def _media_players(hass: HomeAssistant) -> None:
    hass.states.async_set("media_player.kitchen", "playing")
    hass.states.async_set("media_player.bedroom", "paused")


@pytest.mark.parametrize("scenario", ["inbound_answered", "inbound_missed"])
async def test_pause_media_pauses_while_ringing_and_resumes(
    hass: HomeAssistant, sim: Simulator, extension: Extension, scenario: str
) -> None:
    """Only the players that were playing are paused at the first ring and resumed after the call."""
    _media_players(hass)
    pause = async_mock_service(hass, "media_player", "media_pause")
    play = async_mock_service(hass, "media_player", "media_play")
    inputs = {
        "call_status_sensor": extension.call_status,
        "media_players": ["media_player.kitchen", "media_player.bedroom"],
    }
    await load_automations(hass, [blueprint_automation("pause_media.yaml", inputs)])
    tsid = sim.state.calls.start(scenario, extension.id, step=True)

    await step_until(hass, sim, tsid, extension, "ringing")
    await wait_for(hass, lambda: len(pause) == 1)
    assert pause[0].data == {"entity_id": ["media_player.kitchen"]}
    assert not play

    await finish(hass, sim, tsid, extension)
    await wait_for(hass, lambda: len(play) == 1)
    assert play[0].data == {"entity_id": ["media_player.kitchen"]}
    assert len(pause) == 1, "a call's later states must not pause again"


async def test_pause_media_can_wait_for_the_answer(
    hass: HomeAssistant, sim: Simulator, extension: Extension
) -> None:
    """With pause_when_ringing off, ringing leaves the music alone; answering pauses it."""
    _media_players(hass)
    pause = async_mock_service(hass, "media_player", "media_pause")
    play = async_mock_service(hass, "media_player", "media_play")
    inputs: dict[str, Any] = {
        "call_status_sensor": extension.call_status,
        "media_players": ["media_player.kitchen"],
        "pause_when_ringing": False,
    }
    await load_automations(hass, [blueprint_automation("pause_media.yaml", inputs)])
    tsid = sim.state.calls.start("inbound_answered", extension.id, step=True)

    await step_until(hass, sim, tsid, extension, "ringing")
    assert not pause
    await step_until(hass, sim, tsid, extension, "call_connected")
    await wait_for(hass, lambda: len(pause) == 1)
    await finish(hass, sim, tsid, extension)
    await wait_for(hass, lambda: len(play) == 1)
    assert play[0].data == {"entity_id": ["media_player.kitchen"]}


async def test_pause_media_leaves_stopped_players_alone(
    hass: HomeAssistant, sim: Simulator, extension: Extension
) -> None:
    """Nothing playing: no pause and no resume (resuming would start music nobody was playing).

    A second call with music playing then pauses: the first call left no run of the automation behind.
    """
    hass.states.async_set("media_player.kitchen", "idle")
    pause = async_mock_service(hass, "media_player", "media_pause")
    play = async_mock_service(hass, "media_player", "media_play")
    inputs = {"call_status_sensor": extension.call_status, "media_players": ["media_player.kitchen"]}
    await load_automations(hass, [blueprint_automation("pause_media.yaml", inputs)])
    tsid = sim.state.calls.start("inbound_answered", extension.id, step=True)
    await finish(hass, sim, tsid, extension)
    assert not pause
    assert not play

    hass.states.async_set("media_player.kitchen", "playing")
    tsid = sim.state.calls.start("outbound_answered", extension.id, step=True)
    await step_until(hass, sim, tsid, extension, "call_connected")
    await wait_for(hass, lambda: len(pause) == 1)
    await finish(hass, sim, tsid, extension)
    await wait_for(hass, lambda: len(play) == 1)


@pytest.mark.parametrize("scenario", ["inbound_missed", "inbound_voicemail"])
async def test_missed_call_notification(
    hass: HomeAssistant, sim: Simulator, extension: Extension, scenario: str
) -> None:
    """A missed call (also one that went to voicemail) notifies once with the caller's name and number."""
    notify = async_mock_service(hass, "notify", "mobile_app_phone")
    inputs = {"call_event": extension.call, "notify_action": "notify.mobile_app_phone"}
    await load_automations(hass, [blueprint_automation("missed_call_notification.yaml", inputs)])
    tsid = sim.state.calls.start(scenario, extension.id, step=True)
    await finish(hass, sim, tsid, extension)

    await wait_for(hass, lambda: len(notify) == 1)
    missed = hass.states.get(extension.call)
    assert missed is not None
    assert missed.attributes["event_type"] == "missed"
    caller_name, caller_number = missed.attributes["from_name"], missed.attributes["from"]
    assert caller_name
    assert caller_number
    callee = missed.attributes["to_name"] or missed.attributes["to"]
    assert notify[0].data == {
        "title": "Missed call",
        "message": f"{caller_name} ({caller_number}) called {callee}.",
    }


@pytest.mark.parametrize("scenario", ["inbound_answered", "outbound_unanswered"])
async def test_missed_call_notification_ignores_other_calls(
    hass: HomeAssistant, sim: Simulator, extension: Extension, scenario: str
) -> None:
    """Answered and outbound calls end as 'ended', not 'missed': no notification."""
    notify = async_mock_service(hass, "notify", "notify")
    await load_automations(
        hass, [blueprint_automation("missed_call_notification.yaml", {"call_event": extension.call})]
    )
    tsid = sim.state.calls.start(scenario, extension.id, step=True)
    await finish(hass, sim, tsid, extension)
    event_types: list[str] = []

    def ended() -> bool:
        state = hass.states.get(extension.call)
        if state is not None:
            event_types.append(state.attributes.get("event_type", ""))
        return bool(event_types) and event_types[-1] == "ended"

    await wait_for(hass, ended)
    assert not notify


@pytest.mark.parametrize(
    "case",
    [
        ({}, "DoNotAcceptAnyCalls", "TakeAllCalls"),
        (
            {"dnd_option": "do_not_accept_department_calls", "off_option": "take_department_calls_only"},
            "DoNotAcceptDepartmentCalls",
            "TakeDepartmentCallsOnly",
        ),
    ],
)
async def test_dnd_while(
    hass: HomeAssistant, sim: Simulator, extension: Extension, case: tuple[dict[str, str], str, str]
) -> None:
    """While the entity is on the extension does not take calls (set at RingCentral, shown by the
    select); off again, it takes them; the entity going unavailable changes nothing."""
    inputs, while_on, afterwards = case
    hass.states.async_set("input_boolean.sleeping", "off")
    inputs = {"condition_entity": "input_boolean.sleeping", "dnd_select": extension.do_not_disturb, **inputs}
    await load_automations(hass, [blueprint_automation("dnd_while.yaml", inputs)])
    truth = sim.state.account.extensions[extension.id]

    def shown(value: str) -> bool:
        state = hass.states.get(extension.do_not_disturb)
        return truth.dnd_status == value and state is not None and state.state == _snake(value)

    hass.states.async_set("input_boolean.sleeping", "on")
    await wait_for(hass, lambda: shown(while_on))
    # A call now goes straight to voicemail when nothing is accepted.
    if while_on == "DoNotAcceptAnyCalls":
        tsid = sim.state.calls.start("inbound_answered", extension.id, step=True)
        sim.state.calls.step(tsid)
        assert sim.state.calls.ground_truth()[extension.id]["telephonyStatus"] == "NoCall"

    hass.states.async_set("input_boolean.sleeping", "unavailable")
    await hass.async_block_till_done()
    assert truth.dnd_status == while_on

    hass.states.async_set("input_boolean.sleeping", "on")
    hass.states.async_set("input_boolean.sleeping", "off")
    await wait_for(hass, lambda: shown(afterwards))


def _snake(value: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", value).lower()


async def test_missed_call_with_name(hass: HomeAssistant, sim: Simulator, extension: Extension) -> None:
    """Each missed call notifies once, with the caller's name and number and today's count; answered
    calls and the reset at midnight do not notify."""
    notify = async_mock_service(hass, "notify", "mobile_app_phone")
    inputs = {"missed_calls_sensor": extension.missed_calls, "notify_action": "notify.mobile_app_phone"}
    await load_automations(hass, [blueprint_automation("missed_call_with_name.yaml", inputs)])

    for scenario in ("inbound_answered", "inbound_missed", "inbound_voicemail"):
        tsid = sim.state.calls.start(scenario, extension.id, step=True)
        await finish(hass, sim, tsid, extension)
        await wait_for(hass, lambda: _last_event_ends_a_call(hass, extension))
    await wait_for(hass, lambda: len(notify) == 2)
    missed = hass.states.get(extension.missed_calls)
    assert missed is not None
    assert missed.state == "2"
    name, number = missed.attributes["last_missed_from_name"], missed.attributes["last_missed_from"]
    assert name
    assert number
    assert notify[1].data == {
        "title": "Missed call",
        "message": f"{name} ({number}) called. Missed calls today: 2.",
    }
    assert notify[0].data["message"].endswith(" called. Missed calls today: 1.")

    midnight = dt_util.start_of_local_day(dt_util.now().date() + timedelta(days=1))
    async_fire_time_changed(hass, midnight)
    await wait_for(hass, lambda: hass.states.get(extension.missed_calls).state == "0")
    await hass.async_block_till_done()
    assert len(notify) == 2


def _last_event_ends_a_call(hass: HomeAssistant, extension: Extension) -> bool:
    state = hass.states.get(extension.call)
    return state is not None and state.attributes.get("event_type") in ("missed", "ended")


async def test_voicemail_light(hass: HomeAssistant, sim: Simulator, extension: Extension) -> None:
    """On while voicemail is unread (a second one changes nothing), off once all are read."""
    turn_on = async_mock_service(hass, "light", "turn_on")
    turn_off = async_mock_service(hass, "light", "turn_off")
    inputs = {
        "unread_voicemails_sensor": extension.unread_voicemails,
        "waiting_light": {"entity_id": "light.hallway"},
        "waiting_color": [0, 0, 255],
        "brightness": 30,
    }
    await load_automations(hass, [blueprint_automation("voicemail_light.yaml", inputs)])
    ext = sim.state.account.extensions[extension.id]
    first = sim.state.messages.leave_voicemail(ext, from_number="+14155550198", duration=5)
    await wait_for(hass, lambda: len(turn_on) == 1)
    assert turn_on[0].data == {"entity_id": ["light.hallway"], "rgb_color": [0, 0, 255], "brightness_pct": 30}
    second = sim.state.messages.leave_voicemail(ext, from_number="+13125550121", duration=8)
    await wait_for(hass, lambda: hass.states.get(extension.unread_voicemails).state == "2")

    sim.state.messages.set_read_status(first, READ)
    await wait_for(hass, lambda: hass.states.get(extension.unread_voicemails).state == "1")
    assert not turn_off
    sim.state.messages.set_read_status(second, READ)
    await wait_for(hass, lambda: len(turn_off) == 1)
    assert turn_off[0].data == {"entity_id": ["light.hallway"]}


async def test_voicemail_light_follows_the_count_after_a_restart(
    hass: HomeAssistant, sim: Simulator, extension: Extension
) -> None:
    """A voicemail read while the integration was not running: its first count afterwards turns the
    light off."""
    turn_on = async_mock_service(hass, "light", "turn_on")
    turn_off = async_mock_service(hass, "light", "turn_off")
    inputs = {
        "unread_voicemails_sensor": extension.unread_voicemails,
        "waiting_light": {"entity_id": "light.x"},
    }
    await load_automations(hass, [blueprint_automation("voicemail_light.yaml", inputs)])
    ext = sim.state.account.extensions[extension.id]
    message = sim.state.messages.leave_voicemail(ext, from_number="+14155550198", duration=5)
    await wait_for(hass, lambda: len(turn_on) == 1)

    [entry] = hass.config_entries.async_entries(DOMAIN)
    assert await hass.config_entries.async_unload(entry.entry_id)
    sim.state.messages.set_read_status(message, READ)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await wait_for(hass, lambda: len(turn_off) == 1)
    assert hass.states.get(extension.unread_voicemails).state == "0"
