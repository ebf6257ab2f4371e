"""A real Home Assistant instance in this process, with the integration set up against a simulator.

Minimal bootstrap: HA's own registries, storage (in a temporary config dir), the `homeassistant`
core integration and the config entry, with no recorder, frontend or HTTP server, so what is measured
is the integration and the state machine, not unrelated components. HA's shared HTTP session normally
resolves names through zeroconf (multicast sockets on every interface); here it gets aiohttp's plain
resolver instead, which changes nothing measured: the simulator is addressed by IP (127.0.0.1), which
aiohttp never resolves.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from types import MappingProxyType
from typing import Any

from aiohttp import ThreadedResolver
from homeassistant import bootstrap, loader
from homeassistant.config_entries import SOURCE_USER, ConfigEntries, ConfigEntry, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.helpers import aiohttp_client
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component

from custom_components.ringcentral.const import (
    CONF_ACCOUNT_ID,
    CONF_CREDENTIALS_ID,
    CONF_EXTENSION_ID,
    CONF_MONITOR,
    CONF_TRANSPORT,
    DOMAIN,
    MONITOR_ACCOUNT,
    TRANSPORT_WEBSOCKET,
)


class _PlainResolver(ThreadedResolver):
    """What HA's session helper expects of its resolver (`real_close`), without zeroconf."""

    async def real_close(self) -> None:
        await self.close()


@asynccontextmanager
async def home_assistant() -> AsyncIterator[HomeAssistant]:
    """A started Home Assistant with a throw-away config dir; stopped (and its threads joined) after."""
    with tempfile.TemporaryDirectory(prefix="rc-bench-ha-") as config_dir:
        hass = HomeAssistant(config_dir)
        loader.async_setup(hass)
        hass.config.skip_pip = True
        hass.data[aiohttp_client.DATA_RESOLVER] = _PlainResolver()  # type: ignore[misc]
        hass.config_entries = ConfigEntries(hass, {})
        await loader.async_get_custom_components(hass)
        await bootstrap.async_load_base_functionality(hass)
        await async_process_ha_core_config(hass, {"time_zone": "UTC", "name": "Benchmark"})
        if not await async_setup_component(hass, "homeassistant", {}):
            raise RuntimeError("Home Assistant's core integration did not set up")
        await hass.async_start()
        try:
            yield hass
        finally:
            await hass.async_stop(force=True)


def quiet_logs() -> None:
    """Warnings only: the integration's debug logs would be measured otherwise."""
    for name in ("homeassistant", "custom_components", "aiohttp", "rcsim"):
        logging.getLogger(name).setLevel(logging.WARNING)


async def add_account_entry(hass: HomeAssistant, credentials: dict[str, Any], account_id: str) -> ConfigEntry:
    """Add and set up a config entry monitoring every user extension (as the config flow makes it)."""
    ext_id = str(credentials["extension_id"])
    entry = ConfigEntry(
        data={
            "server": credentials["server"],
            "client_id": credentials["client_id"],
            "client_secret": credentials["client_secret"],
            "jwt": credentials["jwt"],
            CONF_ACCOUNT_ID: account_id,
            CONF_EXTENSION_ID: ext_id,
            CONF_CREDENTIALS_ID: uuid.uuid4().hex,
        },
        discovery_keys=MappingProxyType({}),
        domain=DOMAIN,
        minor_version=1,
        options={CONF_MONITOR: MONITOR_ACCOUNT, CONF_TRANSPORT: TRANSPORT_WEBSOCKET},
        source=SOURCE_USER,
        subentries_data=None,
        title="Benchmark",
        unique_id=f"{account_id}_{ext_id}",
        version=1,
    )
    await hass.config_entries.async_add(entry)
    if entry.state is not ConfigEntryState.LOADED:
        reason = f": {entry.reason}" if entry.reason else ""
        raise RuntimeError(f"the integration did not set up (entry state {entry.state.value}{reason})")
    return entry


def entity_ids(hass: HomeAssistant, entry: ConfigEntry, domain: str | None = None) -> list[str]:
    """The entry's entities, optionally of one platform domain."""
    entries = er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    return [e.entity_id for e in entries if domain is None or e.domain == domain]


def call_status_sensors(hass: HomeAssistant, entry: ConfigEntry) -> list[str]:
    """One per extension: the enum call-status sensors."""
    entries = er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    return [e.entity_id for e in entries if e.domain == "sensor" and e.unique_id.endswith("_call_status")]


def ready_count(hass: HomeAssistant, entry: ConfigEntry) -> int:
    """Call-status sensors that show a real state (not unavailable or unknown)."""
    count = 0
    for entity_id in call_status_sensors(hass, entry):
        state = hass.states.get(entity_id)
        if state is not None and state.state not in (STATE_UNAVAILABLE, STATE_UNKNOWN):
            count += 1
    return count


async def wait_until(predicate: Callable[[], bool], within: float, what: str) -> None:
    """Check a condition every 5 ms until it holds; RuntimeError after `within` seconds."""
    try:
        async with asyncio.timeout(within):
            while True:
                if predicate():
                    return
                await asyncio.sleep(0.005)
    except TimeoutError:
        raise RuntimeError(f"timed out after {within} s waiting for {what}") from None
