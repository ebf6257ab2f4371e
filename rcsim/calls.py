"""The call engine: the calls of one simulator instance (`call_state.py`) and the scenarios that drive them.

`CallEngine` is the simulator's ground truth for calls. Scenarios (`scenarios.py`) change party
states through `apply()`, one step at a time: in timed mode each step follows the last after its delay
(simulated seconds, divided by the run's speed); in step mode only when `step()` is called. Other runs
of steps (`play`) drive the calls the REST API placed or took over. A session's `owner` is the run that
may still change it. Demo mode keeps starting random scenarios.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from .call_model import Change, Plan, ScenarioRun, Step, hang_up
from .call_state import CallState
from .clock import SimClock
from .config import SimConfig
from .events import EventBus
from .log import SimLog
from .model import Account, Extension

_LOGGER = logging.getLogger(__name__)

ScenarioBuilder = Callable[["CallEngine", Extension, Extension | None], Plan]


@dataclass(frozen=True)
class ScenarioCatalog:
    """The scenarios an engine runs (`scenarios.CATALOG`); the assembly hands it to the engine."""

    builders: Mapping[str, ScenarioBuilder]
    demo: Sequence[str]  # what demo mode picks from (a name listed twice is picked twice as often)
    needs_second_user: frozenset[str]


class CallEngine(CallState):
    """Calls, presence and the scenarios that drive them, for one simulator instance."""

    def __init__(
        self,
        *,
        config: SimConfig,
        clock: SimClock,
        account: Account,
        bus: EventBus,
        log: SimLog,
        scenarios: ScenarioCatalog,
    ) -> None:
        super().__init__(config=config, clock=clock, account=account, bus=bus, log=log)
        self._catalog = scenarios
        self._runs: dict[str, ScenarioRun] = {}
        self._stepping: ScenarioRun | None = None  # the run whose step is being applied
        self._run_counter = 0
        self._demo_task: asyncio.Task[None] | None = None

    def scenarios(self) -> list[str]:
        """Names `start()` accepts."""
        return sorted(self._catalog.builders)

    def start(
        self,
        scenario: str,
        extension_id: str,
        *,
        other_extension_id: str | None = None,
        speed: float = 1.0,
        step: bool = False,
    ) -> str:
        """Start a scenario; returns its telephonySessionId (a run id for presence-only scenarios).

        In timed mode the first step happens before this returns and the rest follow on the event
        loop, each after its delay divided by `speed`. In step mode nothing happens until `step()`.
        """
        builder = self._catalog.builders.get(scenario)
        if builder is None:
            raise ValueError(f"unknown scenario {scenario!r}; known scenarios: {', '.join(self.scenarios())}")
        if isinstance(speed, bool) or not isinstance(speed, int | float) or not speed > 0:
            raise ValueError(f"speed must be a positive number, got {speed!r}")
        ext = self._extension(extension_id)
        other = self._extension(other_extension_id) if other_extension_id is not None else None
        if other is not None and other.id == ext.id:
            raise ValueError("other_extension_id must differ from extension_id")
        if not step:
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                raise RuntimeError("timed scenarios need a running event loop (or use step=True)") from None
        plan = builder(self, ext, other)
        run = ScenarioRun(plan.run_id, scenario, deque(plan.steps), step, speed)
        self.log.record("scenario", scenario=scenario, extension_id=ext.id, run_id=run.id)
        self._launch(run, first_now=True)
        return run.id

    def play(
        self, run_id: str, label: str, steps: Sequence[Step], *, step_mode: bool, speed: float = 1.0
    ) -> ScenarioRun:
        """Run `steps` (timed from now, or one `step(run_id)` at a time) as the run `run_id`, which
        replaces a run of that id still going (a call the API took over continues under the same id)."""
        run = ScenarioRun(run_id, label, deque(steps), step_mode, speed)
        self._launch(run, first_now=False)
        return run

    def run(self, run_id: str) -> ScenarioRun | None:
        """The unfinished run of that id."""
        return self._runs.get(run_id)

    @property
    def stepping(self) -> ScenarioRun | None:
        """The run whose step is being applied right now, if any."""
        return self._stepping

    def step(self, tsid: str) -> bool:
        """Apply the next step of a step-mode scenario; False if there is none (or not in step mode)."""
        run = self._runs.get(tsid)
        if run is None or not run.step_mode or not run.steps:
            return False
        self._apply_step(run, run.steps.popleft())
        if not run.steps:
            self._finished(run)
        return True

    def running(self) -> list[str]:
        """Ids of scenarios not finished yet (timed and step mode)."""
        return list(self._runs)

    async def drain(self) -> None:
        """Wait until every timed scenario has finished (step-mode ones only advance through `step()`)."""
        while True:
            tasks = [r.task for r in self._runs.values() if r.task is not None and not r.task.done()]
            if not tasks:
                return
            # asyncio.wait, not gather: cancelling drain() must not cancel the scenarios.
            await asyncio.wait(tasks)

    def start_demo(self) -> None:
        """Keep placing random scenarios on random user extensions every `config.demo_interval`."""
        if self._demo_task is None or self._demo_task.done():
            self._demo_task = asyncio.get_running_loop().create_task(self._demo_loop(), name="rcsim-demo")

    async def close(self) -> None:
        """Stop the demo and every running scenario."""
        tasks = [r.task for r in self._runs.values() if r.task is not None]
        if self._demo_task is not None:
            tasks.append(self._demo_task)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._demo_task = None
        self._runs.clear()

    def apply(self, changes: Sequence[Change]) -> None:
        """Apply party changes (possibly across sessions) and publish what they change.

        A run's step that would change a call another run owns (the API took it over) is dropped,
        and the run ends there: the rest of its script no longer describes what happens.
        """
        run = self._stepping
        if run is not None and any(c.party.session.owner not in (None, run) for c in changes):
            _LOGGER.debug("run %s stops: the API took its call over", run.id)
            run.steps.clear()
            self._hang_up(run)
            return
        super().apply(changes)
        if run is not None:
            for change in changes:
                if all(s is not change.party.session for s in run.sessions):
                    run.sessions.append(change.party.session)

    def _hang_up(self, run: ScenarioRun) -> None:
        """A stopped run's other calls end: whoever is still on them hangs up (a ringing inbound party
        missed it), so no call of a script that no longer applies stays live for good."""
        changes = [c for session in run.sessions if session.owner in (None, run) for c in hang_up(session)]
        if changes:
            super().apply(changes)

    def next_run_id(self, prefix: str) -> str:
        self._run_counter += 1
        return f"{prefix}-{self._run_counter}"

    # ---------------------------------------------------------------- internals

    def _launch(self, run: ScenarioRun, *, first_now: bool) -> None:
        old = self._runs.get(run.id)
        if old is not None:
            old.steps.clear()
            if old.task is not None and old.task is not asyncio.current_task():
                old.task.cancel()
        self._runs[run.id] = run
        if not run.step_mode:
            if first_now and run.steps:
                self._apply_step(run, run.steps.popleft())
            if run.steps:
                run.task = asyncio.get_running_loop().create_task(self._drive(run), name=f"rcsim-{run.id}")
        if not run.steps:
            self._finished(run)

    def _finished(self, run: ScenarioRun) -> None:
        if self._runs.get(run.id) is run:
            del self._runs[run.id]

    def _apply_step(self, run: ScenarioRun, step: Step) -> None:
        _LOGGER.debug("scenario %s (%s): %s", run.scenario, run.id, step.label)
        self._stepping = run
        try:
            step.action()
        finally:
            self._stepping = None

    async def _drive(self, run: ScenarioRun) -> None:
        try:
            while run.steps:
                step = run.steps.popleft()
                await self.clock.sleep(step.delay / run.speed)
                self._apply_step(run, step)
        except asyncio.CancelledError:
            raise
        except Exception:
            _LOGGER.exception("scenario %s (%s) failed", run.scenario, run.id)
        finally:
            self._finished(run)

    async def _demo_loop(self) -> None:
        while True:
            await self.clock.sleep(self.config.demo_interval)
            users = [
                e for e in self.account.extensions.values() if e.type == "User" and e.status == "Enabled"
            ]
            if not users:
                continue
            ext = self.rng.choice(users)
            choices = self._catalog.demo
            if len(users) < 2:
                choices = [s for s in choices if s not in self._catalog.needs_second_user]
            try:
                self.start(self.rng.choice(choices), ext.id)
            except Exception:
                # One bad pick must not end the demo.
                _LOGGER.exception("demo scenario could not start")
