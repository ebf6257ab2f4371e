"""Fixtures for the blueprint and README-example tests: HA with the integration set up against rcsim.

The integration is added through its real config flow (as a user would), for the simulator's admin
extension; automations are loaded from the repository's blueprint files and the README's YAML.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component

from custom_components.ringcentral.const import DOMAIN
from rcsim import SimConfig, Simulator

ROOT = Path(__file__).resolve().parents[2]
BLUEPRINTS = ROOT / "blueprints" / "automation" / DOMAIN
README = ROOT / "README.md"

# Simulated seconds per real second; scenarios are stepped anyway, this only speeds up timers.
TIME_SCALE = 200.0


async def wait_for(hass: HomeAssistant, predicate: Callable[[], bool], within: float = 10.0) -> None:
    """Wait until ``predicate()`` holds, re-checking on every HA event and every 20 ms; bounded.

    Unlike a helper built on ``hass.async_block_till_done()``, this does not wait for running
    automations: the blueprints under test keep a run open (waiting for a call to end) on purpose.
    """
    woken = asyncio.Event()

    @callback
    def _wake(_event: Event) -> None:
        woken.set()

    unsub = hass.bus.async_listen("*", _wake)
    try:
        async with asyncio.timeout(within):
            while not predicate():
                woken.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(0.02):
                        await woken.wait()
    except TimeoutError:
        raise AssertionError(f"condition not met within {within} s") from None
    finally:
        unsub()


@dataclass(frozen=True, slots=True)
class Extension:
    """The admin extension's id in the simulator and its entities in HA."""

    id: str
    call_status: str
    on_call: str
    call: str
    do_not_disturb: str
    missed_calls: str
    unread_voicemails: str
    message: str


@pytest.fixture
async def sim(socket_enabled: None) -> AsyncIterator[Simulator]:
    """A simulator with three user extensions; the first is the admin the integration logs in as.

    ``socket_enabled`` lifts pytest-socket's ban; its allow-list still keeps everything on 127.0.0.1.
    """
    simulator = Simulator(SimConfig(time_scale=TIME_SCALE, seed=7), extensions=3)
    async with simulator:
        try:
            yield simulator
        finally:
            await simulator.state.calls.close()


@pytest.fixture
async def extension(hass: HomeAssistant, sim: Simulator, tmp_path: Path) -> AsyncIterator[Extension]:
    """The integration set up through its config flow; blueprints copied into HA's config dir."""
    # phacc's config dir is inside its package: use a private one for blueprints.
    hass.config.config_dir = str(tmp_path)
    shutil.copytree(BLUEPRINTS, Path(hass.config.path("blueprints", "automation", DOMAIN)))

    creds = sim.credentials()
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {key: creds[key] for key in ("server", "client_id", "client_secret", "jwt")}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    entry = result["result"]
    await hass.async_block_till_done()

    registry = er.async_get(hass)

    def entity_ids() -> dict[str, str]:
        return {
            str(e.translation_key): e.entity_id
            for e in er.async_entries_for_config_entry(registry, entry.entry_id)
            if e.unique_id.startswith(f"{creds['extension_id']}_")
        }

    keys = (
        "call_status",
        "on_call",
        "call",
        "do_not_disturb",
        "missed_calls",
        "unread_voicemails",
        "message",
    )
    await wait_for(hass, lambda: set(keys) <= entity_ids().keys())
    # Messages start once the unread voicemails were read.
    await wait_for(hass, lambda: _state(hass, entity_ids()["unread_voicemails"]) == "0")
    ids = entity_ids()
    yield Extension(str(creds["extension_id"]), *(ids[key] for key in keys))
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


def _state(hass: HomeAssistant, entity_id: str) -> str | None:
    state = hass.states.get(entity_id)
    return None if state is None else state.state


def snake(status: str) -> str:
    """RingCentral's telephonyStatus (CallConnected) as the sensor's state (call_connected)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", status).lower()


async def step(hass: HomeAssistant, sim: Simulator, tsid: str, extension: Extension) -> str | None:
    """Play one step of a step-mode scenario and wait until HA shows the simulator's ground truth.

    Returns the call status after the step, or None when the scenario had no step left.
    """
    if not sim.state.calls.step(tsid):
        return None
    truth = snake(sim.state.calls.ground_truth()[extension.id]["telephonyStatus"])

    def shown() -> bool:
        state = hass.states.get(extension.call_status)
        return state is not None and state.state == truth

    await wait_for(hass, shown)
    return truth


async def step_until(
    hass: HomeAssistant, sim: Simulator, tsid: str, extension: Extension, status: str
) -> None:
    """Step until the extension's call status is ``status`` (fails if the scenario ends first)."""
    while (shown := await step(hass, sim, tsid, extension)) != status:
        assert shown is not None, f"the scenario ended without reaching {status}"


async def finish(hass: HomeAssistant, sim: Simulator, tsid: str, extension: Extension) -> None:
    """Play the scenario's remaining steps."""
    while await step(hass, sim, tsid, extension) is not None:
        pass


async def load_automations(hass: HomeAssistant, automations: list[dict[str, Any]]) -> None:
    """Set up the automation integration with these automations and check they all loaded."""
    assert await async_setup_component(hass, "automation", {"automation": automations})
    await hass.async_block_till_done()
    states = hass.states.async_all("automation")
    assert len(states) == len(automations), [s.entity_id for s in states]
    assert all(s.state == "on" for s in states), [(s.entity_id, s.state) for s in states]


def blueprint_automation(path: str, inputs: dict[str, Any], alias: str = "Under test") -> dict[str, Any]:
    """An automation config that uses one of our blueprints."""
    return {"alias": alias, "use_blueprint": {"path": f"{DOMAIN}/{path}", "input": inputs}}
