"""``scripts/develop``: the simulator in demo mode plus Home Assistant with the integration and a dashboard.

Prints the dashboard's URL and the login, then runs until Ctrl-C (or until either process dies), and
stops both cleanly.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from scripts.demo.ha_demo import (
    PASSWORD,
    ROOT,
    USERNAME,
    DemoError,
    demo_stack,
    port_is_free,
)


def _say(message: str) -> None:
    print(f"\033[1;34m==>\033[0m {message}", flush=True)


async def run(args: argparse.Namespace) -> int:
    """Bring the stack up, print how to reach it, wait for Ctrl-C."""
    ha_port = args.port if port_is_free(args.port) else None
    if ha_port is None:
        _say(f"Port {args.port} is busy: using a free one")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with demo_stack(
        args.config.resolve(),
        ha_port=ha_port,
        sim_port=args.sim_port if port_is_free(args.sim_port) else None,
        extensions=args.extensions,
        demo=True,
        log=_say,
    ) as stack:
        names = ", ".join(card.name for card in stack.cards)
        _say("Ready.")
        print(
            f"\n  Dashboard:  {stack.dashboard_url}\n"
            f"  Login:      {USERNAME} / {PASSWORD}\n"
            f"  Extensions: {names}\n"
            f"  Simulator:  {stack.sim_url}  (control API under /sim, e.g. GET {stack.sim_url}/sim/state)\n"
            f"  Logs:       {stack.config_dir / 'home-assistant.log'}, {stack.config_dir / 'rcsim.log'}\n"
            "\n  Calls are played continuously by the simulator. Press Ctrl-C to stop both.\n",
            flush=True,
        )
        waits: list[asyncio.Task[Any]] = [asyncio.create_task(stop.wait())]
        waits += [asyncio.create_task(proc.proc.wait()) for proc in stack.processes]
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for task in waits:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        died = [proc for proc in stack.processes if not proc.running]
        _say("Stopping Home Assistant and the simulator")
    for proc in died:
        _say(f"{proc.name} exited with code {proc.proc.returncode}; see {proc.log_path}")
    return 1 if died else 0


def main() -> int:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=8123, help="Home Assistant port (a free one if busy)")
    parser.add_argument("--sim-port", type=int, default=8765, help="simulator port (a free one if busy)")
    parser.add_argument("--extensions", type=int, default=5, help="extensions in the simulated account")
    parser.add_argument("--config", type=Path, default=ROOT / "config", help="Home Assistant config dir")
    args = parser.parse_args()
    try:
        return asyncio.run(run(args))
    except DemoError as err:
        _say(f"Failed: {err}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
