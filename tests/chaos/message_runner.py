"""Plays a plan with messages (`message_plan.py`) and holds the observer to the message checks.

`MessageDriver` is the call-state `Driver` plus the message actions (through the control API:
`POST /sim/voicemail`, `/sim/sms`, `/sim/messages/{id}/read`), a catch-up that also waits for the
message notifications of PubNub and WebHook (WebSocket's frame sequence already covers them), a
second quiet point after the call state's (the observer's message reads done, every count and
announcement in), and the message checks of `message_oracle.py`.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import aiohttp

from rcsim import Simulator

from .message_oracle import KIND_OF, Announcement, MessageLog, MessageStats, check_announcements, check_counts
from .message_plan import DEPARTMENT
from .oracle import SimLog
from .pipeline import notifications_held
from .plan import Plan
from .runner import QUIESCE_TIMEOUT, Driver, Observer, wait_until

# Set to a file name to append each run's message figures (one JSON line per run) for a sweep.
STATS_ENV = "CHAOS_MESSAGE_STATS"


class MessageObserver(Protocol):
    """What the driver needs from whoever follows the messages of the monitored extensions."""

    announced: list[Announcement]

    @property
    def idle(self) -> bool:
        """No read of the unread voicemails wanted, under way or waiting for a retry."""

    def unread(self) -> dict[str, int | None]:
        """Each monitored extension's unread voicemail count as shown (None: unknown)."""

    async def nudge(self) -> None:
        """Let the message reads' timers run now (Home Assistant's timers are real time)."""

    def problems(self, log: MessageLog, stats: MessageStats) -> list[str]:
        """Checks only this level can make (Home Assistant: the event entity, `missed_calls`)."""


class MessageDriver(Driver):
    """A `Driver` that also leaves voicemails, delivers SMS and reads messages on the phone."""

    def __init__(
        self,
        plan: Plan,
        sim: Simulator,
        session: aiohttp.ClientSession,
        log: SimLog,
        *,
        messages_log: MessageLog,
        messages: MessageObserver,
        level: str,
    ) -> None:
        super().__init__(plan, sim, session, log)
        self.messages_log = messages_log
        self.messages = messages
        self.level = level
        self.departments = [e.id for e in sim.state.account.extensions.values() if e.type != "User"]
        self.stats = MessageStats()
        self.last_action: dict[str, Any] | None = None
        self.restarted_at = 0  # the message log's counter at the last Home Assistant restart

    async def execute(self, observer: Observer) -> None:
        try:
            await super().execute(observer)
        except TimeoutError as err:
            unheard = self.messages_log.unheard()
            raise TimeoutError(
                f"{err} after {self.last_action}; message notifications unheard {unheard}"
            ) from err

    async def act(self, action: dict[str, Any], observer: Observer) -> None:
        self.last_action = action
        kind = action["do"]
        if kind in ("voicemail", "sms"):
            to = self.departments[0] if action["ext"] == DEPARTMENT else self.user_ids[action["ext"]]
            body: dict[str, Any] = {"to_extension": to, "from": action["from"]}
            if kind == "voicemail":
                body["duration"] = action["duration"]
                if action["transcription"]:
                    body["transcription"] = "Please call me back."
            else:
                body["text"] = action["text"]
            await self.control(kind, body)
        elif kind == "redeliver":
            # RingCentral delivers at least once: the same message notification again, under a new
            # uuid (which the transports' uuid memory cannot tell from a new one). Only to the
            # subscription it was meant for: never one a restart made since (that one never had it).
            sent = [
                p
                for p in self.messages_log.published
                if p.kind in KIND_OF and not p.copy and p.index > self.restarted_at
            ]
            if sent:
                event = sent[action["pick"] % len(sent)].event
                assert event is not None
                self.sim.state.bus.publish(event)
        elif kind == "read":
            ext_id = self.user_ids[action["ext"]]
            async with self.session.get(
                f"{self.sim.url}/sim/messages", params={"extension_id": ext_id}
            ) as resp:
                listed = (await resp.json())["messages"]
            inbound = sorted((m["id"] for m in listed if m["direction"] == "Inbound"), key=int)
            if inbound:
                message_id = inbound[action["pick"] % len(inbound)]
                await self.control(f"messages/{message_id}/read", {"read": action["read"]})
        else:
            if kind == "reload":
                self.restarted_at = self.messages_log.counter
            await super().act(action, observer)

    def caught_up(self, observer: Observer) -> bool:
        if not super().caught_up(observer):
            return False
        # WebSocket: the frame sequence counted the message notifications too (and a silent drop
        # would never be heard); PubNub and WebHook: wait for them as for the call notifications.
        return (
            self.plan.transport == "websocket"
            or not observer.connected
            or self.messages_log.caught_up()
            or notifications_held(self.sim)
        )

    async def quiesce(self, observer: Observer) -> list[str]:
        problems = await super().quiesce(observer)
        if problems:
            return problems
        log = self.messages_log
        users = self.user_ids

        def quiet() -> bool:
            if not (self.messages.idle and self.caught_up(observer)):
                return False
            shown = self.messages.unread()
            return not check_counts(log, shown) and not _unannounced(log, self.messages.announced, users)

        try:
            await wait_until(quiet, QUIESCE_TIMEOUT, "messages quiescent", between=self._nudge(observer))
        except TimeoutError as err:
            return [str(err), f"message reads idle={self.messages.idle} caught_up={self.caught_up(observer)}"]
        return []

    def _nudge(self, observer: Observer) -> Callable[[], Awaitable[None]]:
        async def nudge() -> None:
            await observer.nudge()
            await self.messages.nudge()

        return nudge

    def check_messages(self) -> list[str]:
        """The message checks (a), (b) and this level's own; the run's figures to `STATS_ENV`."""
        log, stats = self.messages_log, self.stats
        problems = check_counts(log, self.messages.unread(), stats)
        problems += check_announcements(log, self.messages.announced, monitored=self.user_ids, stats=stats)
        problems += self.messages.problems(log, stats)
        if path := os.environ.get(STATS_ENV):
            with open(path, "a", encoding="utf-8") as out:
                line = {"level": self.level, "seed": self.plan.seed, **dataclasses.asdict(stats)}
                out.write(json.dumps(line) + "\n")
        if problems:
            problems.append(f"  message notifications: {_timeline(log)}")
        return problems


def _unannounced(log: MessageLog, announced: list[Announcement], users: list[str]) -> bool:
    """Whether a message that reached the observer is still to be announced."""
    done = {a.message_id for a in announced}
    return any(
        mid not in done and log.message_heard_as_news(origin) for mid, origin in log.messages(users).items()
    )


def _timeline(log: MessageLog) -> str:
    heard = log.heard_at
    items = [
        f"{p.index}:{p.kind}/{p.extension_id}{'/' + p.message_id if p.message_id else ''}"
        f"{'' if p.index not in heard else f' heard@{heard[p.index]}'}"
        for p in log.published
    ]
    return "; ".join(items) + f"; resyncs {log.resyncs}"
