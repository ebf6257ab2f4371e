"""The stage timer charges each stage its exclusive time and counts its calls (no timing is asserted)."""

from __future__ import annotations

import time

import pytest

from benchmarks.stages import DECODE, ENGINE, PARSE, STAGES, WRITES, StageTimer


def _spin(seconds: float) -> None:
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


def test_nested_stages_get_their_exclusive_time_and_calls() -> None:
    timer = StageTimer()
    inner = timer._wrap(PARSE, lambda: _spin(0.002))

    def outer_body() -> str:
        inner()
        inner()
        return "done"

    outer = timer._wrap(ENGINE, outer_body)
    assert outer() == "done"
    assert timer.calls[ENGINE] == 1
    assert timer.calls[PARSE] == 2
    assert timer.seconds[PARSE] > 0
    # The engine's own time excludes the parser's (which spun for at least 4 ms of CPU).
    assert timer.seconds[ENGINE] < timer.seconds[PARSE]
    assert timer.seconds[DECODE] == timer.seconds[WRITES] == 0.0


def test_exceptions_still_close_the_stage() -> None:
    timer = StageTimer()

    def fail() -> None:
        raise ValueError("boom")

    wrapped = timer._wrap(DECODE, fail)
    with pytest.raises(ValueError, match="boom"):
        wrapped()
    after = timer._wrap(WRITES, lambda: None)
    after()
    assert timer.calls[DECODE] == 1
    assert timer.calls[WRITES] == 1
    assert not timer._stack


def test_correction_never_goes_negative() -> None:
    timer = StageTimer()
    timer.calls[PARSE] = 10
    corrected = timer.corrected(overhead=1.0)
    assert set(corrected) == set(STAGES)
    assert all(value >= 0.0 for value in corrected.values())
    assert StageTimer.calibrate() >= 0.0
