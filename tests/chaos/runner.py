"""Plays a `Plan` against the simulator while an observer (library pipeline or Home Assistant) watches.

Scenarios run in the simulator's step mode, so calls advance only when the plan says so; faults go
through the control API (`POST /sim/faults`). After each action the driver waits until the observer
has read everything the WebSocket gateway sent (or the socket is down), so a seed replays the same
interleaving as far as the network allows. At the end every fault is cleared and the run waits for
quiescence: the observer is connected, resynced, has no pending deadlines, and shows the ground truth.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import aiohttp

from rcsim import Simulator

from .oracle import CallKey, ObservedEvent, SimLog, check_events, compare_state
from .pipeline import notifications_held
from .plan import Plan

# Simulated seconds per real second: a 60 s rate-limit penalty or a 180 s recovery window pass in
# well under a second, scenario timers are not used (step mode).
TIME_SCALE = 200.0
# PubNub and WebHook deliver each notification over HTTP: a few real milliseconds of latency would be
# seconds of simulated time at 200x, more than the engine's 3 s reorder window. 50x keeps their real
# latency well inside it.
HTTP_TRANSPORT_TIME_SCALE = 50.0
# Telephony party codes that keep a call on the user's phone, as presence would show them.
SHOWN_CODES = {
    "Setup": "Ringing",
    "Proceeding": "Ringing",
    "Answered": "CallConnected",
    "Hold": "OnHold",
    "Parked": "ParkedCall",
}
PRECEDENCE = ("CallConnected", "OnHold", "Ringing", "ParkedCall", "NoCall")
# Real seconds an observer gets to catch up after an action, and to converge at the end.
CATCH_UP_TIMEOUT = 10.0
QUIESCE_TIMEOUT = 20.0


class Observer(Protocol):
    """What the driver needs from whoever watches the simulator."""

    events: list[ObservedEvent]

    @property
    def connected(self) -> bool: ...

    @property
    def settled(self) -> bool: ...

    def caught_up(self) -> bool:
        """Nothing the simulator sent to this observer is still unread (or it is not connected)."""

    def state(self) -> dict[str, dict[str, Any]]: ...

    async def nudge(self) -> None:
        """Let time-driven work (settle deadlines) happen now; called while waiting for quiescence."""


@dataclass
class RunResult:
    seed: int
    events: int
    problems: list[str] = field(default_factory=list)


async def wait_until(
    predicate: Callable[[], bool],
    within: float,
    what: str,
    *,
    between: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Poll `predicate` (running `between` each round) until it holds; TimeoutError after `within` s."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not predicate():
        if loop.time() > deadline:
            raise TimeoutError(f"not {what} within {within} s")
        if between is not None:
            await between()
        await asyncio.sleep(0.005)


class Driver:
    """Executes one plan on one simulator."""

    def __init__(self, plan: Plan, sim: Simulator, session: aiohttp.ClientSession, log: SimLog) -> None:
        self.plan = plan
        self.sim = sim
        self.session = session
        self.log = log
        self.user_ids = [e.id for e in sim.state.account.extensions.values() if e.type == "User"]
        self.runs: dict[int, str] = {}
        self.reload: Callable[[], Awaitable[None]] | None = None
        # Calls whose end an observer restart may have swallowed (started before, ended after).
        self.restarts: list[int] = []
        # A resync due while 429 storms are armed must sit them out: their Retry-After penalties
        # stack in a usage-plan group (presence and session reads are both Light), in simulated time.
        # A settle point waits that long too (twice, for backoffs), on top of the usual catch-up.
        penalties = sum(
            action["count"] * action["retry_after"]
            for action in plan.actions
            if action["do"] == "fault" and action["kind"] == "rate_limit_storm"
        )
        self.settle_timeout = CATCH_UP_TIMEOUT + sim.state.clock.to_real(2 * penalties)

    async def control(self, path: str, body: dict[str, Any]) -> Any:
        async with self.session.post(f"{self.sim.url}/sim/{path}", json=body) as resp:
            payload = await resp.json()
            if resp.status not in (200, 201):
                raise AssertionError(f"POST /sim/{path} {body} answered {resp.status}: {payload}")
            return payload

    def truth(self) -> dict[str, dict[str, Any]]:
        """The simulator's ground truth, plus the calls the engine shows by design although presence
        hides them: a ringing call in the presence flicker is still ringing while telephony says the
        party is on it (engine rule 6), if telephony ever said so to the observer (otherwise presence
        is all it knows, and presence shows no call). Everything else is exactly `GET /sim/state`."""
        truth = self.sim.state.calls.ground_truth()
        for session in getattr(self.sim.state.calls, "_sessions", {}).values():
            for party in session.parties:
                if party.extension is None or not party.flicker or party.code not in SHOWN_CODES:
                    continue
                if not self.log.telephony_told(session.telephony_session_id, party.id):
                    continue
                ext_truth = truth[party.extension.id]
                ext_truth["activeCalls"] = [
                    *ext_truth["activeCalls"],
                    {
                        "telephonySessionId": session.telephony_session_id,
                        "partyId": party.id,
                        "telephonyStatus": SHOWN_CODES[party.code],
                    },
                ]
                statuses = {c["telephonyStatus"] for c in ext_truth["activeCalls"]}
                ext_truth["telephonyStatus"] = next(s for s in PRECEDENCE if s in statuses or s == "NoCall")
        return truth

    def caught_up(self, observer: Observer) -> bool:
        return observer.caught_up()

    def faults_pending(self) -> bool:
        """Notifications the simulator still holds back (reorder) or delays."""
        return notifications_held(self.sim)

    async def execute(self, observer: Observer) -> None:
        for action in self.plan.actions:
            await self.act(action, observer)
            # As long as a settle point: catching up may have to sit out the armed 429 storms (an
            # expired subscription is only noticed by a status check, which may need a new token).
            await wait_until(lambda: self.caught_up(observer), self.settle_timeout, "caught up")

    async def act(self, action: dict[str, Any], observer: Observer) -> None:
        kind = action["do"]
        ids = self.user_ids
        if kind == "start":
            body: dict[str, Any] = {
                "scenario": action["scenario"],
                "extension_id": ids[action["ext"]],
                "step": True,
            }
            if action["other"] is not None:
                body["other_extension_id"] = ids[action["other"]]
            self.runs[action["handle"]] = (await self.control("calls", body))["telephonySessionId"]
        elif kind == "step":
            await self.control(f"calls/{self.runs[action['handle']]}/step", {})
        elif kind == "presence":
            await self.control(
                "presence",
                {
                    "extension_id": ids[action["ext"]],
                    "user_status": action["user_status"],
                    "dnd_status": action["dnd_status"],
                },
            )
        elif kind == "settle":
            await wait_until(
                lambda: observer.settled and self.caught_up(observer),
                self.settle_timeout,
                "settled",
                between=observer.nudge,
            )
        elif kind == "reload":
            assert self.reload is not None, "this observer cannot restart"
            self.restarts.append(self.log.count)
            await self.reload()
        elif kind == "fault":
            await self.fault(action, observer)
        else:
            raise AssertionError(f"unknown action {action}")

    async def fault(self, action: dict[str, Any], observer: Observer) -> None:
        kind = action["kind"]
        log = self.log
        if kind == "drop":
            body: dict[str, Any] = {"type": "drop_connections"}
            if action["error_code"]:
                body["error_code"] = action["error_code"]
            await self.control("faults", body)
        elif kind == "drop_failed_recovery":
            log.break_starts()
            await self.control("faults", {"type": "fail_recovery", "count": action["count"]})
            await self.control("faults", {"type": "drop_connections"})
        elif kind == "reorder_duplicate_delay":
            await self.control(
                "faults",
                {
                    "type": "notifications",
                    "reorder": action["reorder"],
                    "duplicate": action["duplicate"],
                    "delay": action["delay"],
                    "count": action["count"],
                },
            )
        elif kind == "drop_notifications":
            log.break_starts()
            await self.control(
                "faults", {"type": "notifications", "drop": action["drop"], "count": action["count"]}
            )
        elif kind in ("rate_limit_storm", "server_errors"):
            body = {"type": "http", "path": action["path"], "count": action["count"]}
            if kind == "rate_limit_storm":
                body |= {"status": 429, "retry_after": action["retry_after"]}
            else:
                body["status"] = action["status"]
            await self.control("faults", body)
            if action["then_drop"]:
                await self.control("faults", {"type": "drop_connections"})
        elif kind == "revoke_tokens":
            log.break_starts()
            await self.control("faults", {"type": "revoke_tokens"})
            # Wait for the new session before anything else: a second revocation racing the re-login
            # makes the client demand new credentials (a known bug, see test_regressions.py).
            await wait_until(
                lambda: observer.connected,
                CATCH_UP_TIMEOUT,
                "reconnected after revocation",
                between=observer.nudge,
            )
        elif kind == "malformed_frame":
            await self.control("faults", {"type": "malformed_frame"})
        elif kind == "expire_subscription":
            log.break_starts()  # notifications stop until the transport notices and re-creates it
            await self.control("faults", {"type": "expire_subscription"})
        else:
            raise AssertionError(f"unknown fault {action}")

    async def quiesce(self, observer: Observer) -> list[str]:
        """Clear faults, wait for the observer to settle on the ground truth; the differences if not."""
        await self.control("faults", {"type": "clear"})
        if any(a["do"] == "fault" and a["kind"] == "drop_notifications" for a in self.plan.actions):
            await self.probe()

        def quiet() -> bool:
            return (
                observer.settled
                and self.caught_up(observer)
                and not self.faults_pending()
                and not compare_state(observer.state(), self.truth())
            )

        try:
            await wait_until(quiet, QUIESCE_TIMEOUT, "quiescent on the ground truth", between=observer.nudge)
        except TimeoutError as err:
            truth = self.truth()
            return [
                str(err),
                f"settled={observer.settled} caught_up={self.caught_up(observer)} "
                f"faults_pending={self.faults_pending()}",
                *compare_state(observer.state(), truth),
            ]
        return []

    async def warm_up(self, observer: Observer) -> None:
        """Start every extension's presence stream before the chaos, as earlier traffic would have.

        The engine cannot know where a stream's numbering starts, so the first presence it applies
        after the initial snapshot starts the stream and anything older is stale. A running
        integration met each extension's stream long ago; a fresh run has not.
        """
        await self.probe()
        await wait_until(
            lambda: observer.settled and observer.caught_up(),
            CATCH_UP_TIMEOUT,
            "warmed up",
            between=observer.nudge,
        )

    async def probe(self) -> None:
        """Two presence changes on every user extension, back to where it was.

        A notification the platform dropped silently is only noticed when a later one arrives (its
        `sequence` jumps); a real account keeps producing presence traffic, this run stops. The probe
        is that later traffic: two events, because a call missing from one presence event is only an
        end signal (engine rule 5).
        """
        for ext in self.sim.state.account.extensions.values():
            if ext.type != "User":
                continue
            original = ext.user_status
            other = "Busy" if original != "Busy" else "Available"
            for status in (other, original):
                await self.control("presence", {"extension_id": ext.id, "user_status": status})

    def check(self, observer: Observer, monitored: list[str], *, since: int) -> list[str]:
        """All event checks against what the simulator published."""
        truth = self.truth()
        live: set[CallKey] = {
            (ext_id, str(call["telephonySessionId"]), str(call["partyId"]))
            for ext_id, ext_truth in truth.items()
            for call in ext_truth.get("activeCalls", [])
        }
        exempt = {
            key
            for key, first in self.log.first_seen.items()
            if any(first <= at <= self.log.ended_at.get(key, self.log.count) for at in self.restarts)
        }
        problems = check_events(
            observer.events, self.log, monitored=monitored, live_at_end=live, exempt=exempt, since=since
        )
        if problems and self.restarts:
            problems.append(f"  restarts @{self.restarts}")
        return problems
