"""One `run()` at a time, until `stop()`: the lifecycle every transport shares.

`run` works until its work ends (an error, or giving up) or `stop` is asked for; either way the work
is cancelled and the owner's cleanup runs before `run` returns, and `stop` returns once it has. A
cancellation from outside (shutdown) propagates out of `run`; the one `stop` causes does not.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any


class RunUntilStopped:
    """The run/stop handshake of one transport (`owner` names it in errors)."""

    __slots__ = ("_done", "_owner", "_stop_requested", "running")

    def __init__(self, owner: str) -> None:
        self._owner = owner
        self.running = False
        self._stop_requested: asyncio.Event | None = None
        self._done: asyncio.Event | None = None

    @property
    def started(self) -> bool:
        """`run()` was called at least once (so `stop()` has something to wait for)."""
        return self._stop_requested is not None

    @property
    def stop_requested(self) -> bool:
        return self._stop_requested is not None and self._stop_requested.is_set()

    async def run(
        self,
        main: Callable[[], Coroutine[Any, Any, None]],
        *,
        name: str,
        cleanup: Callable[[bool], Awaitable[None]],
    ) -> None:
        """Run `main()` until it ends or `stop()` is asked for, then `cleanup(failed)`: `failed` when
        `main` raised (its error then propagates)."""
        if self.running:
            raise RuntimeError(f"{self._owner}.run() is already running")
        self.running = True
        stop_requested = self._stop_requested = asyncio.Event()
        done = self._done = asyncio.Event()
        loop = asyncio.get_running_loop()
        work = loop.create_task(main(), name=name)
        stopper = loop.create_task(stop_requested.wait())
        try:
            await asyncio.wait({work, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (work, stopper):
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await stopper
            try:
                await work
            except asyncio.CancelledError:
                current = asyncio.current_task()
                if current is not None and current.cancelling():
                    raise  # we were cancelled ourselves, not by stop()
            finally:
                failed = work.done() and not work.cancelled() and work.exception() is not None
                try:
                    await cleanup(failed)
                finally:
                    self.running = False
                    done.set()

    async def stop(self) -> None:
        """Ask `run()` to stop and wait until it has (nothing to do if it never ran)."""
        if self._stop_requested is None or self._done is None:
            return
        self._stop_requested.set()
        await self._done.wait()
