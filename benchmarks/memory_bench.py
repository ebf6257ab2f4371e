"""Memory per monitored extension held by the library: the engine and the client's extension data.

The simulator runs in its own process (`sim_server.py`), so tracemalloc in this process sees only the
library. For two account sizes N1 < N2, it does what the integration's hub does at startup in account
mode (log in, list the extensions, read account presence, snapshot it into a `CallStateEngine`) and
then feeds ~10 notifications per extension of realistic call traffic. Memory still referenced
afterwards (after a full GC) is measured at both sizes; the slope (M(N2) - M(N1)) / (N2 - N1) is the
cost per extension, free of fixed costs (session, connection pool, imports).

Home Assistant's share is measured the same way with the integration set up in a real HA in this
process (`ha_runtime.py`): memory retained from adding the config entry until every entity is ready,
per extension, minus the library's share at startup: entity objects, states, entity and device
registry entries, dispatcher connections.
"""

from __future__ import annotations

import asyncio
import gc
import tracemalloc
from datetime import UTC, datetime
from typing import Any

import aiohttp

from custom_components.ringcentral.aioringcentral.engine import CallStateEngine
from custom_components.ringcentral.aioringcentral.models import parse_notification
from custom_components.ringcentral.aioringcentral.rest import RingCentralClient

from .corpus import build_corpus
from .procs import SimProcess
from .results import BenchResult, Target

TARGET_BYTES = 4096.0
NOTIFICATIONS_PER_EXTENSION = 10


def _traced() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


async def _measure(extensions: int) -> tuple[int, int]:
    """Bytes retained after the startup snapshot, and after the call traffic, for one account size."""
    corpus = build_corpus(
        extensions=extensions,
        notifications=extensions * NOTIFICATIONS_PER_EXTENSION,
        concurrent=max(2, extensions // 10),
    )
    async with SimProcess(extensions) as sim, aiohttp.ClientSession() as session:
        async with session.get(f"{sim.url}/sim/credentials") as response:
            creds: dict[str, Any] = await response.json()
        tracemalloc.start()
        try:
            base = _traced()
            client = RingCentralClient(
                session,
                server=creds["server"],
                client_id=creds["client_id"],
                client_secret=creds["client_secret"],
                jwt=creds["jwt"],
            )
            await client.login()
            infos = {info.id: info for info in await client.list_extensions(types=("User",))}
            engine = CallStateEngine()
            engine.set_monitored(infos)
            token = engine.begin_snapshot()
            presences = {p.extension_id: p for p in await client.get_account_presence()}
            engine.apply_snapshot(token, presences, {}, datetime.now(UTC))
            del presences
            idle = _traced() - base
            for raw, now in zip(corpus.notifications, corpus.times, strict=True):
                engine.apply_notification(parse_notification(raw), now)
            busy = _traced() - base
            if len(engine.extension_ids()) != extensions or len(infos) != extensions:
                raise RuntimeError("the engine does not hold every extension")
        finally:
            tracemalloc.stop()
    return idle, busy


async def _measure_ha(extensions: int) -> tuple[int, int, int]:
    """Bytes retained by setting up the integration (account mode) until every entity is ready, and
    how many entities and devices it has (counted, so sensors added later are counted too)."""
    from homeassistant.helpers import device_registry as dr

    from rcsim.model import Account

    from .ha_runtime import add_account_entry, entity_ids, home_assistant, quiet_logs, ready_count, wait_until

    quiet_logs()
    async with SimProcess(extensions) as sim, aiohttp.ClientSession() as http:
        async with http.get(f"{sim.url}/sim/credentials") as response:
            creds: dict[str, Any] = await response.json()
        async with home_assistant() as hass:
            await hass.async_block_till_done()
            tracemalloc.start()
            try:
                base = _traced()
                entry = await add_account_entry(hass, creds, account_id=Account().id)
                await wait_until(
                    lambda: (
                        entry.runtime_data.coordinator.connected and ready_count(hass, entry) == extensions
                    ),
                    300,
                    "entities ready",
                )
                await hass.async_block_till_done()
                retained = _traced() - base
            finally:
                tracemalloc.stop()
            entities = len(entity_ids(hass, entry))
            devices = len(dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id))
            await hass.config_entries.async_unload(entry.entry_id)
    return retained, entities, devices


def run(*, quick: bool) -> BenchResult:
    result = BenchResult("memory", "Memory per monitored extension")
    small, large = (10, 40) if quick else (100, 2000)
    idle_small, busy_small = asyncio.run(_measure(small))
    idle_large, busy_large = asyncio.run(_measure(large))
    span = large - small
    result.add("after startup", (idle_large - idle_small) / span, "bytes/extension", f"slope {small}→{large}")
    per_ext = result.add(
        "after call traffic",
        (busy_large - busy_small) / span,
        "bytes/extension",
        f"{NOTIFICATIONS_PER_EXTENSION} notifications per extension",
    )
    result.add(f"total retained at {large:,} extensions", busy_large / 1024, "KiB")
    result.targets.append(
        Target("memory in engine + client", TARGET_BYTES, "bytes/extension", False, per_ext)
    )
    ha_small, ha_large = (3, 8) if quick else (100, 1000)
    try:
        total_small, entities_small, devices_small = asyncio.run(_measure_ha(ha_small))
        total_large, entities_large, devices_large = asyncio.run(_measure_ha(ha_large))
    except Exception as err:  # the library's figures stand on their own
        result.notes.append(f"Home Assistant's share not measured: {type(err).__name__}: {err}")
    else:
        in_ha = (total_large - total_small) / (ha_large - ha_small)
        result.add("integration in HA, total", in_ha, "bytes/extension", f"slope {ha_small}→{ha_large}")
        result.add(
            "HA entities (total minus engine + client after startup)",
            in_ha - (idle_large - idle_small) / span,
            "bytes/extension",
            f"{(entities_large - entities_small) / (ha_large - ha_small):g} entities and "
            f"{(devices_large - devices_small) / (ha_large - ha_small):g} device per extension (counted), "
            "their registry entries and states",
        )
    result.notes.append(
        "Counted: ExtensionInfo per extension (as the hub keeps it), the engine's per-extension state "
        "(presence fields, streams, tracked and recently ended calls) and the engine's uuid memory."
    )
    return result
