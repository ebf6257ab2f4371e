"""A WebSocket client in its own process, counting notifications for `ws_bench.py`.

`python -m benchmarks.ws_client_worker` reads JSON lines on stdin and answers JSON lines on stdout:
first `{"client": "ours" | "sdk", "credentials": {...}, "filter": "<event filter>"}` (credentials go
over the pipe, never the command line), answered `{"ready": true}` once subscribed; then
`{"expect": n}`, answered `{"armed": true}` at once and, after n notifications,
`{"count", "first", "last", "cpu"}` (`time.monotonic()` of the first and last, which is system-wide on
Linux, and the process CPU seconds spent since `expect`); `{"quit": true}` ends it.

Each client runs alone in its process so neither competes with the other (or the simulator) for the GIL.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any

import aiohttp

from custom_components.ringcentral.aioringcentral.models import SubscriptionInfo
from custom_components.ringcentral.aioringcentral.rest import RingCentralClient
from custom_components.ringcentral.aioringcentral.transport import Continuity
from custom_components.ringcentral.aioringcentral.websocket import WebSocketTransport

from .procs import redact


class Counter:
    """Counts notifications of the current burst; `done` is set when the expected number arrived."""

    def __init__(self) -> None:
        self.expected = 0
        self.count = 0
        self.first = 0.0
        self.last = 0.0
        self.cpu_start = 0.0
        self.done = asyncio.Event()
        self.ready = asyncio.Event()

    def arm(self, expected: int) -> None:
        self.expected, self.count = expected, 0
        self.first = self.last = 0.0
        self.cpu_start = time.process_time()
        self.done.clear()

    def hit(self) -> None:
        now = time.monotonic()
        if self.count == 0:
            self.first = now
        self.count += 1
        self.last = now
        if self.count == self.expected:
            self.done.set()

    def report(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "first": self.first,
            "last": self.last,
            "cpu": time.process_time() - self.cpu_start,
        }


class _Listener:
    """Our transport's listener: counts notifications, says when the subscription exists."""

    def __init__(self, counter: Counter) -> None:
        self.counter = counter

    def on_notification(self, raw: dict[str, Any]) -> None:
        self.counter.hit()

    def on_connected(self, continuity: Continuity) -> None:
        self.counter.ready.set()

    def on_disconnected(self, reason: str) -> None:
        print(json.dumps({"log": f"disconnected: {reason}"}), file=sys.stderr)

    def on_subscription(self, info: SubscriptionInfo) -> None:
        pass


async def run_ours(config: dict[str, Any], counter: Counter, stop: asyncio.Event) -> None:
    creds = config["credentials"]
    async with aiohttp.ClientSession() as session:
        client = RingCentralClient(
            session,
            server=creds["server"],
            client_id=creds["client_id"],
            client_secret=creds["client_secret"],
            jwt=creds["jwt"],
        )
        await client.login()
        transport = WebSocketTransport(client, [config["filter"]], _Listener(counter))
        task = asyncio.create_task(transport.run())
        await stop.wait()
        await transport.stop()
        await task
        await client.close()


async def run_sdk(config: dict[str, Any], counter: Counter, stop: asyncio.Event) -> None:
    from ringcentral import SDK
    from ringcentral.websocket import WebSocketEvents

    creds = config["credentials"]
    sdk = SDK(creds["client_id"], creds["client_secret"], creds["server"])
    platform = sdk.platform()
    platform.login(jwt=creds["jwt"])  # blocking (requests): before any traffic is measured
    client = sdk.create_web_socket_client()
    pending: set[asyncio.Future[Any]] = set()

    def on_connected(ws_client: Any) -> None:
        pending.add(asyncio.ensure_future(ws_client.create_subscription([config["filter"]])))

    client.on(WebSocketEvents.connectionCreated, on_connected)
    client.on(WebSocketEvents.subscriptionCreated, lambda _sub: counter.ready.set())
    client.on(WebSocketEvents.receiveSubscriptionNotification, lambda _message: counter.hit())
    connection = asyncio.ensure_future(client.create_new_connection())
    stopped = asyncio.ensure_future(stop.wait())
    await asyncio.wait([connection, stopped], return_when=asyncio.FIRST_COMPLETED)
    if connection.done():
        connection.result()  # ended early: surface why
    await client.close_connection()
    with contextlib.suppress(Exception):  # its receive loop ends by raising ConnectionClosed
        await connection
    await asyncio.gather(*pending, return_exceptions=True)
    platform.logout()


CLIENTS: dict[str, Callable[[dict[str, Any], Counter, asyncio.Event], Coroutine[Any, Any, None]]] = {
    "ours": run_ours,
    "sdk": run_sdk,
}


def _say(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


async def main() -> None:
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str] = asyncio.Queue()

    def read_stdin() -> None:
        for line in sys.stdin:
            loop.call_soon_threadsafe(lines.put_nowait, line)
        loop.call_soon_threadsafe(lines.put_nowait, '{"quit": true}')

    threading.Thread(target=read_stdin, name="stdin", daemon=True).start()
    config = json.loads(await lines.get())
    counter, stop = Counter(), asyncio.Event()
    client = asyncio.create_task(CLIENTS[config["client"]](config, counter, stop))
    ready = asyncio.create_task(counter.ready.wait())
    await asyncio.wait([client, ready], return_when=asyncio.FIRST_COMPLETED)
    if client.done():
        client.result()
        raise RuntimeError("the client ended before it was subscribed")
    _say({"ready": True})
    while True:
        command = json.loads(await lines.get())
        if command.get("quit"):
            break
        counter.arm(int(command["expect"]))
        _say({"armed": True})
        await counter.done.wait()
        _say(counter.report())
    stop.set()
    await client


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except Exception as err:
        _say({"error": redact(f"{type(err).__name__}: {err}")})
        raise SystemExit(1) from err
