"""Waiting on a condition in tests, without sleeping for a guessed amount of time."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


async def wait_for(predicate: Callable[[], object], within: float = 5.0) -> None:
    """Poll the event loop until `predicate()` is truthy; fail the test after `within` real seconds.

    `within` is a bound for a broken test, not a synchronisation delay: a passing test returns as
    soon as the condition holds.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {within} s")
        await asyncio.sleep(0.005)
