"""Fixtures for the integration's tests: a simulator on loopback and config entries pointing at it."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from custom_components.ringcentral.const import (
    CONF_ACCOUNT_ID,
    CONF_CREDENTIALS_ID,
    CONF_EXTENSION_ID,
    CONF_MONITOR,
    CONF_TRANSPORT,
    DOMAIN,
    MONITOR_OWN,
    TRANSPORT_WEBSOCKET,
)
from rcsim import SimConfig, Simulator

# Simulated seconds per real second: scenario steps (seconds apart) pass in milliseconds.
TIME_SCALE = 200.0


class DeprecationReports(logging.Handler):
    """Collects Home Assistant's reports of deprecated or incorrect use by this integration.

    HA does not raise Python warnings for these: `helpers.frame.report_usage` logs "Detected that
    custom integration 'ringcentral' …" and `helpers.deprecation` logs "The deprecated … was used
    from ringcentral". Both become test failures through the autouse fixture below.
    """

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.found: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        ours = f"integration '{DOMAIN}'" in message or f"from {DOMAIN}" in message
        if ours and ("Detected that" in message or "The deprecated" in message):
            self.found.append(message)


@pytest.fixture(autouse=True)
def fail_on_deprecations() -> Iterator[DeprecationReports]:
    """Fail the test when HA reported deprecated or incorrect use by this integration during it."""
    reports = DeprecationReports()
    root = logging.getLogger()
    root.addHandler(reports)
    try:
        yield reports
    finally:
        root.removeHandler(reports)
    assert not reports.found, "Home Assistant reported deprecated use:\n" + "\n".join(reports.found)


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots in `snapshots/`, serialised by Home Assistant's extension, on every lane.

    pytest-homeassistant-custom-component overrides syrupy's fixture the same way, but which of the two
    plugins pytest loads last (and so whose fixture wins) depends on the installation: this does not.
    """
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
async def sim(socket_enabled: None) -> AsyncIterator[Simulator]:
    """A simulator with three user extensions; the first is an admin. Sockets stay loopback-only."""
    simulator = Simulator(SimConfig(time_scale=TIME_SCALE, seed=1), extensions=3)
    async with simulator:
        try:
            yield simulator
        finally:
            await simulator.state.calls.close()


def credentials(sim: Simulator, extension_id: str | None = None) -> dict[str, str]:
    """What the user types into the config flow to log in as an extension."""
    creds = sim.credentials(extension_id)
    return {key: creds[key] for key in ("server", "client_id", "client_secret", "jwt")}


def extension_ids(sim: Simulator) -> list[str]:
    return list(sim.state.account.extensions)


def make_entry(
    sim: Simulator, extension_id: str | None = None, *, entry_id: str | None = None, **options: Any
) -> MockConfigEntry:
    """A config entry as the config flow would create it for `extension_id` (default: the admin)."""
    ext_id = extension_id or sim.credentials()["extension_id"]
    account_id = sim.state.account.id
    return MockConfigEntry(
        domain=DOMAIN,
        entry_id=entry_id,
        title=sim.state.account.extensions[ext_id].name,
        unique_id=f"{account_id}_{ext_id}",
        data={
            **credentials(sim, ext_id),
            CONF_ACCOUNT_ID: account_id,
            CONF_EXTENSION_ID: ext_id,
            CONF_CREDENTIALS_ID: uuid.uuid4().hex,
        },
        options={CONF_MONITOR: MONITOR_OWN, CONF_TRANSPORT: TRANSPORT_WEBSOCKET, **options},
    )


async def setup_entry(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def wait_for(
    hass: HomeAssistant,
    predicate: Callable[[], bool],
    within: float = 10.0,
    *,
    advance: timedelta | None = None,
) -> None:
    """Wait until `predicate()` holds: re-checked on every HA event, and every 20 ms for outside state.

    `advance` drives time: each round fires the timers due within that much (backoff sleeps included),
    so waits measured in minutes pass at once. Bounded: fails the test with a clear message instead
    of hanging.
    """
    woken = asyncio.Event()

    @callback
    def _wake(_event: Event) -> None:
        woken.set()

    unsub = hass.bus.async_listen("*", _wake)
    try:
        async with asyncio.timeout(within):
            while True:
                await hass.async_block_till_done()
                if predicate():
                    return
                if advance is not None:
                    async_fire_time_changed(hass, dt_util.utcnow() + advance)
                woken.clear()
                try:
                    async with asyncio.timeout(0.02):
                        await woken.wait()
                except TimeoutError:
                    pass
    except TimeoutError:
        raise AssertionError(f"condition not met within {within} s") from None
    finally:
        unsub()


def sim_logins(sim: Simulator, kind: str = "jwt-bearer") -> int:
    """How many OAuth grants of `kind` the simulator served (JWT logins or refresh_token)."""
    return sum(1 for entry in sim.state.log if entry.get("kind") == "auth" and entry.get("action") == kind)


def settled(hass: HomeAssistant, entry: MockConfigEntry) -> bool:
    """Whether an entry's feeds have done their first reads: every monitored extension's unread
    voicemails are known and the company directory was read."""
    runtime = entry.runtime_data
    messages, names = runtime.messages, runtime.names
    return all(
        messages.unread_voicemails(ext_id) is not None for ext_id in runtime.coordinator.extensions
    ) and bool(names.diagnostics()["directory_entries"])
