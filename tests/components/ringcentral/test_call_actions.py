"""Call actions end to end: each changes the simulated call, and the sensors and events follow
exactly once, as for the same thing done on a phone; click-to-dial rings the extension first."""

from __future__ import annotations

from typing import Any

import pytest
from homeassistant.const import ATTR_DEVICE_ID, ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant, ServiceResponse
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er

from custom_components.ringcentral.const import CONF_RING_OUT_FROM, DOMAIN, MONITOR_ACCOUNT
from rcsim import Simulator

from .conftest import make_entry, setup_entry, wait_for
from .recorder import Recorder, entity_id
from .test_calls import barrier


async def act(
    hass: HomeAssistant, service: str, target: dict[str, Any], *, response: bool = False, **data: Any
) -> ServiceResponse:
    return await hass.services.async_call(
        DOMAIN, service, {**target, **data}, blocking=True, return_response=response
    )


def sensor_of(hass: HomeAssistant, ext_id: str) -> str:
    return entity_id(hass, "sensor", f"{ext_id}_call_status")


def status(hass: HomeAssistant, ext_id: str) -> str:
    return hass.states.get(sensor_of(hass, ext_id)).state


async def ready(hass: HomeAssistant, sim: Simulator, extension_id: str | None = None, **options: Any) -> str:
    """Set up an entry (own extension unless options say otherwise); returns the extension id."""
    entry = make_entry(sim, extension_id, **options)
    await setup_entry(hass, entry)
    await wait_for(hass, lambda: entry.runtime_data.coordinator.connected)
    return str(entry.data["extension_id"])


async def connected_call(
    hass: HomeAssistant, sim: Simulator, ext_id: str, scenario: str = "inbound_answered"
) -> str:
    tsid = sim.state.calls.start(scenario, ext_id, step=True)
    sim.state.calls.step(tsid)  # rings
    await wait_for(hass, lambda: status(hass, ext_id) == "ringing")
    sim.state.calls.step(tsid)  # answered
    await wait_for(hass, lambda: status(hass, ext_id) == "call_connected")
    return tsid


@pytest.mark.parametrize("by", ["entity", "device"])
async def test_hold_resume_hang_up(hass: HomeAssistant, sim: Simulator, by: str) -> None:
    me = await ready(hass, sim)
    sensor = sensor_of(hass, me)
    target = (
        {ATTR_ENTITY_ID: sensor}
        if by == "entity"
        else {ATTR_DEVICE_ID: er.async_get(hass).async_get(sensor).device_id}  # type: ignore[union-attr]
    )
    recorder = Recorder(hass, [me])
    tsid = await connected_call(hass, sim, me)

    await act(hass, "hold", target)
    await wait_for(hass, lambda: status(hass, me) == "on_hold")
    assert sim.state.calls.ground_truth()[me]["telephonyStatus"] == "OnHold"
    await act(hass, "resume", target, telephony_session_id=tsid)
    await wait_for(hass, lambda: status(hass, me) == "call_connected")
    await act(hass, "hang_up", target)
    await wait_for(hass, lambda: status(hass, me) == "no_call")
    await barrier(hass, sim, me)

    events = ["ringing", "answered", "on_hold", "resumed", "ended"]
    assert recorder[me].entity_events == events
    assert recorder[me].bus_types == events
    assert recorder[me].statuses == ["ringing", "call_connected", "on_hold", "call_connected", "no_call"]
    recorder.stop()


@pytest.mark.parametrize(
    ("ext_type", "events"),
    [("User", ["ringing", "voicemail", "missed"]), ("DigitalUser", ["ringing", "missed"])],
)
async def test_reject(hass: HomeAssistant, sim: Simulator, ext_type: str, events: list[str]) -> None:
    """A rejected call goes to voicemail or is missed, as the platform says."""
    ext = sim.state.account.add_extension("Desk", ext_type=ext_type)
    me = await ready(hass, sim, ext.id)
    recorder = Recorder(hass, [me])
    tsid = sim.state.calls.start("inbound_answered", me, step=True)
    sim.state.calls.step(tsid)
    await wait_for(hass, lambda: status(hass, me) == "ringing")

    await act(hass, "reject", {ATTR_ENTITY_ID: entity_id(hass, "event", f"{me}_call")})

    while sim.state.calls.step(tsid):  # the caller leaves a message, then hangs up
        pass
    await wait_for(hass, lambda: status(hass, me) == "no_call")
    await barrier(hass, sim, me)
    assert recorder[me].entity_events == events
    assert recorder[me].bus_types == events
    recorder.stop()


@pytest.mark.parametrize(
    "target",
    [{"extension_number": "second"}, {"phone_number": "+14155550123"}, {"voicemail": "second"}],
    ids=["extension_number", "phone_number", "voicemail"],
)
async def test_transfer(hass: HomeAssistant, sim: Simulator, target: dict[str, str]) -> None:
    """The call leaves the extension (its call ends) and goes to the target."""
    me = await ready(hass, sim, monitor=MONITOR_ACCOUNT)
    second = next(ext for ext in sim.state.account.extensions.values() if ext.id != me)
    value = next(iter(target.values()))
    if value == "second":
        key = next(iter(target))
        target = {key: second.extension_number if key == "extension_number" else second.id}
    recorder = Recorder(hass, [me, second.id])
    tsid = await connected_call(hass, sim, me)

    await act(hass, "transfer", {ATTR_ENTITY_ID: sensor_of(hass, me)}, **target)

    await wait_for(hass, lambda: status(hass, me) == "no_call")
    if "extension_number" in target:
        await wait_for(hass, lambda: status(hass, second.id) == "ringing")
    expected_second = {
        "extension_number": ["ringing", "answered", "ended"],
        "phone_number": [],
        "voicemail": ["voicemail", "missed"],
    }[next(iter(target))]
    moved = [run for run in sim.state.calls.running() if run != tsid]
    for run in moved:
        while sim.state.calls.step(run):
            pass
    await wait_for(hass, lambda: recorder[second.id].bus_types == expected_second)
    await wait_for(hass, lambda: status(hass, second.id) == "no_call")
    await barrier(hass, sim, me)
    await barrier(hass, sim, second.id)
    assert recorder[me].entity_events == ["ringing", "answered", "ended"]
    assert recorder[me].bus_types == ["ringing", "answered", "ended"]
    assert recorder[second.id].bus_types == expected_second
    recorder.stop()


@pytest.mark.parametrize("chosen", [False, True], ids=["own_number", "chosen_number"])
async def test_ring_out(hass: HomeAssistant, sim: Simulator, chosen: bool) -> None:
    """The extension rings first (its own number, or the one chosen in the options), then the
    outbound call shows; the action answers with the RingOut's id and status."""
    sim.state.config.api_calls_step = True
    options = {CONF_RING_OUT_FROM: "+14155550199"} if chosen else {}
    me = await ready(hass, sim, **options)
    recorder = Recorder(hass, [me])

    response = await act(
        hass, "ring_out", {ATTR_ENTITY_ID: sensor_of(hass, me)}, response=True, to="+1 650 555 0177"
    )

    assert response is not None
    assert response["ring_out_id"]
    assert response["status"] == "in_progress"
    assert response["caller_status"] == "in_progress"
    assert response["callee_status"] == "in_progress"
    await wait_for(hass, lambda: status(hass, me) == "ringing")
    [call] = hass.states.get(sensor_of(hass, me)).attributes["active_calls"]
    assert call["direction"] == "outbound"
    tsid = call["telephony_session_id"]
    while sim.state.calls.step(tsid):
        truth = sim.state.calls.ground_truth()[me]["telephonyStatus"]
        if truth == "CallConnected":
            await wait_for(hass, lambda: status(hass, me) == "call_connected")
    await wait_for(hass, lambda: status(hass, me) == "no_call")
    await barrier(hass, sim, me)
    assert recorder[me].statuses == ["ringing", "call_connected", "no_call"]
    assert recorder[me].bus_types == ["dialing", "answered", "ended"]
    recorder.stop()


async def test_one_of_several_calls(hass: HomeAssistant, sim: Simulator) -> None:
    """With one call on hold and another connected, hold finds the connected one on its own; hang_up
    applies to both, so it asks which one and lists them."""
    me = await ready(hass, sim)
    tsid = sim.state.calls.start("concurrent_calls", me, step=True)
    for _ in range(5):  # ring, answer, second rings, first on hold, second answered
        sim.state.calls.step(tsid)
    await wait_for(
        hass,
        lambda: (
            sorted(c["status"] for c in hass.states.get(sensor_of(hass, me)).attributes["active_calls"])
            == ["call_connected", "on_hold"]
        ),
    )
    calls = hass.states.get(sensor_of(hass, me)).attributes["active_calls"]
    target = {ATTR_ENTITY_ID: sensor_of(hass, me)}

    with pytest.raises(ServiceValidationError) as caught:
        await act(hass, "hang_up", target)
    assert caught.value.translation_key == "several_calls"
    assert caught.value.translation_placeholders is not None
    for call in calls:
        assert call["telephony_session_id"] in caught.value.translation_placeholders["candidates"]

    await act(hass, "hold", target)
    await wait_for(
        hass,
        lambda: (
            [c["status"] for c in hass.states.get(sensor_of(hass, me)).attributes["active_calls"]]
            == ["on_hold", "on_hold"]
        ),
    )
