"""What a call is made of: sessions, parties and their ends, and the scenario steps that change them.

Plain data, shared by the call engine (`call_state.py`, `calls.py`), the bodies it publishes
(`call_bodies.py`) and the scenarios (`scenarios.py`).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from .model import Extension
from .presence import PRESENCE_ENDED_CODES, TERMINAL_CODES, call_presence_status


@dataclass(frozen=True)
class Endpoint:
    """One end of a call as RingCentral shows it (`from`/`to`)."""

    phone_number: str
    name: str | None = None
    extension_id: str | None = None

    def as_dict(self) -> dict[str, str]:
        out = {"phoneNumber": self.phone_number}
        if self.name is not None:
            out["name"] = self.name
        if self.extension_id is not None:
            out["extensionId"] = self.extension_id
        return out


@dataclass(eq=False)
class Party:
    """One participant of a telephony session; `extension` is None for a party outside the account."""

    id: str
    session: Session
    extension: Extension | None
    direction: str  # Inbound | Outbound, from this party's point of view
    from_: Endpoint
    to: Endpoint
    presence_id: str  # `activeCalls[].id`
    call_id: str
    from_tag: str
    to_tag: str
    queue_call: bool = False
    code: str = ""  # "" until the party joins the call
    reason: str | None = None
    peer: Party | None = None  # where a Gone party went
    park_id: str | None = None
    missed_call: bool = False
    muted: bool = False
    start_time: float = 0.0
    # Presence quirk: the call shows NoCall for a moment while the party is still ringing.
    flicker: bool = False
    dirty: bool = False
    listed: bool = False  # in its extension's presence call list

    @property
    def presence_status(self) -> str:
        return "NoCall" if self.flicker else call_presence_status(self.code)

    @property
    def presence_ended(self) -> bool:
        return self.code in PRESENCE_ENDED_CODES

    @property
    def terminal(self) -> bool:
        return self.code in TERMINAL_CODES


@dataclass(eq=False)
class Session:
    """A telephony session: one call, possibly with several parties over its life."""

    telephony_session_id: str
    session_id: str
    origin: str
    creation_time: float
    # Party ids are the session's core id plus a counter, like RingCentral's `cs1718...-2`.
    core_id: str
    parties: list[Party] = field(default_factory=list)
    _party_seq: int = 0
    # The run whose steps may still change this call. None: any (scenarios as scripted). An action
    # through the API takes the call over: the scenario that scripted it stops at its next step.
    owner: ScenarioRun | None = None

    def next_party_id(self) -> str:
        self._party_seq += 1
        return f"{self.core_id}-{self._party_seq}"


@dataclass(frozen=True)
class Change:
    """A party status change that a scenario step applies."""

    party: Party
    code: str
    reason: str | None = None
    missed_call: bool | None = None
    peer: Party | None = None
    park_id: str | None = None


Action = Callable[[], None]


@dataclass(frozen=True)
class Step:
    """One scenario step: wait `delay` simulated seconds (divided by the run's speed), then act."""

    delay: float
    action: Action
    label: str = ""


@dataclass(frozen=True)
class Plan:
    """What a scenario builder returns: the id `start()` reports and the steps to run."""

    run_id: str
    steps: list[Step]


@dataclass(eq=False)
class ScenarioRun:
    """A scenario in progress."""

    id: str
    scenario: str
    steps: deque[Step]
    step_mode: bool
    speed: float
    task: asyncio.Task[None] | None = None
    # The sessions its steps changed (hung up if the run stops with them still live).
    sessions: list[Session] = field(default_factory=list)


# Party codes of a call still ringing.
RINGING_CODES = frozenset({"Setup", "Proceeding"})


def live_parties(session: Session) -> list[Party]:
    return [p for p in session.parties if p.code and not p.terminal]


def hang_up(session: Session) -> list[Change]:
    """Everyone still in the call hangs up; an inbound party that was still ringing missed it."""
    return [
        Change(
            p,
            "Disconnected",
            missed_call=True if p.direction == "Inbound" and p.code in RINGING_CODES else None,
        )
        for p in live_parties(session)
    ]
