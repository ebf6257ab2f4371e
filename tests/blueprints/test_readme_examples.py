"""The README's automation examples, loaded as written, do what the README says when calls are played.

Each ```yaml block starting with ``# Example: <name>`` is an example; its placeholder entity ids
(``sensor.alice_smith_call_status`` and friends) are swapped for the test extension's real ones.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.setup import async_setup_component
from homeassistant.util.yaml import parse_yaml
from pytest_homeassistant_custom_component.common import async_mock_service

from rcsim import Simulator
from rcsim.message_model import READ

from .conftest import README, Extension, finish, load_automations, step_until, wait_for

_BLOCK_RE = re.compile(r"```yaml\n# Example: (?P<name>[^\n]+)\n(?P<body>.*?)```", re.DOTALL)
_PLACEHOLDER_RE = re.compile(
    r"\b(sensor|binary_sensor|event|select)\.alice_smith_"
    r"(call_status|on_call|call|do_not_disturb|missed_calls|unread_voicemails|message)\b"
)


def readme_examples() -> dict[str, str]:
    """Example name -> YAML text, in README order."""
    return {m["name"].strip(): m["body"] for m in _BLOCK_RE.finditer(README.read_text())}


def example(name: str, extension: Extension) -> list[dict[str, Any]]:
    """The automations of one README example, with the test extension's entity ids."""
    return automations_of(example_text(name, extension))


def example_text(name: str, extension: Extension) -> str:
    """One README example's YAML, with the test extension's entity ids."""
    ids = {
        "call_status": extension.call_status,
        "on_call": extension.on_call,
        "call": extension.call,
        "do_not_disturb": extension.do_not_disturb,
        "missed_calls": extension.missed_calls,
        "unread_voicemails": extension.unread_voicemails,
        "message": extension.message,
    }
    return _PLACEHOLDER_RE.sub(lambda m: ids[m[2]], readme_examples()[name])


def automations_of(text: str) -> list[dict[str, Any]]:
    """The ``automation:`` list of a YAML text, parsed by HA's own YAML loader."""
    data = parse_yaml(text)
    assert isinstance(data, dict)
    automations = data["automation"]
    assert isinstance(automations, list)
    return automations


def test_readme_has_the_examples() -> None:
    """The examples the issues ask for are in the README: automations, a dashboard card and a script."""
    examples = readme_examples()
    assert list(examples) == [
        "hang-up button",
        "click-to-dial",
        "do not disturb during meetings",
        "busy light",
        "pause music",
        "missed-call notification",
        "missed calls with names",
        "voicemail light",
        "announce the caller",
        "voicemail by SMS",
    ]
    for name, text in examples.items():
        data = parse_yaml(text)
        assert isinstance(data, dict)
        if name == "hang-up button":
            assert data["tap_action"]["perform_action"] == "ringcentral.hang_up"
        elif name == "click-to-dial":
            assert data["script"]
        else:
            assert automations_of(text)


async def test_example_busy_light(hass: HomeAssistant, sim: Simulator, extension: Extension) -> None:
    turn_on = async_mock_service(hass, "light", "turn_on")
    turn_off = async_mock_service(hass, "light", "turn_off")
    await load_automations(hass, example("busy light", extension))
    tsid = sim.state.calls.start("outbound_answered", extension.id, step=True)
    await step_until(hass, sim, tsid, extension, "call_connected")
    await wait_for(hass, lambda: len(turn_on) == 1)
    assert turn_on[0].data["entity_id"] == ["light.office_door"]
    assert turn_on[0].data["rgb_color"] == [255, 0, 0]
    await finish(hass, sim, tsid, extension)
    await wait_for(hass, lambda: len(turn_off) == 1)
    assert turn_off[0].data == {"entity_id": ["light.office_door"]}


async def test_example_pause_music(hass: HomeAssistant, sim: Simulator, extension: Extension) -> None:
    hass.states.async_set("media_player.kitchen", "playing")
    hass.states.async_set("media_player.office", "playing")
    pause = async_mock_service(hass, "media_player", "media_pause")
    play = async_mock_service(hass, "media_player", "media_play")
    await load_automations(hass, example("pause music", extension))
    tsid = sim.state.calls.start("inbound_answered", extension.id, step=True)
    await step_until(hass, sim, tsid, extension, "ringing")
    await wait_for(hass, lambda: len(pause) == 1)
    assert pause[0].data == {"entity_id": ["media_player.kitchen", "media_player.office"]}
    await finish(hass, sim, tsid, extension)
    await wait_for(hass, lambda: len(play) == 1)
    assert play[0].data == {"entity_id": ["media_player.kitchen", "media_player.office"]}


async def test_example_missed_call_notification(
    hass: HomeAssistant, sim: Simulator, extension: Extension
) -> None:
    notify = async_mock_service(hass, "notify", "mobile_app_alice_phone")
    await load_automations(hass, example("missed-call notification", extension))
    tsid = sim.state.calls.start("inbound_missed", extension.id, step=True)
    await finish(hass, sim, tsid, extension)
    await wait_for(hass, lambda: len(notify) == 1)
    state = hass.states.get(extension.call)
    assert state is not None
    assert notify[0].data["title"] == "Missed call"
    assert (
        notify[0]
        .data["message"]
        .startswith(f"{state.attributes['from_name']} ({state.attributes['from']}) called ")
    )


@pytest.mark.parametrize("scenario", ["inbound_answered", "outbound_answered"])
async def test_example_announce_the_caller(
    hass: HomeAssistant, sim: Simulator, extension: Extension, scenario: str
) -> None:
    """Inbound calls are announced with the caller's name once; outbound calls are not announced."""
    speak = async_mock_service(hass, "tts", "speak")
    ringing: list[dict[str, Any]] = []

    @callback
    def _record(event: Event) -> None:
        if event.data["type"] == "ringing":
            ringing.append(dict(event.data))

    hass.bus.async_listen("ringcentral_event", _record)
    await load_automations(hass, example("announce the caller", extension))
    tsid = sim.state.calls.start(scenario, extension.id, step=True)
    await finish(hass, sim, tsid, extension)
    if scenario == "outbound_answered":

        def ended() -> bool:
            state = hass.states.get(extension.call)
            return state is not None and state.attributes.get("event_type") == "ended"

        await wait_for(hass, ended)
        assert not speak
        return
    await wait_for(hass, lambda: len(speak) == 1)
    assert len(ringing) == 1
    caller = ringing[0]["from_name"] or ringing[0]["from"]
    assert caller
    assert speak[0].data["entity_id"] == ["tts.home_assistant_cloud"]
    assert speak[0].data["media_player_entity_id"] == "media_player.kitchen"
    assert f"from {caller}." in speak[0].data["message"]


async def test_example_hang_up_button(hass: HomeAssistant, sim: Simulator, extension: Extension) -> None:
    """Tapping the card runs its action: the connected call ends."""
    card = parse_yaml(example_text("hang-up button", extension))
    assert isinstance(card, dict)
    tap = card["tap_action"]
    assert tap["action"] == "perform-action"
    tsid = sim.state.calls.start("inbound_answered", extension.id, step=True)
    await step_until(hass, sim, tsid, extension, "call_connected")

    domain, service = tap["perform_action"].split(".")
    await hass.services.async_call(domain, service, {**tap.get("data", {}), **tap["target"]}, blocking=True)

    await wait_for(hass, lambda: hass.states.get(extension.call_status).state == "no_call")  # type: ignore[union-attr]
    assert sim.state.calls.ground_truth()[extension.id]["telephonyStatus"] == "NoCall"


async def test_example_click_to_dial(hass: HomeAssistant, sim: Simulator, extension: Extension) -> None:
    """The script rings the extension first and logs the RingOut's id and status."""
    log = async_mock_service(hass, "logbook", "log")
    config = parse_yaml(example_text("click-to-dial", extension))
    assert isinstance(config, dict)
    assert await async_setup_component(hass, "script", {"script": config["script"]})

    await hass.services.async_call("script", "call_the_plumber", blocking=True)

    assert len(log) == 1
    assert re.fullmatch(r"RingOut \S+: in_progress", log[0].data["message"])
    await wait_for(hass, lambda: hass.states.get(extension.call_status).state == "ringing")  # type: ignore[union-attr]


async def test_example_do_not_disturb_during_meetings(
    hass: HomeAssistant, sim: Simulator, extension: Extension
) -> None:
    """A calendar event sets do not disturb at RingCentral; its end takes all calls again."""
    hass.states.async_set("calendar.work", "off")
    await load_automations(hass, example("do not disturb during meetings", extension))
    truth = sim.state.account.extensions[extension.id]

    hass.states.async_set("calendar.work", "on")
    await wait_for(hass, lambda: truth.dnd_status == "DoNotAcceptAnyCalls")
    await wait_for(hass, lambda: hass.states.get(extension.do_not_disturb).state == "do_not_accept_any_calls")  # type: ignore[union-attr]

    hass.states.async_set("calendar.work", "off")
    await wait_for(hass, lambda: truth.dnd_status == "TakeAllCalls")
    await wait_for(hass, lambda: hass.states.get(extension.do_not_disturb).state == "take_all_calls")  # type: ignore[union-attr]


async def test_example_missed_calls_with_names(
    hass: HomeAssistant, sim: Simulator, extension: Extension
) -> None:
    notify = async_mock_service(hass, "notify", "mobile_app_alice_phone")
    await load_automations(hass, example("missed calls with names", extension))
    tsid = sim.state.calls.start("inbound_missed", extension.id, step=True)
    await finish(hass, sim, tsid, extension)
    await wait_for(hass, lambda: len(notify) == 1)
    state = hass.states.get(extension.missed_calls)
    assert state is not None
    name, number = state.attributes["last_missed_from_name"], state.attributes["last_missed_from"]
    assert notify[0].data == {
        "title": "Missed call",
        "message": f"{name} ({number}) called. Missed calls today: 1.",
    }


async def test_example_voicemail_light(hass: HomeAssistant, sim: Simulator, extension: Extension) -> None:
    turn_on = async_mock_service(hass, "light", "turn_on")
    turn_off = async_mock_service(hass, "light", "turn_off")
    await load_automations(hass, example("voicemail light", extension))
    ext = sim.state.account.extensions[extension.id]
    message = sim.state.messages.leave_voicemail(ext, from_number="+14155550198", duration=5)
    await wait_for(hass, lambda: len(turn_on) == 1)
    assert turn_on[0].data == {
        "entity_id": ["light.hallway"],
        "rgb_color": [255, 0, 0],
        "brightness_pct": 100,
    }
    sim.state.messages.set_read_status(message, READ)
    await wait_for(hass, lambda: len(turn_off) == 1)
    assert turn_off[0].data == {"entity_id": ["light.hallway"]}


async def test_example_voicemail_by_sms(hass: HomeAssistant, sim: Simulator, extension: Extension) -> None:
    """A real `ringcentral.send_sms` against the simulator: the voicemail's transcription is texted."""
    await load_automations(hass, example("voicemail by SMS", extension))
    ext = sim.state.account.extensions[extension.id]
    sim.state.messages.leave_voicemail(
        ext, from_number="+14155550198", from_name="Jane Cooper", duration=9, transcription="Call me back"
    )

    def sent() -> list[str]:
        return [m.subject or "" for m in sim.state.messages.messages(ext.id) if m.direction == "Outbound"]

    await wait_for(hass, lambda: len(sent()) == 1)
    assert sent() == ["Voicemail from Jane Cooper (9 s): Call me back"]
    [outbound] = [m for m in sim.state.messages.messages(ext.id) if m.direction == "Outbound"]
    assert [a.phone_number for a in outbound.to] == ["+16505550188"]
