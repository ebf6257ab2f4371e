"""Realistic notification traffic, produced by the simulator's own call engine without a server.

Scenarios run in step mode, many at once on different extensions, and every event the call engine
publishes is shaped into the envelope an account-mode subscription (account presence with detailed
telephony state + account telephony sessions) would receive. Building it is not part of any timing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from rcsim.app import assemble
from rcsim.calls import CallEngine
from rcsim.config import SimConfig
from rcsim.event_filters import EventFilter, parse_filter
from rcsim.events import SimEvent
from rcsim.model import populate

# What the integration subscribes to in account mode (filters.account_presence / account_telephony_sessions).
ACCOUNT_FILTERS = (
    "/restapi/v1.0/account/~/presence?detailedTelephonyState=true",
    "/restapi/v1.0/account/~/telephony/sessions",
)
# Simulated seconds between two scenario steps.
STEP_SECONDS = 0.5


@dataclass(frozen=True, slots=True)
class Corpus:
    """Notification envelopes in delivery order, each with the moment it was sent."""

    account_id: str
    extension_ids: tuple[str, ...]
    notifications: tuple[dict[str, Any], ...]
    times: tuple[datetime, ...]

    def __len__(self) -> int:
        return len(self.notifications)


def build_corpus(*, extensions: int, notifications: int, concurrent: int = 20, seed: int = 1) -> Corpus:
    """At least `notifications` envelopes from `concurrent` interleaved scenarios on `extensions` users."""
    if extensions < 2 or notifications < 1 or concurrent < 1:
        raise ValueError("need at least 2 extensions, 1 notification and 1 concurrent scenario")
    state = assemble(SimConfig(seed=seed))
    populate(state.account, extensions)
    admin = next(iter(state.account.extensions.values()))
    event_filters = [parse_filter(text, state.account, admin) for text in ACCOUNT_FILTERS]
    subscription_id = "bench-subscription"
    out: list[dict[str, Any]] = []
    times: list[datetime] = []
    counter = 0

    def on_event(event: SimEvent) -> None:
        nonlocal counter
        now = state.clock.now()
        for event_filter in event_filters:
            if event_filter.matches(event):
                counter += 1
                out.append(
                    _envelope(
                        event_filter=event_filter,
                        event=event,
                        counter=counter,
                        now=now,
                        subscription_id=subscription_id,
                        owner_id=admin.id,
                    )
                )
                times.append(datetime.fromtimestamp(now, UTC))

    unsubscribe = state.bus.subscribe(on_event)
    rng = random.Random(seed)
    ids = [ext.id for ext in state.account.extensions.values()]
    scenarios = state.calls.scenarios()
    running: list[str] = []
    try:
        while len(out) < notifications:
            while len(running) < concurrent:
                running.append(_start(state.calls, rng, scenarios, ids))
            run_id = rng.choice(running)
            state.clock.advance(STEP_SECONDS)
            if not state.calls.step(run_id):
                running.remove(run_id)
    finally:
        unsubscribe()
    return Corpus(state.account.id, tuple(ids), tuple(out[:notifications]), tuple(times[:notifications]))


def _start(calls: CallEngine, rng: random.Random, scenarios: list[str], ids: list[str]) -> str:
    ext_id, other_id = rng.sample(ids, 2)
    scenario = rng.choice(scenarios)
    try:
        return calls.start(scenario, ext_id, other_extension_id=other_id, step=True)
    except ValueError:  # a scenario that takes no second extension
        return calls.start(scenario, ext_id, step=True)


def _envelope(
    *,
    event_filter: EventFilter,
    event: SimEvent,
    counter: int,
    now: float,
    subscription_id: str,
    owner_id: str,
) -> dict[str, Any]:
    return {
        "uuid": f"bench-{counter:012d}",
        "event": event_filter.uri,
        "timestamp": datetime.fromtimestamp(now, UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z"),
        "subscriptionId": subscription_id,
        "ownerId": owner_id,
        "body": event_filter.shape(event.body),
    }
