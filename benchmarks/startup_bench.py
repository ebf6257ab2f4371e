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


# Endpoints of the features that came after call state (issue 16: unread voicemails, caller names, SMS):
# their reads are counted apart, so the call-state budget still shows a regression of its own.
FEATURE_ENDPOINTS = ("/message-store", "/directory/entries", "/address-book", "/phone-number", "/call-log")


def request_budget(extensions: int) -> int:
    """The call-state target: 2·⌈N/1000⌉ + 6 REST requests."""
    return 2 * math.ceil(extensions / 1000) + 6


def split_calls(calls: dict[str, int]) -> tuple[int, dict[str, int]]:
    """(call-state requests, feature reads by endpoint) from the simulator's count per endpoint."""
    features = {call: n for call, n in calls.items() if any(part in call for part in FEATURE_ENDPOINTS)}
    return sum(calls.values()) - sum(features.values()), features


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
        "calls": counts["calls"],
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
        call_state, features = split_calls(data["calls"])
        result.add(f"{label}: REST requests, all", data["total"], "requests", groups)
        total = result.add(f"{label}: REST requests for call state", call_state, "requests")
        feature_detail = ", ".join(f"{call.rsplit('/', 1)[-1]} {n}" for call, n in sorted(features.items()))
        result.add(
            f"{label}: REST reads for messages and names", sum(features.values()), "requests", feature_detail
        )
        too_many = result.add(f"{label}: 429 responses", data["too_many"], "responses")
        result.add(f"{label}: entities ready", data["entities_ready"] * 1000, "ms")
        result.add(f"{label}: ready (entities + notifications)", data["ready"] * 1000, "ms")
        budget = request_budget(extensions)
        result.targets.append(
            Target(f"{label}: REST requests for call state", budget, "requests", False, total)
        )
        result.targets.append(Target(f"{label}: 429 responses", 0, "responses", False, too_many))
    result.notes.append(
        "Default rate limits (Light 50, Medium 40, Heavy 10, Auth 5 per minute), simulator clock at real "
        "time; counts include the login, the WebSocket token and every page of every list."
    )
    result.notes.append(
        "Call state: login, the extension and account reads, the extension list, the permission probe, the "
        "WebSocket token and the account presence snapshot (the budget, as before issue 16). Messages and "
        "names: the unread-voicemail baseline, one message-store read per extension, paced (a burst of 5, "
        "then one every 4 s, so with more extensions the rest follow after the count settled), and the "
        "company directory's pages (read with max_wait=0: never queued in front of call state)."
    )
    return result
