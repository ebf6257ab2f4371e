"""WebSocket notification throughput: our client versus the official `ringcentral` SDK (0.9.2).

Both log in to one simulator and subscribe in the same run, each to the detailed presence of its own
extension, each in its own process (see `ws_client_worker.py`). A round publishes N presence events on
the simulator's bus for one client's extension, then for the other's (alternating who goes first);
the simulator queues all N frames, so the client's receive rate (first to last notification) is what
limits, not the simulator. Reported per client: median receive rate, CPU per notification, and the
time from publishing to the last notification.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

from rcsim import SimConfig, Simulator
from rcsim.events import SimEvent

from .procs import JsonWorker
from .results import BenchResult, Target

CLIENTS = ("ours", "sdk")
LABELS = {"ours": "our client", "sdk": "official SDK"}
WORKER = "benchmarks.ws_client_worker"


def _presence_filter(extension_id: str) -> str:
    return (
        f"/restapi/v1.0/account/~/extension/{extension_id}/presence?detailedTelephonyState=true&sipData=true"
    )


def publish(sim: Simulator, extension_id: str, count: int, first_sequence: int) -> None:
    """Publish `count` presence events for one extension, as the call engine does."""
    body = sim.state.calls.presence(extension_id)
    for i in range(count):
        sim.state.bus.publish(SimEvent("presence", extension_id, {**body, "sequence": first_sequence + i}))


async def _burst(
    sim: Simulator, worker: JsonWorker, extension_id: str, count: int, sequence: int
) -> dict[str, float]:
    await worker.send({"expect": count})
    await worker.receive(within=10)  # armed
    start = time.monotonic()
    publish(sim, extension_id, count, sequence)
    report = await worker.receive(within=120)
    if report["count"] != count:
        raise RuntimeError(f"expected {count} notifications, got {report['count']}")
    return {
        "rate": (count - 1) / max(report["last"] - report["first"], 1e-9),
        "cpu_us": report["cpu"] / count * 1e6,
        "total": report["last"] - start,
    }


async def measure(*, notifications: int, rounds: int) -> dict[str, list[dict[str, float]]]:
    """Per client, one measurement per round."""
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in CLIENTS}
    async with Simulator(SimConfig(), extensions=3) as sim:
        ids = list(sim.state.account.extensions)
        target = dict(zip(CLIENTS, ids[1:], strict=True))
        workers = {name: JsonWorker(WORKER) for name in CLIENTS}
        try:
            for name, worker in workers.items():
                config: dict[str, Any] = {
                    "client": name,
                    "credentials": sim.credentials(),
                    "filter": _presence_filter(target[name]),
                }
                await worker.start(config)
            for worker in workers.values():
                await worker.receive(within=30)  # ready: logged in and subscribed
            # A small warm-up burst each, not measured.
            sequence = 1
            for name, worker in workers.items():
                await _burst(sim, worker, target[name], min(notifications, 200), sequence)
                sequence += notifications
            for round_no in range(rounds):
                order = CLIENTS if round_no % 2 == 0 else CLIENTS[::-1]
                for name in order:
                    samples[name].append(
                        await _burst(sim, workers[name], target[name], notifications, sequence)
                    )
                    sequence += notifications
        finally:
            await asyncio.gather(*(worker.stop() for worker in workers.values()))
    return samples


def run(*, quick: bool) -> BenchResult:
    result = BenchResult("websocket", "WebSocket notification throughput: our client vs the official SDK")
    notifications = 500 if quick else 20_000
    rounds = 1 if quick else 3
    samples = asyncio.run(measure(notifications=notifications, rounds=rounds))
    rates: dict[str, float] = {}
    for name in CLIENTS:
        label = LABELS[name]
        rates[name] = result.add(
            f"{label}: receive rate",
            statistics.median(s["rate"] for s in samples[name]),
            "notifications/s",
            f"median of {rounds} x {notifications:,}",
        )
        result.add(
            f"{label}: CPU per notification", statistics.median(s["cpu_us"] for s in samples[name]), "µs"
        )
        result.add(
            f"{label}: publish to last received",
            statistics.median(s["total"] for s in samples[name]) * 1000,
            "ms",
            f"{notifications:,} notifications, including the simulator queueing them",
        )
    ratio = result.add("ratio (ours / SDK)", rates["ours"] / rates["sdk"], "x", "receive rates")
    result.targets.append(Target("our client vs the official SDK", 1.0, "x", True, ratio))
    result.notes.append(
        "Each client in its own process, subscribed to one extension's detailed presence (with sipData); "
        "the simulator runs in the harness process and queues each burst before the clients drain it."
    )
    return result
