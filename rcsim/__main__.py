"""Run the simulator: `python -m rcsim --port 8765 --extensions 5 --demo`.

Prints the base URL and the credentials of the first (admin) extension, then serves until
Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal

from .app import Simulator
from .config import SimConfig


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be a positive number")
    return value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m rcsim", description="RingCentral platform simulator")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port (0 picks a free one; default 8765)")
    parser.add_argument("--extensions", type=int, default=5, help="user extensions to create (default 5)")
    parser.add_argument("--demo", action="store_true", help="keep placing random calls")
    parser.add_argument(
        "--time-scale",
        type=_positive_float,
        default=1.0,
        help="simulated seconds per real second (default 1)",
    )
    parser.add_argument("--seed", type=int, default=None, help="random seed for reproducible runs")
    parser.add_argument("--verbose", action="store_true", help="debug logging")
    args = parser.parse_args(argv)
    if args.extensions < 1:
        parser.error("--extensions must be at least 1")
    return args


async def serve(args: argparse.Namespace) -> None:
    config = SimConfig(
        host=args.host, port=args.port, time_scale=args.time_scale, demo=args.demo, seed=args.seed
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with Simulator(config, extensions=args.extensions) as sim:
        creds = sim.credentials()
        admin = sim.state.account.extensions[creds["extension_id"]]
        print(f"server: {sim.url}")
        print(f"client_id: {creds['client_id']}")
        print(f"client_secret: {creds['client_secret']}")
        print(f"jwt: {creds['jwt']}")
        print(f"extension: {admin.id} ({admin.extension_number}, {admin.name}, admin)")
        print(f"Ready: {len(sim.state.account.extensions)} extensions. Press Ctrl-C to stop.", flush=True)
        await stop.wait()
    print("Stopped.", flush=True)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args))


if __name__ == "__main__":
    main()
