"""Call scenarios in which a call passes from one extension to another: park, transfers, call queues.

Semantics where RingCentral's docs leave room (our choices; the other scenarios' are in `scenarios.py`):
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
"""

from __future__ import annotations

from .call_model import Change, Endpoint, Plan
from .model import Extension
from .scenario_context import (
    DIAL,
    GAP,
    HOLD,
    PARKED,
    RING,
    TALK,
    ScenarioContext,
    hang_up,
    inbound,
    ring_answer,
)

PARK_LOCATION = "801"


def park_pickup(ctx: ScenarioContext) -> Plan:
    engine = ctx.engine
    picker = ctx.other or ctx.extension
    session, remote, mine = inbound(ctx, ctx.extension)
    park = Endpoint(f"*{PARK_LOCATION}", "Park Location")
    picked = engine.add_party(session, picker, "Inbound", remote.from_, park)
    ring_answer(ctx, remote, mine)
    ctx.change(TALK / 2, "park", Change(mine, "Parked", park_id=PARK_LOCATION))
    ctx.change(
        PARKED, "pick up from park", Change(mine, "Disconnected", reason="Pickup"), Change(picked, "Answered")
    )
    hang_up(ctx, TALK / 2, picked, remote)
    return ctx.plan(session)


def blind_transfer(ctx: ScenarioContext) -> Plan:
    engine = ctx.engine
    target = ctx.other_user("blind_transfer")
    session, remote, mine = inbound(ctx, ctx.extension)
    moved = engine.new_session()
    target_end = engine.endpoint(target)
    remote2 = engine.add_party(moved, None, "Outbound", remote.from_, target_end)
    theirs = engine.add_party(moved, target, "Inbound", remote.from_, target_end)
    ring_answer(ctx, remote, mine)
    ctx.change(
        TALK / 2,
        "blind transfer",
        Change(mine, "Gone", peer=theirs),
        Change(remote, "Gone", peer=remote2),
        Change(remote2, "Proceeding"),
        Change(theirs, "Proceeding"),
    )
    ctx.change(RING, "target answers", Change(remote2, "Answered"), Change(theirs, "Answered"))
    hang_up(ctx, TALK, theirs, remote2)
    return ctx.plan(session)


def attended_transfer(ctx: ScenarioContext) -> Plan:
    engine = ctx.engine
    target = ctx.other_user("attended_transfer")
    session, remote, mine = inbound(ctx, ctx.extension)
    consult = engine.new_session()
    me_ext = engine.endpoint(ctx.extension)
    target_end = engine.endpoint(target)
    my_consult = engine.add_party(consult, ctx.extension, "Outbound", me_ext, target_end)
    their_consult = engine.add_party(consult, target, "Inbound", me_ext, target_end)
    theirs = engine.add_party(session, target, "Inbound", remote.from_, target_end)
    ring_answer(ctx, remote, mine)
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
    hang_up(ctx, TALK, theirs, remote)
    return ctx.plan(session)


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
    hang_up(ctx, TALK, answering, remote)
    return ctx.plan(session)
