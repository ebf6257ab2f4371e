"""A simulator in its own process, with a few `/sim/bench/*` routes the benchmarks drive it through.

`python -m benchmarks.sim_server --extensions N [--time-scale X]` prints one JSON line
`{"url": ...}` once listening and serves until its stdin closes. Running it apart keeps the simulator's
CPU time and memory out of what the harness process measures (Home Assistant, the client, the engine).

Extra routes (under `/sim/`, so never rate limited, faulted or logged as platform traffic):
- `POST /sim/bench/presence {"extension_id", "dnd_status"}` → `{"t": monotonic time of publishing}`:
  sets the extension's do-not-disturb; one presence notification per subscription that covers the
  extension if it changed (end-to-end latency).
- `POST /sim/bench/traffic {"notifications", "concurrent"?, "seed"?}` → `{"events", "delivered"}`:
  plays interleaved step-mode scenarios of every kind across all extensions until at least
  `notifications` notifications were delivered to subscriptions, yielding to the event loop every few
  steps so frames flow while it runs.
- `GET /sim/bench/requests?since=<index>` → `{"requests": {group: n}, "statuses": {status: n},
  "too_many": n, "total": n, "next": index}`: platform requests from the request log.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from collections import Counter
from typing import Any

from aiohttp import web

from rcsim import SimConfig, Simulator
from rcsim.events import SimEvent

# Scenario steps between two yields to the event loop during `traffic`.
STEPS_PER_YIELD = 20


def endpoint_template(path: str) -> str:
    """A request path with its ids replaced by `{id}`, so requests group by endpoint."""
    return "/".join("{id}" if part.isdigit() or "," in part else part for part in path.split("/"))


def add_routes(sim: Simulator) -> None:
    state = sim.state
    # Every request the simulator ever logged, counted here so log trimming cannot lose any.
    requests: list[dict[str, Any]] = []
    delivered = 0

    def record(entry: dict[str, Any]) -> None:
        nonlocal delivered
        if entry["kind"] == "request":
            requests.append(
                {
                    "group": entry.get("group"),
                    "status": entry.get("status"),
                    "call": f"{entry.get('method')} {endpoint_template(str(entry.get('path')))}",
                }
            )
        elif entry["kind"] == "notification":
            delivered += 1

    state.log.listen(record)

    async def presence(request: web.Request) -> web.Response:
        body = await request.json()
        stamp = time.monotonic()
        state.calls.set_presence(body["extension_id"], dnd_status=body["dnd_status"])
        return web.json_response({"t": stamp})

    async def traffic(request: web.Request) -> web.Response:
        body = await request.json()
        wanted = int(body["notifications"])
        rng = random.Random(int(body.get("seed", 1)))
        concurrent = int(body.get("concurrent", 20))
        ids = list(state.account.extensions)
        scenarios = state.calls.scenarios()
        start, events, steps = delivered, 0, 0
        running: list[str] = []

        def count(_event: SimEvent) -> None:
            nonlocal events
            events += 1

        unsubscribe = state.bus.subscribe(count)
        try:
            while delivered - start < wanted:
                while len(running) < concurrent:
                    ext_id, other_id = rng.sample(ids, 2)
                    scenario = rng.choice(scenarios)
                    try:
                        running.append(
                            state.calls.start(scenario, ext_id, other_extension_id=other_id, step=True)
                        )
                    except ValueError:  # a scenario that takes no second extension
                        running.append(state.calls.start(scenario, ext_id, step=True))
                run_id = rng.choice(running)
                if not state.calls.step(run_id):
                    running.remove(run_id)
                steps += 1
                if steps % STEPS_PER_YIELD == 0:
                    await asyncio.sleep(0)
        finally:
            unsubscribe()
            for run_id in running:  # finish what was started so no call stays up
                while state.calls.step(run_id):
                    pass
        return web.json_response({"events": events, "delivered": delivered - start})

    async def request_counts(request: web.Request) -> web.Response:
        since = int(request.query.get("since", "0"))
        chosen = requests[since:]
        groups = Counter(str(r["group"]) for r in chosen if r["group"] is not None)
        statuses = Counter(str(r["status"]) for r in chosen)
        return web.json_response(
            {
                "requests": dict(groups),
                "statuses": dict(statuses),
                "too_many": statuses.get("429", 0),
                "calls": dict(Counter(str(r["call"]) for r in chosen)),
                "total": len(chosen),
                "next": len(requests),
            }
        )

    sim.app.router.add_post("/sim/bench/presence", presence)
    sim.app.router.add_post("/sim/bench/traffic", traffic)
    sim.app.router.add_get("/sim/bench/requests", request_counts)


async def serve(extensions: int, time_scale: float) -> None:
    sim = Simulator(SimConfig(time_scale=time_scale, seed=1), extensions=extensions)
    add_routes(sim)
    async with sim:
        print(json.dumps({"url": sim.url}), flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until stdin closes
        await sim.state.calls.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sim_server")
    parser.add_argument("--extensions", type=int, required=True)
    parser.add_argument("--time-scale", type=float, default=1.0)
    args = parser.parse_args()
    asyncio.run(serve(args.extensions, args.time_scale))


if __name__ == "__main__":
    main()
