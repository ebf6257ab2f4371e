"""Call scenarios: scripted sequences of party state changes, as RingCentral reports them.

Each builder lays out the sessions and parties of one scenario up front (so the telephonySessionId
is known when it starts) and returns its steps; `CallEngine` runs them on a timer or one by one.
Delays are simulated seconds, divided by the run's speed.

Semantics where RingCentral's docs leave room (our choices; those of calls handed from one extension to
another, park, transfers and call queues, are in `scenarios_handover.py`):
- Inbound calls ring as `Proceeding` (no `Setup`); outbound go `Setup` → `Proceeding` → `Answered`.
- A caller who gives up: `Disconnected`, `missedCall` true, reason `Cancelled`. Voicemail: `VoiceMail`
  (missedCall true), later `Disconnected`. An unanswered outbound call: `Disconnected`, reason `NoAnswer`.
- `inbound_flicker`: a ringing call shows NoCall in presence for a moment (`terminationType`
  "intermediate") and then Ringing again, while telephony stays `Proceeding`: a quirk users report.
- DND `DoNotAcceptAnyCalls` sends a scenario's new inbound call straight to voicemail, and the
  scenario stops there, its other calls hung up (`call_actions.py`); call-queue calls are not
  diverted.
"""

from __future__ import annotations

from collections.abc import Callable

from .call_model import Change, Plan
from .calls import ScenarioBuilder, ScenarioCatalog
from .scenario_context import (
    DIAL,
    FLICKER,
    GAP,
    HOLD,
    RING,
    STATUS,
    TALK,
    VOICEMAIL,
    ScenarioContext,
    hang_up,
    inbound,
    outbound,
    ring_answer,
)
from .scenarios_handover import attended_transfer, blind_transfer, park_pickup, queue_call


def inbound_answered(ctx: ScenarioContext) -> Plan:
    session, remote, mine = inbound(ctx, ctx.extension)
    ring_answer(ctx, remote, mine)
    hang_up(ctx, TALK, remote, mine)
    return ctx.plan(session)


def inbound_missed(ctx: ScenarioContext) -> Plan:
    session, remote, mine = inbound(ctx, ctx.extension)
    ctx.change(0, "ring", Change(remote, "Proceeding"), Change(mine, "Proceeding"))
    ctx.change(
        RING * 2,
        "caller gives up",
        Change(remote, "Disconnected"),
        Change(mine, "Disconnected", reason="Cancelled", missed_call=True),
    )
    return ctx.plan(session)


def inbound_voicemail(ctx: ScenarioContext) -> Plan:
    session, remote, mine = inbound(ctx, ctx.extension)
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
    session, remote, mine = inbound(ctx, ctx.extension)
    engine = ctx.engine
    ctx.change(0, "ring", Change(remote, "Proceeding"), Change(mine, "Proceeding"))
    ctx.do(GAP, "presence flickers to NoCall", lambda: engine.set_flicker(mine, True))
    ctx.do(FLICKER, "presence back to Ringing", lambda: engine.set_flicker(mine, False))
    ctx.change(RING, "answer", Change(remote, "Answered"), Change(mine, "Answered"))
    hang_up(ctx, TALK, remote, mine)
    return ctx.plan(session)


def outbound_answered(ctx: ScenarioContext) -> Plan:
    session, remote, mine = outbound(ctx)
    ctx.change(RING, "answered", Change(remote, "Answered"), Change(mine, "Answered"))
    hang_up(ctx, TALK, mine, remote)
    return ctx.plan(session)


def outbound_unanswered(ctx: ScenarioContext) -> Plan:
    session, remote, mine = outbound(ctx)
    ctx.change(
        RING * 3,
        "nobody answers",
        Change(mine, "Disconnected", reason="NoAnswer"),
        Change(remote, "Disconnected"),
    )
    return ctx.plan(session)


def hold_resume(ctx: ScenarioContext) -> Plan:
    session, remote, mine = inbound(ctx, ctx.extension)
    ring_answer(ctx, remote, mine)
    ctx.change(TALK / 2, "hold", Change(mine, "Hold"))
    ctx.change(HOLD, "resume", Change(mine, "Answered"))
    hang_up(ctx, TALK / 2, mine, remote)
    return ctx.plan(session)


def concurrent_calls(ctx: ScenarioContext) -> Plan:
    first, remote1, mine1 = inbound(ctx, ctx.extension)
    _second, remote2, mine2 = inbound(ctx, ctx.extension)
    ring_answer(ctx, remote1, mine1)
    ctx.change(TALK / 4, "second call rings", Change(remote2, "Proceeding"), Change(mine2, "Proceeding"))
    ctx.change(RING / 2, "first call on hold", Change(mine1, "Hold"))
    ctx.change(GAP, "second call answered", Change(remote2, "Answered"), Change(mine2, "Answered"))
    hang_up(ctx, TALK / 2, remote2, mine2)
    ctx.change(GAP, "first call resumed", Change(mine1, "Answered"))
    hang_up(ctx, TALK / 2, mine1, remote1)
    return ctx.plan(first)


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
    hang_up(ctx, TALK, mine, theirs)
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
