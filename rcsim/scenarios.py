"""Call scenarios: scripted sequences of party state changes, as RingCentral reports them.

Each builder lays out the sessions and parties of one scenario up front (so the telephonySessionId
is known when it starts) and returns its steps; `CallEngine` runs them on a timer or one by one.
Delays are simulated seconds, divided by the run's speed.

Semantics where RingCentral's docs leave room (our choices, kept here in one place):
- Inbound calls ring as `Proceeding` (no `Setup`); outbound go `Setup` → `Proceeding` → `Answered`.
- A caller who gives up: `Disconnected`, `missedCall` true, reason `Cancelled`. Voicemail: `VoiceMail`
  (missedCall true), later `Disconnected`. An unanswered outbound call: `Disconnected`, reason `NoAnswer`.
- Park: the parking party goes `Parked` (`park.id` "801", `parkData` "*801"); whoever picks it up joins
  the same session as a new Inbound party (`Answered`) and the parked party goes `Disconnected`,
  reason `Pickup`.
- Blind transfer: the transferring party goes `Gone` with `peerId` = the target's party in a new
  session, where the target rings and answers. Attended transfer: the original call is put on `Hold`,
  a consult call to the target is made and answered, then the target joins the original session
  (`Answered`); the transferor's original party goes `Gone` (`peerId` = the target's new party), its
  consult party `Disconnected` (reason `AttendedTransfer`), and the target's consult party `Gone`.
- Call queue: the queue is a Department extension (the first in the account, one is created if none
  exists). It rings `extension_id` and either `other_extension_id` or up to two more user extensions,
  all with `queueCall` true; `extension_id` answers, the others go `Disconnected` with `missedCall`
  false and reason `Pickup`. If `extension_id` is itself a Department, it is the queue and its agents
  are `other_extension_id` or else the first three user extensions (the first answers). The queue's
  own leg is not modelled as a party.
- `inbound_flicker`: a ringing call shows NoCall in presence for a moment (`terminationType`
  "intermediate") and then Ringing again, while telephony stays `Proceeding`: a quirk users report.
- DND `DoNotAcceptAnyCalls` sends a scenario's new inbound call straight to voicemail, and the
  scenario stops there (`call_actions.py`); call-queue calls are not diverted.
"""

from __future__ import annotations

from collections.abc import Callable

from .call_model import Action, Change, Endpoint, Party, Plan, Session, Step
from .calls import CallEngine, ScenarioBuilder, ScenarioCatalog
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

PARK_LOCATION = "801"

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


def _inbound(ctx: ScenarioContext, ext: Extension) -> tuple[Session, Party, Party]:
    """A PSTN caller's session to `ext`'s direct number: (session, caller party, ext's party)."""
    engine = ctx.engine
    session = engine.new_session()
    caller = ctx.caller()
    me = engine.endpoint(ext, direct=True)
    remote = engine.add_party(session, None, "Outbound", caller, me)
    mine = engine.add_party(session, ext, "Inbound", caller, me)
    return session, remote, mine


def _ring_answer(ctx: ScenarioContext, remote: Party, mine: Party) -> None:
    ctx.change(0, "ring", Change(remote, "Proceeding"), Change(mine, "Proceeding"))
    ctx.change(RING, "answer", Change(remote, "Answered"), Change(mine, "Answered"))


def _hang_up(ctx: ScenarioContext, delay: float, *parties: Party) -> None:
    ctx.change(delay, "hang up", *(Change(p, "Disconnected") for p in parties))


def inbound_answered(ctx: ScenarioContext) -> Plan:
    session, remote, mine = _inbound(ctx, ctx.extension)
    _ring_answer(ctx, remote, mine)
    _hang_up(ctx, TALK, remote, mine)
    return ctx.plan(session)


def inbound_missed(ctx: ScenarioContext) -> Plan:
    session, remote, mine = _inbound(ctx, ctx.extension)
    ctx.change(0, "ring", Change(remote, "Proceeding"), Change(mine, "Proceeding"))
    ctx.change(
        RING * 2,
        "caller gives up",
        Change(remote, "Disconnected"),
        Change(mine, "Disconnected", reason="Cancelled", missed_call=True),
    )
    return ctx.plan(session)


def inbound_voicemail(ctx: ScenarioContext) -> Plan:
    session, remote, mine = _inbound(ctx, ctx.extension)
    ctx.change(0, "ring", Change(remote, "Proceeding"), Change(mine, "Proceeding"))
    ctx.change(
        RING * 3, "to voicemail", Change(remote, "Answered"), Change(mine, "VoiceMail", missed_call=True)
    )
    ctx.change(
        VOICEMAIL,
        "message left",
        Change(remote, "Disconnected"),
        Change(mine, "Disconnected", missed_call=True),
    )
    return ctx.plan(session)


def inbound_flicker(ctx: ScenarioContext) -> Plan:
    session, remote, mine = _inbound(ctx, ctx.extension)
    engine = ctx.engine
    ctx.change(0, "ring", Change(remote, "Proceeding"), Change(mine, "Proceeding"))
    ctx.do(GAP, "presence flickers to NoCall", lambda: engine.set_flicker(mine, True))
    ctx.do(FLICKER, "presence back to Ringing", lambda: engine.set_flicker(mine, False))
    ctx.change(RING, "answer", Change(remote, "Answered"), Change(mine, "Answered"))
    _hang_up(ctx, TALK, remote, mine)
    return ctx.plan(session)


def _outbound(ctx: ScenarioContext) -> tuple[Session, Party, Party]:
    engine = ctx.engine
    session = engine.new_session()
    me = engine.endpoint(ctx.extension, direct=True)
    dialled = Endpoint(engine.rng.choice(_DIALLED))
    mine = engine.add_party(session, ctx.extension, "Outbound", me, dialled)
    remote = engine.add_party(session, None, "Inbound", me, dialled)
    ctx.change(0, "dial", Change(mine, "Setup"))
    ctx.change(DIAL, "far end rings", Change(mine, "Proceeding"), Change(remote, "Proceeding"))
    return session, remote, mine


def outbound_answered(ctx: ScenarioContext) -> Plan:
    session, remote, mine = _outbound(ctx)
    ctx.change(RING, "answered", Change(remote, "Answered"), Change(mine, "Answered"))
    _hang_up(ctx, TALK, mine, remote)
    return ctx.plan(session)


def outbound_unanswered(ctx: ScenarioContext) -> Plan:
    session, remote, mine = _outbound(ctx)
    ctx.change(
        RING * 3,
        "nobody answers",
        Change(mine, "Disconnected", reason="NoAnswer"),
        Change(remote, "Disconnected"),
    )
    return ctx.plan(session)


def hold_resume(ctx: ScenarioContext) -> Plan:
    session, remote, mine = _inbound(ctx, ctx.extension)
    _ring_answer(ctx, remote, mine)
    ctx.change(TALK / 2, "hold", Change(mine, "Hold"))
    ctx.change(HOLD, "resume", Change(mine, "Answered"))
    _hang_up(ctx, TALK / 2, mine, remote)
    return ctx.plan(session)


def park_pickup(ctx: ScenarioContext) -> Plan:
    engine = ctx.engine
    picker = ctx.other or ctx.extension
    session, remote, mine = _inbound(ctx, ctx.extension)
    park = Endpoint(f"*{PARK_LOCATION}", "Park Location")
    picked = engine.add_party(session, picker, "Inbound", remote.from_, park)
    _ring_answer(ctx, remote, mine)
    ctx.change(TALK / 2, "park", Change(mine, "Parked", park_id=PARK_LOCATION))
    ctx.change(
        PARKED, "pick up from park", Change(mine, "Disconnected", reason="Pickup"), Change(picked, "Answered")
    )
    _hang_up(ctx, TALK / 2, picked, remote)
    return ctx.plan(session)


def blind_transfer(ctx: ScenarioContext) -> Plan:
    engine = ctx.engine
    target = ctx.other_user("blind_transfer")
    session, remote, mine = _inbound(ctx, ctx.extension)
    moved = engine.new_session()
    target_end = engine.endpoint(target)
    remote2 = engine.add_party(moved, None, "Outbound", remote.from_, target_end)
    theirs = engine.add_party(moved, target, "Inbound", remote.from_, target_end)
    _ring_answer(ctx, remote, mine)
    ctx.change(
        TALK / 2,
        "blind transfer",
        Change(mine, "Gone", peer=theirs),
        Change(remote, "Gone", peer=remote2),
        Change(remote2, "Proceeding"),
        Change(theirs, "Proceeding"),
    )
    ctx.change(RING, "target answers", Change(remote2, "Answered"), Change(theirs, "Answered"))
    _hang_up(ctx, TALK, theirs, remote2)
    return ctx.plan(session)


def attended_transfer(ctx: ScenarioContext) -> Plan:
    engine = ctx.engine
    target = ctx.other_user("attended_transfer")
    session, remote, mine = _inbound(ctx, ctx.extension)
    consult = engine.new_session()
    me_ext = engine.endpoint(ctx.extension)
    target_end = engine.endpoint(target)
    my_consult = engine.add_party(consult, ctx.extension, "Outbound", me_ext, target_end)
    their_consult = engine.add_party(consult, target, "Inbound", me_ext, target_end)
    theirs = engine.add_party(session, target, "Inbound", remote.from_, target_end)
    _ring_answer(ctx, remote, mine)
    ctx.change(TALK / 2, "hold before consulting", Change(mine, "Hold"))
    ctx.change(GAP, "dial target", Change(my_consult, "Setup"))
    ctx.change(DIAL, "target rings", Change(my_consult, "Proceeding"), Change(their_consult, "Proceeding"))
    ctx.change(RING, "target answers", Change(my_consult, "Answered"), Change(their_consult, "Answered"))
    ctx.change(
        HOLD,
        "complete transfer",
        Change(theirs, "Answered"),
        Change(mine, "Gone", peer=theirs),
        Change(my_consult, "Disconnected", reason="AttendedTransfer"),
        Change(their_consult, "Gone", peer=theirs),
    )
    _hang_up(ctx, TALK, theirs, remote)
    return ctx.plan(session)


def concurrent_calls(ctx: ScenarioContext) -> Plan:
    first, remote1, mine1 = _inbound(ctx, ctx.extension)
    _second, remote2, mine2 = _inbound(ctx, ctx.extension)
    _ring_answer(ctx, remote1, mine1)
    ctx.change(TALK / 4, "second call rings", Change(remote2, "Proceeding"), Change(mine2, "Proceeding"))
    ctx.change(RING / 2, "first call on hold", Change(mine1, "Hold"))
    ctx.change(GAP, "second call answered", Change(remote2, "Answered"), Change(mine2, "Answered"))
    _hang_up(ctx, TALK / 2, remote2, mine2)
    ctx.change(GAP, "first call resumed", Change(mine1, "Answered"))
    _hang_up(ctx, TALK / 2, mine1, remote1)
    return ctx.plan(first)


def _queue_and_agents(ctx: ScenarioContext) -> tuple[Extension, list[Extension]]:
    account = ctx.engine.account
    users = [e for e in account.extensions.values() if e.type == "User" and e.status == "Enabled"]
    if ctx.extension.type == "Department":
        agents = [ctx.other] if ctx.other is not None else users[:3]
        if not agents:
            raise ValueError("scenario 'queue_call' needs at least one user extension as agent")
        return ctx.extension, agents
    queue = next((e for e in account.extensions.values() if e.type == "Department"), None)
    if queue is None:
        queue = account.add_extension("Support Queue", ext_type="Department")
    return queue, [ctx.extension, *ctx.other_users(2)]


def queue_call(ctx: ScenarioContext) -> Plan:
    engine = ctx.engine
    queue, agents = _queue_and_agents(ctx)
    session = engine.new_session()
    caller = ctx.caller()
    queue_end = engine.endpoint(queue, direct=True)
    remote = engine.add_party(session, None, "Outbound", caller, queue_end)
    rung = [engine.add_party(session, a, "Inbound", caller, queue_end, queue_call=True) for a in agents]
    ctx.change(
        0, "queue rings agents", Change(remote, "Proceeding"), *(Change(p, "Proceeding") for p in rung)
    )
    answering, *others = rung
    ctx.change(
        RING,
        "one agent answers",
        Change(remote, "Answered"),
        Change(answering, "Answered"),
        *(Change(p, "Disconnected", reason="Pickup", missed_call=False) for p in others),
    )
    _hang_up(ctx, TALK, answering, remote)
    return ctx.plan(session)


def internal_call(ctx: ScenarioContext) -> Plan:
    engine = ctx.engine
    callee = ctx.other_user("internal_call")
    session = engine.new_session()
    me = engine.endpoint(ctx.extension)
    them = engine.endpoint(callee)
    mine = engine.add_party(session, ctx.extension, "Outbound", me, them)
    theirs = engine.add_party(session, callee, "Inbound", me, them)
    ctx.change(0, "dial", Change(mine, "Setup"))
    ctx.change(DIAL, "callee rings", Change(mine, "Proceeding"), Change(theirs, "Proceeding"))
    ctx.change(RING, "callee answers", Change(mine, "Answered"), Change(theirs, "Answered"))
    _hang_up(ctx, TALK, mine, theirs)
    return ctx.plan(session)


def presence_change(ctx: ScenarioContext) -> Plan:
    engine, ext = ctx.engine, ctx.extension
    before = ext.user_status
    after = "Busy" if before != "Busy" else "Available"
    ctx.do(0, f"user status {after}", lambda: engine.set_presence(ext.id, user_status=after))
    ctx.do(STATUS, f"user status {before}", lambda: engine.set_presence(ext.id, user_status=before))
    return Plan(engine.next_run_id("presence"), ctx.steps)


def dnd_change(ctx: ScenarioContext) -> Plan:
    engine, ext = ctx.engine, ctx.extension
    before = ext.dnd_status
    after = "DoNotAcceptAnyCalls" if before != "DoNotAcceptAnyCalls" else "TakeAllCalls"
    ctx.do(0, f"DND {after}", lambda: engine.set_presence(ext.id, dnd_status=after))
    ctx.do(STATUS, f"DND {before}", lambda: engine.set_presence(ext.id, dnd_status=before))
    return Plan(engine.next_run_id("dnd"), ctx.steps)


SCENARIOS: dict[str, Callable[[ScenarioContext], Plan]] = {
    "inbound_answered": inbound_answered,
    "inbound_missed": inbound_missed,
    "inbound_voicemail": inbound_voicemail,
    "inbound_flicker": inbound_flicker,
    "outbound_answered": outbound_answered,
    "outbound_unanswered": outbound_unanswered,
    "hold_resume": hold_resume,
    "park_pickup": park_pickup,
    "blind_transfer": blind_transfer,
    "attended_transfer": attended_transfer,
    "concurrent_calls": concurrent_calls,
    "queue_call": queue_call,
    "internal_call": internal_call,
    "presence_change": presence_change,
    "dnd_change": dnd_change,
}

# What demo mode picks from: everything, weighted towards plain calls.
DEMO_SCENARIOS: list[str] = [*SCENARIOS, "inbound_answered", "inbound_answered", "outbound_answered"]

# Scenarios that need a second user extension.
NEEDS_SECOND_USER: frozenset[str] = frozenset({"internal_call", "blind_transfer", "attended_transfer"})


def _builder(scenario: Callable[[ScenarioContext], Plan]) -> ScenarioBuilder:
    return lambda engine, extension, other: scenario(ScenarioContext(engine, extension, other))


CATALOG = ScenarioCatalog(
    builders={name: _builder(scenario) for name, scenario in SCENARIOS.items()},
    demo=DEMO_SCENARIOS,
    needs_second_user=NEEDS_SECOND_USER,
)
