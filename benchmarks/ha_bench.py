"""Inside Home Assistant: per-notification cost versus the state-machine floor, and end-to-end latency.

A real `HomeAssistant` runs in this process (`ha_runtime.py`) with the integration monitoring a whole
account of a simulator that runs in its own process (`sim_server.py`), over a real WebSocket on loopback.

- **Latency**: one presence change at a time (do-not-disturb switched on a random extension, nothing
  else happening); from the simulator publishing it (its `time.monotonic()`, system-wide on Linux) to
  the call-status sensor's new state being written in HA (a state_changed listener's `time.monotonic()`).
- **Cost versus floor**: the simulator plays interleaved call scenarios of every kind. The integration's
  cost is this process's CPU time from the start of the traffic until the coordinator's transport has
  passed on every notification the simulator delivered and HA is idle: WebSocket receive, parse, engine,
  dispatch, entity writes and bus events. Every state write the integration's entities make (changed
  or not) is recorded on the way into the state machine; the floor is the CPU time of the same
  `hass.states.async_set` calls, same entity ids, states and attributes, replayed from the same
  starting states. Recording adds a wrapper call, a copy of the attributes and a list append per
  write (about 0.4 µs) to the integration's side only.
"""

from __future__ import annotations

import asyncio
import cProfile
import os
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest.mock import patch

import aiohttp
from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, State, StateMachine, callback
from homeassistant.helpers import entity_registry as er

from rcsim.model import Account

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

PROFILE_ENV = "RC_BENCH_PROFILE"
TARGET_RATIO = 1.5
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


class WriteRecorder:
    """Records every state write of the chosen entities, changed or not, as HA's state machine gets it.

    Wraps `StateMachine.async_set_internal` (what `Entity.async_write_ha_state` calls) while active.
    """

    def __init__(self, watched: set[str]) -> None:
        self.watched = watched
        self.writes: list[tuple[str, str, dict[str, Any]]] = []

    @contextmanager
    def recording(self) -> Iterator[None]:
        original = StateMachine.async_set_internal
        writes, watched = self.writes, self.watched

        def recorded(
            machine: StateMachine, entity_id: str, new_state: str, attributes: Any, *args: Any
        ) -> None:
            if entity_id in watched:
                writes.append((entity_id, new_state, dict(attributes or {})))
            original(machine, entity_id, new_state, attributes, *args)

        with patch.object(StateMachine, "async_set_internal", recorded):
            yield


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
            recorder = WriteRecorder(set(entity_ids(hass, entry)))
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

            # Cost, in rounds (a full garbage collection of HA's heap in one of them weighs ~20 µs per
            # notification): the median round is reported. Each round's floor replay ends in the same
            # states as its traffic, so the next round starts where the integration left off.
            rounds: list[dict[str, Any]] = []
            for _ in range(rounds_count):
                # Cost: from the start of the traffic until HA has handled every notification it caused.
                await hass.async_block_till_done()
                received = _received(coordinator)
                recorder.writes.clear()
                before = {eid: hass.states.get(eid) for eid in recorder.watched}
                profiler = _profiler()
                with recorder.recording():
                    cpu0 = time.process_time()
                    async with http.post(
                        f"{sim.url}/sim/bench/traffic",
                        json={"notifications": notifications, "concurrent": CONCURRENT_SCENARIOS},
                    ) as response:
                        response.raise_for_status()
                        traffic = await response.json()
                    handled = int(traffic["delivered"])
                    target = received + handled
                    await wait_until(
                        lambda target=target: _received(coordinator) >= target,
                        120,
                        "every notification handled",
                    )
                    await hass.async_block_till_done()
                    integration_cpu = time.process_time() - cpu0
                if profiler is not None:
                    profiler.disable()
                    profiler.dump_stats(os.environ[PROFILE_ENV])
                writes = list(recorder.writes)

                # Floor: restore the starting states (not timed), replay the same writes.
                _restore(hass, before)
                await hass.async_block_till_done()
                cpu1 = time.process_time()
                for entity_id, state, attributes in writes:
                    hass.states.async_set(entity_id, state, attributes)
                await hass.async_block_till_done()
                floor_cpu = time.process_time() - cpu1
                rounds.append(
                    {
                        "notifications": handled,
                        "writes": len(writes),
                        "changes": _changes(before, writes),
                        "integration_cpu": integration_cpu,
                        "floor_cpu": floor_cpu,
                    }
                )
            await hass.config_entries.async_unload(entry.entry_id)
    rounds.sort(key=lambda r: r["integration_cpu"] / r["floor_cpu"])
    return {
        "latencies": latencies,
        **rounds[len(rounds) // 2],
        "ratios": [r["integration_cpu"] / r["floor_cpu"] for r in rounds],
    }


def _changes(before: dict[str, State | None], writes: list[tuple[str, str, dict[str, Any]]]) -> int:
    """How many of the writes changed the entity's state or attributes."""
    current = {eid: (s.state, dict(s.attributes)) if s is not None else None for eid, s in before.items()}
    changed = 0
    for entity_id, state, attributes in writes:
        if current.get(entity_id) != (state, attributes):
            changed += 1
            current[entity_id] = (state, attributes)
    return changed


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


def _restore(hass: HomeAssistant, states: dict[str, State | None]) -> None:
    for entity_id, state in states.items():
        if state is not None:
            hass.states.async_set(entity_id, state.state, dict(state.attributes))


def run(*, quick: bool) -> BenchResult:
    result = BenchResult("home_assistant", "Inside Home Assistant: cost versus the floor, end-to-end latency")
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
        f"{extensions} extensions, {CONCURRENT_SCENARIOS} concurrent scenarios",
    )
    result.add("state writes", data["writes"], "writes", f"{data['changes']:,} of them changed something")
    result.add("HA cost per notification", data["integration_cpu"] / n * 1e6, "µs CPU")
    result.add(
        "floor per notification", data["floor_cpu"] / n * 1e6, "µs CPU", "the same writes via async_set"
    )
    ratio = result.add(
        "cost / floor",
        data["integration_cpu"] / data["floor_cpu"],
        "x",
        f"median of {rounds} rounds: " + ", ".join(f"{r:.1f}" for r in sorted(data["ratios"])),
    )
    result.targets.append(Target("HA cost versus the floor", TARGET_RATIO, "x", False, ratio))
    result.targets.append(Target("end-to-end latency p99", TARGET_P99_MS, "ms", False, p99))
    result.notes.append(
        "Minimal Home Assistant (no recorder, frontend or HTTP server), the simulator in its own process, "
        "loopback WebSocket."
    )
    return result
