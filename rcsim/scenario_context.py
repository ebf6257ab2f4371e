"""What scenario builders use: step delays, callers, `ScenarioContext` and the common call shapes.

The scenarios themselves, and the semantics they give each call, are in `scenarios.py`.
"""

from __future__ import annotations

from .call_model import Action, Change, Endpoint, Party, Plan, Session, Step
from .calls import CallEngine
from .model import Extension

# Step delays, simulated seconds.
RING = 6.0
TALK = 20.0
HOLD = 8.0
GAP = 2.0
DIAL = 1.0
VOICEMAIL = 12.0
PARKED = 10.0
FLICKER = 0.5
STATUS = 15.0

_CALLERS: tuple[tuple[str, str], ...] = (
    ("+16505550143", "WIRELESS CALLER"),
    ("+14155550198", "Jane Cooper"),
    ("+12125550176", "ACME Deliveries"),
    ("+13125550121", "Robert Fox"),
    ("+16175550110", "Dr. Wade Warren"),
    ("+17205550184", "Esther Howard"),
)
_DIALLED: tuple[str, ...] = ("+18005550199", "+16505550177", "+14085550132", "+19175550155")


class ScenarioContext:
    """What a builder may use: the engine, the extensions involved, and a script to append steps to."""

    def __init__(self, engine: CallEngine, extension: Extension, other: Extension | None) -> None:
        self.engine = engine
        self.extension = extension
        self.other = other
        self.steps: list[Step] = []

    def change(self, delay: float, label: str, *changes: Change) -> None:
        """Append a step that applies `changes` together."""
        engine = self.engine
        self.steps.append(Step(delay, lambda: engine.apply(changes), label))

    def do(self, delay: float, label: str, action: Action) -> None:
        self.steps.append(Step(delay, action, label))

    def plan(self, session: Session) -> Plan:
        return Plan(session.telephony_session_id, self.steps)

    def caller(self) -> Endpoint:
        number, name = self.engine.rng.choice(_CALLERS)
        return Endpoint(number, name)

    def other_users(self, count: int) -> list[Extension]:
        """`other` if given, else up to `count` other enabled user extensions."""
        if self.other is not None:
            return [self.other]
        users = [
            e
            for e in self.engine.account.extensions.values()
            if e.type == "User" and e.status == "Enabled" and e.id != self.extension.id
        ]
        return users[:count]

    def other_user(self, scenario: str) -> Extension:
        found = self.other_users(1)
        if not found:
            raise ValueError(f"scenario {scenario!r} needs a second user extension (other_extension_id)")
        return found[0]


def inbound(ctx: ScenarioContext, ext: Extension) -> tuple[Session, Party, Party]:
    """A PSTN caller's session to `ext`'s direct number: (session, caller party, ext's party)."""
    engine = ctx.engine
    session = engine.new_session()
    caller = ctx.caller()
    me = engine.endpoint(ext, direct=True)
    remote = engine.add_party(session, None, "Outbound", caller, me)
    mine = engine.add_party(session, ext, "Inbound", caller, me)
    return session, remote, mine


def ring_answer(ctx: ScenarioContext, remote: Party, mine: Party) -> None:
    """Steps: the call rings, then (after `RING`) is answered."""
    ctx.change(0, "ring", Change(remote, "Proceeding"), Change(mine, "Proceeding"))
    ctx.change(RING, "answer", Change(remote, "Answered"), Change(mine, "Answered"))


def hang_up(ctx: ScenarioContext, delay: float, *parties: Party) -> None:
    """A step: after `delay`, every one of `parties` hangs up."""
    ctx.change(delay, "hang up", *(Change(p, "Disconnected") for p in parties))


def outbound(ctx: ScenarioContext) -> tuple[Session, Party, Party]:
    """A call from the extension to a PSTN number, dialled and ringing: (session, far end, ext's party)."""
    engine = ctx.engine
    session = engine.new_session()
    me = engine.endpoint(ctx.extension, direct=True)
    dialled = Endpoint(engine.rng.choice(_DIALLED))
    mine = engine.add_party(session, ctx.extension, "Outbound", me, dialled)
    remote = engine.add_party(session, None, "Inbound", me, dialled)
    ctx.change(0, "dial", Change(mine, "Setup"))
    ctx.change(DIAL, "far end rings", Change(mine, "Proceeding"), Change(remote, "Proceeding"))
    return session, remote, mine
