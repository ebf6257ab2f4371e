"""Startup in account mode with 10 / 100 / 1,000 / 5,000 extensions: REST requests, 429s, time to ready.

For each size, a fresh simulator process (default rate limits, real-time clock: time_scale 1, so a
429's `Retry-After` would cost its full real time) and a fresh Home Assistant in this process. The
clock starts when the config entry is added and stops when every extension's call-status sensor shows
a state and notifications flow (the WebSocket subscription is up). Requests are counted from the
simulator's request log, per usage-plan group (`GET /sim/bench/requests`), once startup has settled:
no new request for `QUIET_SECONDS` after ready (a resync started by the first connection counts).
"""

from __future__ import annotations

import asyncio
import math
import time
from typing import Any

import aiohttp

from rcsim.model import Account

from .ha_runtime import add_account_entry, home_assistant, quiet_logs, ready_count, wait_until
from .procs import SimProcess
from .results import BenchResult, Target

SIZES = (10, 100, 1_000, 5_000)
QUICK_SIZES = (10,)
READY_TIMEOUT = 600.0
QUIET_SECONDS = 2.0


def request_budget(extensions: int) -> int:
    """The target: 2·⌈N/1000⌉ + 6 REST requests."""
    return 2 * math.ceil(extensions / 1000) + 6


async def _measure(extensions: int) -> dict[str, Any]:
    quiet_logs()
    async with SimProcess(extensions) as sim, aiohttp.ClientSession() as http:
        async with http.get(f"{sim.url}/sim/credentials") as response:
            creds: dict[str, Any] = await response.json()
        async with home_assistant() as hass:
            start = time.monotonic()
            entry = await add_account_entry(hass, creds, account_id=Account().id)
            setup_done = time.monotonic() - start
            coordinator = entry.runtime_data.coordinator
            await wait_until(
                lambda: ready_count(hass, entry) == extensions, READY_TIMEOUT, "every call-status sensor"
            )
            entities_ready = time.monotonic() - start
            await wait_until(lambda: bool(coordinator.connected), READY_TIMEOUT, "notifications to flow")
            connected = time.monotonic() - start
            counts = await _settled_counts(http, sim.url)
            await hass.config_entries.async_unload(entry.entry_id)
    return {
        "setup": setup_done,
        "entities_ready": entities_ready,
        "ready": max(entities_ready, connected),
        "requests": counts["requests"],
        "total": counts["total"],
        "too_many": counts["too_many"],
    }


async def _settled_counts(http: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    """Request counts once no request arrived for `QUIET_SECONDS` (bounded by `READY_TIMEOUT`)."""
    deadline = time.monotonic() + READY_TIMEOUT
    last_total, quiet_since = -1, time.monotonic()
    while True:
        async with http.get(f"{url}/sim/bench/requests") as response:
            counts: dict[str, Any] = await response.json()
        now = time.monotonic()
        if counts["total"] != last_total:
            last_total, quiet_since = counts["total"], now
        elif now - quiet_since >= QUIET_SECONDS or now > deadline:
            return counts
        await asyncio.sleep(0.1)


def run(*, quick: bool) -> BenchResult:
    result = BenchResult("startup", "Startup in account mode: REST requests, 429s, time to ready")
    for extensions in QUICK_SIZES if quick else SIZES:
        data = asyncio.run(_measure(extensions))
        label = f"N={extensions:,}"
        groups = ", ".join(f"{group} {count}" for group, count in sorted(data["requests"].items()))
        total = result.add(f"{label}: REST requests", data["total"], "requests", groups)
        too_many = result.add(f"{label}: 429 responses", data["too_many"], "responses")
        result.add(f"{label}: entities ready", data["entities_ready"] * 1000, "ms")
        result.add(f"{label}: ready (entities + notifications)", data["ready"] * 1000, "ms")
        budget = request_budget(extensions)
        result.targets.append(Target(f"{label}: REST requests", budget, "requests", False, total))
        result.targets.append(Target(f"{label}: 429 responses", 0, "responses", False, too_many))
    result.notes.append(
        "Default rate limits (Light 50, Medium 40, Heavy 10, Auth 5 per minute), simulator clock at real "
        "time; counts include the login, the WebSocket token and every page of every list."
    )
    return result
