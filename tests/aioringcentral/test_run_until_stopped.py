"""The run/stop handshake the transports share: cleanup always runs, once, and says why."""

from __future__ import annotations

import asyncio

import pytest

from custom_components.ringcentral.aioringcentral.run_until_stopped import RunUntilStopped


class Owner:
    def __init__(self) -> None:
        self.guard = RunUntilStopped("Owner")
        self.started = asyncio.Event()
        self.cleanups: list[bool] = []

    async def forever(self) -> None:
        self.started.set()
        await asyncio.Event().wait()

    async def failing(self) -> None:
        raise ValueError("boom")

    async def cleanup(self, failed: bool) -> None:
        assert self.guard.running  # still running while it cleans up
        self.cleanups.append(failed)

    async def run(self, main: str = "forever") -> None:
        await self.guard.run(getattr(self, main), name="test", cleanup=self.cleanup)


async def test_stop_before_run_does_nothing() -> None:
    owner = Owner()
    await owner.guard.stop()
    assert (owner.guard.started, owner.guard.stop_requested, owner.cleanups) == (False, False, [])


async def test_stop_ends_the_run_after_its_cleanup() -> None:
    owner = Owner()
    run = asyncio.create_task(owner.run())
    await owner.started.wait()
    with pytest.raises(RuntimeError, match=r"Owner.run\(\) is already running"):
        await owner.run()
    await owner.guard.stop()
    assert run.done()  # it returned in the step that let stop() go on
    assert run.exception() is None
    assert owner.cleanups == [False]
    assert (owner.guard.running, owner.guard.stop_requested) == (False, True)
    await owner.guard.stop()  # again: returns at once
    assert owner.cleanups == [False]


async def test_a_failing_run_cleans_up_as_failed_and_raises() -> None:
    owner = Owner()
    with pytest.raises(ValueError, match="boom"):
        await owner.run("failing")
    assert owner.cleanups == [True]
    assert not owner.guard.running
    await owner.guard.stop()  # after the end: returns at once


async def test_an_outside_cancellation_propagates_after_the_cleanup() -> None:
    owner = Owner()
    run = asyncio.create_task(owner.run())
    await owner.started.wait()
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    assert owner.cleanups == [False]
    assert (owner.guard.running, owner.guard.stop_requested) == (False, False)
