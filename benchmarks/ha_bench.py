"""Inside Home Assistant: per-notification cost versus two floors, a breakdown by stage, and latency.

A real `HomeAssistant` runs in this process (`ha_runtime.py`) with the integration monitoring a whole
account of a simulator that runs in its own process (`sim_server.py`), over a real WebSocket on loopback.

- **Latency**: one presence change at a time (do-not-disturb switched on a random extension, nothing
  else happening); from the simulator publishing it (its `time.monotonic()`, system-wide on Linux) to
  the call-status sensor's new state being written in HA (a state_changed listener's `time.monotonic()`).
- **Cost versus the floors**: the simulator plays interleaved call scenarios of every kind. The
  integration's cost is this process's CPU time from the start of the traffic until the coordinator's
  transport has passed on every notification the simulator delivered and HA is idle: WebSocket
  receive, decode, parse, engine, dispatch, entity writes and bus events. The frames and state writes
  of that traffic are recorded and replayed as the fair and the bare floor (`ha_floor.py`).
- **Breakdown**: one more round of traffic with perf counters around each stage (`stages.py`).
"""

from __future__ import annotations

import asyncio
import cProfile
import os
import random
import time
from typing import Any

import aiohttp
from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er

from rcsim.model import Account

from .ha_floor import FairFloor, TrafficRecorder, bare_floor, changed_writes
from .ha_runtime import (
    add_account_entry,
    call_status_sensors,
    entity_ids,
    home_assistant,
    quiet_logs,
    ready_count,
    wait_until,
)
from .procs import SimProcess
from .results import BenchResult, Target, percentile
from .stages import DESCRIPTIONS, STAGES, StageTimer

PROFILE_ENV = "RC_BENCH_PROFILE"
TARGET_FAIR_RATIO = 2.0
TARGET_P99_MS = 25.0
CONCURRENT_SCENARIOS = 20
# Do-not-disturb values the latency probe switches between, as RingCentral and the sensor spell them.
DND_CHOICES = (("TakeAllCalls", "take_all_calls"), ("DoNotAcceptAnyCalls", "do_not_accept_any_calls"))


class WriteWatcher:
    """Wakes whoever waits for a particular state write (a state_changed listener)."""

    def __init__(self, hass: HomeAssistant) -> None:
        self._waiter: tuple[str, str, str, asyncio.Future[float]] | None = None
        self.unsubscribe = hass.bus.async_listen(EVENT_STATE_CHANGED, self._on_change)

    @callback
    def _on_change(self, event: Event[EventStateChangedData]) -> None:
        stamp = time.monotonic()
        if self._waiter is None:
            return
        entity_id, attribute, value, future = self._waiter
        new_state = event.data["new_state"]
        if (
            event.data["entity_id"] == entity_id
            and new_state is not None
            and new_state.attributes.get(attribute) == value
            and not future.done()
        ):
            future.set_result(stamp)

    def expect(self, entity_id: str, attribute: str, value: str) -> asyncio.Future[float]:
        """A future resolved with the time of the first write of the entity with `attribute` = `value`."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiter = (entity_id, attribute, value, future)
        return future


async def _dnd_toggle(
    *,
    hass: HomeAssistant,
    http: aiohttp.ClientSession,
    url: str,
    watcher: WriteWatcher,
    sensor: str,
    ext_id: str,
) -> float:
    """Seconds from the simulator publishing a DND change to the sensor's state write.

    Only while no other traffic runs: the new value is chosen from what HA shows now.
    """
    current = hass.states.get(sensor)
    showing = current.attributes.get("dnd_status") if current is not None else None
    dnd, attribute = DND_CHOICES[1] if showing == DND_CHOICES[0][1] else DND_CHOICES[0]
    written = watcher.expect(sensor, "dnd_status", attribute)
    async with http.post(
        f"{url}/sim/bench/presence", json={"extension_id": ext_id, "dnd_status": dnd}
    ) as response:
        response.raise_for_status()
        published = float((await response.json())["t"])
    return float(await asyncio.wait_for(written, 10)) - published


async def _measure(extensions: int, samples: int, notifications: int, rounds_count: int) -> dict[str, Any]:
    quiet_logs()
    async with SimProcess(extensions) as sim, aiohttp.ClientSession() as http:
        async with http.get(f"{sim.url}/sim/credentials") as response:
            creds: dict[str, Any] = await response.json()
        async with home_assistant() as hass:
            entry = await add_account_entry(hass, creds, account_id=Account().id)
            coordinator = entry.runtime_data.coordinator
            await wait_until(
                lambda: coordinator.connected and ready_count(hass, entry) == extensions, 60, "entities ready"
            )
            await hass.async_block_till_done()
            sensors = _sensor_by_extension(hass, entry)
            ext_ids = sorted(sensors)
            watcher = WriteWatcher(hass)
            watched = entity_ids(hass, entry)
            recorder = TrafficRecorder(set(watched))
            fair = FairFloor(hass)
            await fair.async_setup(watched)
            rng = random.Random(7)

            async def toggle(ext_id: str) -> float:
                return await _dnd_toggle(
                    hass=hass, http=http, url=sim.url, watcher=watcher, sensor=sensors[ext_id], ext_id=ext_id
                )

            # Latency, one change at a time (a few warm-up changes first).
            for _ in range(5):
                await toggle(rng.choice(ext_ids))
            latencies = [await toggle(rng.choice(ext_ids)) for _ in range(samples)]
            watcher.unsubscribe()

            async def traffic() -> tuple[int, float]:
                """Notifications handled, and CPU seconds from the start of the traffic until HA has
                handled every notification it caused."""
                await hass.async_block_till_done()
                received = _received(coordinator)
                cpu0 = time.process_time()
                async with http.post(
                    f"{sim.url}/sim/bench/traffic",
                    json={"notifications": notifications, "concurrent": CONCURRENT_SCENARIOS},
                ) as response:
                    response.raise_for_status()
                    handled = int((await response.json())["delivered"])
                target = received + handled
                await wait_until(lambda: _received(coordinator) >= target, 120, "every notification handled")
                await hass.async_block_till_done()
                return handled, time.process_time() - cpu0

            # Cost, in rounds (a full garbage collection of HA's heap in one of them weighs ~20 µs per
            # notification): the median round is reported. Each round's floor replays end in the same
            # states as its traffic, so the next round starts where the integration left off.
            rounds: list[dict[str, Any]] = []
            for _ in range(rounds_count):
                recorder.clear()
                before = {eid: hass.states.get(eid) for eid in recorder.watched}
                profiler = _profiler()
                with recorder.recording():
                    handled, integration_cpu = await traffic()
                if profiler is not None:
                    profiler.disable()
                    profiler.dump_stats(os.environ[PROFILE_ENV])
                writes, frames = list(recorder.writes), list(recorder.frames)
                changed = changed_writes(before, writes)
                fair_cost = await fair.replay(before, frames, changed)
                bare_cpu = await bare_floor(hass, before, writes)
                rounds.append(
                    {
                        "notifications": handled,
                        "frames": len(frames),
                        "writes": len(writes),
                        "changes": len(changed),
                        "integration_cpu": integration_cpu,
                        "floor_cpu": bare_cpu,
                        "fair_decode_cpu": fair_cost.decode,
                        "fair_writes_cpu": fair_cost.writes,
                        "fair_cpu": fair_cost.total,
                    }
                )

            # One more round, instrumented, for the breakdown (never compared with a floor).
            timer = StageTimer()
            overhead = StageTimer.calibrate()
            with timer.instrumented():
                handled, instrumented_cpu = await traffic()
            await hass.config_entries.async_unload(entry.entry_id)
    rounds.sort(key=lambda r: r["integration_cpu"] / r["fair_cpu"])
    return {
        "latencies": latencies,
        **rounds[len(rounds) // 2],
        "fair_ratios": [r["integration_cpu"] / r["fair_cpu"] for r in rounds],
        "bare_ratios": [r["integration_cpu"] / r["floor_cpu"] for r in rounds],
        "stages": {
            "notifications": handled,
            "cpu": instrumented_cpu,
            "seconds": timer.corrected(overhead),
            "calls": sum(timer.calls.values()),
            "overhead": overhead,
        },
    }


def _received(coordinator: Any) -> int:
    """Notifications the coordinator's transport has passed on so far (its diagnostics counter)."""
    return int(coordinator.push.diagnostics().get("stats", {}).get("notifications", 0))


def _profiler() -> cProfile.Profile | None:
    """With RC_BENCH_PROFILE=<file>, the traffic phase is profiled into that file (slows it down)."""
    if not os.environ.get(PROFILE_ENV):
        return None
    profiler = cProfile.Profile()
    profiler.enable()
    return profiler


def _sensor_by_extension(hass: HomeAssistant, entry: Any) -> dict[str, str]:
    registry = er.async_get(hass)
    out: dict[str, str] = {}
    for entity_id in call_status_sensors(hass, entry):
        reg = registry.async_get(entity_id)
        if reg is not None:
            out[reg.unique_id.removesuffix("_call_status")] = entity_id
    return out


def run(*, quick: bool) -> BenchResult:
    result = BenchResult("home_assistant", "Inside Home Assistant: cost versus the floors, latency")
    extensions, samples, notifications, rounds = (5, 20, 300, 1) if quick else (50, 500, 10_000, 3)
    data = asyncio.run(_measure(extensions, samples, notifications, rounds))
    latencies_ms = [s * 1000 for s in data["latencies"]]
    result.add(
        "latency p50", percentile(latencies_ms, 0.50), "ms", f"{samples} presence changes, one at a time"
    )
    p99 = result.add("latency p99", percentile(latencies_ms, 0.99), "ms")
    result.add("latency max", max(latencies_ms), "ms")
    n = data["notifications"]
    result.add(
        "notifications handled",
        n,
        "notifications",
        f"{extensions} extensions, {CONCURRENT_SCENARIOS} concurrent scenarios; {data['frames']:,} frames",
    )
    result.add("state writes", data["writes"], "writes", f"{data['changes']:,} of them changed something")
    result.add("HA cost per notification", data["integration_cpu"] / n * 1e6, "µs CPU")
    result.add(
        "fair floor per notification",
        data["fair_cpu"] / n * 1e6,
        "µs CPU",
        f"decode {data['fair_decode_cpu'] / n * 1e6:.2f}"
        f" + entity writes {data['fair_writes_cpu'] / n * 1e6:.2f}",
    )
    result.add(
        "bare floor per notification", data["floor_cpu"] / n * 1e6, "µs CPU", "the same writes via async_set"
    )
    fair_ratio = result.add(
        "cost / fair floor",
        data["integration_cpu"] / data["fair_cpu"],
        "x",
        f"median of {rounds} rounds: " + ", ".join(f"{r:.2f}" for r in sorted(data["fair_ratios"])),
    )
    result.add(
        "cost / bare floor",
        data["integration_cpu"] / data["floor_cpu"],
        "x",
        "same round: " + ", ".join(f"{r:.1f}" for r in data["bare_ratios"]),
    )
    _add_stages(result, data["stages"])
    result.targets.append(Target("HA cost versus the fair floor", TARGET_FAIR_RATIO, "x", False, fair_ratio))
    result.targets.append(Target("end-to-end latency p99", TARGET_P99_MS, "ms", False, p99))
    result.notes.append(
        "Minimal Home Assistant (no recorder, frontend or HTTP server), the simulator in its own process, "
        "loopback WebSocket."
    )
    result.notes.append(
        "Fair floor: HA's json_loads of every frame received plus one Entity.async_write_ha_state per "
        "write that changed something, by a minimal entity with the same state and attributes; bare "
        "floor: the same writes as hass.states.async_set. Both replayed in the same run as the traffic."
    )
    result.notes.append(
        "Breakdown: one more round of the same traffic with the thread's CPU time read around each stage "
        "(exclusive time, less the wrappers' own cost calibrated in the same process; this round is "
        "never compared with a floor); other = the round's CPU time minus the stages and the wrappers. "
        + "; ".join(f"{stage}: {text}" for stage, text in DESCRIPTIONS.items())
        + "."
    )
    return result


def _add_stages(result: BenchResult, stages: dict[str, Any]) -> None:
    n = stages["notifications"]
    seconds: dict[str, float] = stages["seconds"]
    cpu = stages["cpu"]
    for stage in STAGES:
        result.add(
            f"stage: {stage}", seconds[stage] / n * 1e6, "µs", f"{seconds[stage] / cpu:.0%} of the round"
        )
    wrappers = stages["overhead"] * stages["calls"]
    other = cpu - sum(seconds.values()) - wrappers
    result.add("stage: other", other / n * 1e6, "µs", f"event loop, kernel, polling; {other / cpu:.0%}")
    result.add(
        "instrumented round per notification",
        cpu / n * 1e6,
        "µs CPU",
        f"{n:,} notifications; the wrappers' own {wrappers / n * 1e6:.1f} µs taken off the stages",
    )
