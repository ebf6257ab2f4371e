"""Where and when the benchmarks ran: the facts docs/benchmarks.md records with every result."""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_total() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                kib = int(line.split()[1])
                return f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return "unknown"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def reference_loop_ms() -> float:
    """CPU milliseconds of a fixed pure-Python workload (dict and int work, like the engine's), the
    median of 5: this VM's speed drifts by a third between hours on a shared host, so results of
    different runs compare only relative to this figure."""
    times = []
    for _ in range(5):
        start = time.process_time()
        table: dict[int, int] = {}
        for n in range(200_000):
            table[n & 1023] = table.get(n & 1023, 0) + n
        times.append(time.process_time() - start)
    return statistics.median(times) * 1000


def describe() -> dict[str, str]:
    """nproc, CPU model, memory, OS, Python and the versions of what is measured."""
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": str(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()),
        "cpu": _cpu_model(),
        "memory": _memory_total(),
        "load average at start": " ".join(f"{v:.2f}" for v in os.getloadavg()),
        "reference loop (CPU speed; lower is faster)": f"{reference_loop_ms():.1f} ms",
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "homeassistant": _version("homeassistant"),
        "aiohttp": _version("aiohttp"),
        "ringcentral SDK": _version("ringcentral"),
    }
