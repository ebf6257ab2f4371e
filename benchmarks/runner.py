"""Runs one benchmark in this (fresh) interpreter: `python -m benchmarks.runner KEY [--quick] --out FILE`.

`__main__` starts one per benchmark so that Home Assistant instances, leftover threads, imports and
memory of one never weigh on another. The result is written as JSON to FILE; a benchmark that fails
still writes a result, with `error` set.
"""

from __future__ import annotations

import argparse
import importlib
import json
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from .procs import redact
from .results import BenchResult

# key -> (module, title); in the order they run.
BENCHMARKS: dict[str, tuple[str, str]] = {
    "engine": ("benchmarks.engine_bench", "Engine throughput (parse + engine, one core)"),
    "websocket": ("benchmarks.ws_bench", "WebSocket notification throughput: our client vs the official SDK"),
    "memory": ("benchmarks.memory_bench", "Memory per monitored extension"),
    "home_assistant": ("benchmarks.ha_bench", "Inside Home Assistant: cost versus the floors, latency"),
    "startup": ("benchmarks.startup_bench", "Startup in account mode: REST requests, 429s, time to ready"),
}


def run_one(key: str, *, quick: bool) -> BenchResult:
    module_name, title = BENCHMARKS[key]
    start = time.perf_counter()
    try:
        run: Callable[..., BenchResult] = importlib.import_module(module_name).run
        result = run(quick=quick)
    except Exception as err:
        result = BenchResult(key, title, error=redact(f"{type(err).__name__}: {err}"))
        traceback.print_exc()
    result.seconds = time.perf_counter() - start
    return result


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.runner")
    parser.add_argument("key", choices=sorted(BENCHMARKS))
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    # Import our package before Home Assistant can bind `custom_components` to something else.
    importlib.import_module("custom_components.ringcentral")
    result = run_one(args.key, quick=args.quick)
    args.out.write_text(json.dumps(result.as_dict(), indent=2))


if __name__ == "__main__":
    main()
