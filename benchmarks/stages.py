"""Where the integration's time goes inside Home Assistant: CPU-time counters around each stage.

While `StageTimer.instrumented()` is active, the functions that make up each stage are wrapped; a
wrapper charges the time since the last mark to the stage that was running (its caller's, if any)
and, on return, its own time to its stage. Stages nest (the engine calls the parser, the fan-out
calls the entity writes), so each stage gets its exclusive time. Whatever runs outside every stage
(the event loop, socket reads in the kernel, the harness polling for the last notification) is
the process's CPU time minus the stages' sum.

The clock is the thread's CPU time, not `perf_counter`: on a shared machine, wall time inside a stage
includes whatever time other processes got, which inflated every stage several times over. Reading
it costs about 0.3 µs, so each wrapped call costs about 1 µs: that cost is measured in the same
process (`calibrate`) and taken off each stage per call, and an instrumented round is never one
whose cost is compared with a floor.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any
from unittest.mock import patch

from aiohttp.client_proto import ResponseHandler
from homeassistant.helpers.entity import Entity

from custom_components.ringcentral import router as router_module
from custom_components.ringcentral.aioringcentral import websocket_frames
from custom_components.ringcentral.aioringcentral.engine import CallStateEngine
from custom_components.ringcentral.aioringcentral.models import Notification
from custom_components.ringcentral.connection import Connection
from custom_components.ringcentral.fanout import Fanout

RECEIVE = "receive"
DECODE = "decode"
PARSE = "validate/parse"
ENGINE = "engine"
FANOUT = "fan-out"
WRITES = "entity writes"
STAGES = (RECEIVE, DECODE, PARSE, ENGINE, FANOUT, WRITES)

# What each stage covers, for the report.
DESCRIPTIONS = {
    RECEIVE: "aiohttp reading WebSocket frames off the socket, the transport's frame handling and dedupe",
    DECODE: "JSON of each frame (`load_json`)",
    PARSE: "the envelope and its body into typed models",
    ENGINE: "the call-state engine (applying, its next deadline, an extension's state for the views)",
    FANOUT: "the hub's dispatch, views, dispatcher signals, entity callbacks, call events on the bus",
    WRITES: "`Entity.async_write_ha_state` (the state machine and state_changed included)",
}

# (owner, attribute name, stage): every function whose time is charged to a stage.
_WRAPPED: tuple[tuple[Any, str, str], ...] = (
    (ResponseHandler, "data_received", RECEIVE),
    (websocket_frames.WebSocketFrames, "_on_text", RECEIVE),
    (websocket_frames, "_split_frame", DECODE),
    (router_module, "parse_notification", PARSE),
    (Notification, "presence", PARSE),
    (Notification, "telephony_session", PARSE),
    (CallStateEngine, "apply_notification", ENGINE),
    (CallStateEngine, "tick", ENGINE),
    (CallStateEngine, "next_deadline", ENGINE),
    (CallStateEngine, "state", ENGINE),
    (Connection, "on_notification", FANOUT),
    (Fanout, "async_send", FANOUT),
    (Entity, "async_write_ha_state", WRITES),
)


CALIBRATION_CALLS = 20_000


class StageTimer:
    """Exclusive CPU seconds per stage, and how many calls each stage had."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = dict.fromkeys(STAGES, 0.0)
        self.calls: dict[str, int] = dict.fromkeys(STAGES, 0)
        self._stack: list[str] = []
        self._mark = 0.0

    def _wrap(self, stage: str, function: Callable[..., Any]) -> Callable[..., Any]:
        seconds, calls, stack = self.seconds, self.calls, self._stack
        clock, thread = time.clock_gettime, time.CLOCK_THREAD_CPUTIME_ID

        def timed(*args: Any, **kwargs: Any) -> Any:
            now = clock(thread)
            if stack:
                seconds[stack[-1]] += now - self._mark
            stack.append(stage)
            calls[stage] += 1
            self._mark = now
            try:
                return function(*args, **kwargs)
            finally:
                now = clock(thread)
                seconds[stack.pop()] += now - self._mark
                self._mark = now

        return timed

    @staticmethod
    def calibrate() -> float:
        """CPU seconds one wrapper adds to a call (a wrapped no-op nested in another, minus the no-op)."""

        def noop() -> None:
            return None

        probe = StageTimer()
        inner = probe._wrap(DECODE, noop)
        outer = probe._wrap(PARSE, inner)
        start = time.process_time()
        for _ in range(CALIBRATION_CALLS):
            outer()
        wrapped = time.process_time() - start
        start = time.process_time()
        for _ in range(CALIBRATION_CALLS):
            noop()
        bare = time.process_time() - start
        return max(0.0, (wrapped - bare) / (2 * CALIBRATION_CALLS))

    def corrected(self, overhead: float) -> dict[str, float]:
        """Seconds per stage less the wrappers' own cost."""
        return {stage: max(0.0, self.seconds[stage] - overhead * self.calls[stage]) for stage in STAGES}

    @contextmanager
    def instrumented(self) -> Iterator[None]:
        with ExitStack() as stack:
            for owner, name, stage in _WRAPPED:
                stack.enter_context(patch.object(owner, name, self._wrap(stage, getattr(owner, name))))
            yield
