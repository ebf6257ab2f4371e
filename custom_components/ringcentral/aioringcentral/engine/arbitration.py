"""Arbitration between the two sources: which one's view of a call fires its events.

Both sources map to the phase alphabet and keep their own view of the call (its phase and the events
their in-order observations imply since the call's base). Events fire when the leading view's event
list grows past what was already fired; whichever leading source is ahead fires, the other only
confirms. Hold/Answered are not regressions: each change is an on_hold/resumed pair, in the order of
the source's sequence.

Presence leads where it is subscribed: its `sequence` is per extension, so `ordering.py` puts it back
in order. Telephony sequences are only comparable per party, so telephony alone cannot restore order
across a reordering; it adds what presence cannot know (voicemail, the terminal reason and
`missedCall`, whether a call missing from presence is still alive) and leads:

- where presence is not subscribed, or for a call presence has not listed within the settle time;
- while it is in order: the extension's telephony numbering shows no gap and every update of the call
  arrived in order, so its view is the call's history (`t_clean`). Not after a snapshot set the
  call's phase: REST carries no sequence, so a telephony update arriving next may predate the read.

Histories can miss steps (lost notifications): two sources that met the call at different points
compare by how far each has come (`progress`). And when every subscribed source's latest word agrees
on a phase other than the one shown for the settle time, the call moves there (`reconcile`): the
last words of the sources are the truth, whatever steps their histories missed.
"""

from __future__ import annotations

from datetime import datetime

from . import lifecycle
from .calls import SourceView, TrackedCall
from .context import Context, ExtensionRecord
from .phases import (
    ALERTING,
    EVENT_ANSWERED,
    EVENT_ON_HOLD,
    EVENT_PARKED,
    EVENT_VOICEMAIL,
    VOICEMAIL,
    answered_phase,
    transition,
)

# A history that begins mid-call (its source met the call connected, held, parked or in voicemail)
# leaves out the steps before: how many (the start, and the answer before a hold or park).
_UNSEEN_BEFORE = {EVENT_ANSWERED: 1, EVENT_VOICEMAIL: 1, EVENT_ON_HOLD: 2, EVENT_PARKED: 2}


def observe(
    ctx: Context,
    ext: ExtensionRecord,
    call: TrackedCall,
    phase: str,
    now: datetime,
    *,
    telephony: bool,
    lead: bool = True,
) -> None:
    """One source shows `call` in `phase`: update its view and, if it may `lead`, fire what it adds."""
    if call.restored:
        # Announced before a restart, history unknown: where it is now is its baseline.
        call.restored = False
        if call.base_phase is None and call.phase is None and not call.emitted:
            call.rebase(phase)
            call.announced = lifecycle.baseline(call.announced, phase)
    view = call.telephony if telephony else call.presence
    if view is None:
        view = call.view(telephony)
    old = view.phase if view.phase is not None else call.base_phase
    if phase != old:
        events = transition(call.inbound, old, phase, view.answered)
        view.answered = view.answered or EVENT_ANSWERED in events or answered_phase(phase)
        view.events.extend(events)
    view.phase = phase
    if telephony and phase == VOICEMAIL:
        call.vm_pending = True
    if lead:
        merge(ctx, ext, call, view, phase)
    if call.vm_pending and not call.vm_emitted:
        fire_voicemail(ctx, ext, call)
    watch_agreement(ctx, ext, call, now)


def merge(ctx: Context, ext: ExtensionRecord, call: TrackedCall, view: SourceView, phase: str) -> None:
    """Fire the events `view` has beyond those already fired."""
    fired = call.emitted
    if progress(view.events) <= progress(fired):
        return
    if view.events[: len(fired)] == fired:
        new = view.events[len(fired) :]
        call.emitted = list(view.events)
    else:
        # The sources disagree about the past (a lost notification): move on from what was fired.
        new = list(transition(call.inbound, call.phase, phase, call.answered))
        call.emitted = fired + new
    call.phase = phase
    for event_type in new:
        if event_type == EVENT_VOICEMAIL:
            if call.vm_emitted:
                continue
            call.vm_emitted = True
        if event_type == EVENT_ANSWERED:
            call.answered = True
        ctx.emit(ext, call, event_type)
    call.answered = call.answered or answered_phase(phase)


def progress(events: list[str]) -> int:
    """How far a history of events since the call's base has come, counting the steps a history
    that began mid-call did not see: two sources that met the call at different points compare by
    where they are, not by how much each saw (a presence that first saw the call connected is ahead
    of a telephony that saw it ring)."""
    return len(events) + (_UNSEEN_BEFORE.get(events[0], 0) if events else 0)


def fire_voicemail(ctx: Context, ext: ExtensionRecord, call: TrackedCall) -> None:
    """Fire `voicemail` once telephony reported it and the call's start has been fired."""
    if call.vm_pending and not call.vm_emitted and (call.emitted or call.base_phase is not None):
        call.vm_emitted = True
        call.emitted = [*call.emitted, EVENT_VOICEMAIL]
        call.phase = VOICEMAIL
        ctx.emit(ext, call, EVENT_VOICEMAIL)


def hand_to_telephony(ctx: Context, ext: ExtensionRecord, call: TrackedCall) -> None:
    """Presence did not list the call within the settle time: telephony leads it from now on."""
    call.t_wait_since = None
    call.t_leads = True
    if call.telephony is not None and call.telephony.phase is not None:
        merge(ctx, ext, call, call.telephony, call.telephony.phase)


def release_held(ctx: Context, ext: ExtensionRecord, call: TrackedCall) -> None:
    """The call ends while telephony's view waits for presence to list it (`t_wait_since`): that view
    is its story, handed over now as the settle time would have (else a call telephony saw ringing or
    in voicemail would end as silently as one never seen)."""
    if call.t_wait_since is not None:
        hand_to_telephony(ctx, ext, call)


def agreed_phase(ctx: Context, ext: ExtensionRecord, call: TrackedCall) -> str | None:
    """The phase every subscribed source's latest word shows the call in, if they agree on one it
    can move to (not ringing: a call never goes back to it; not voicemail: presence cannot show it)."""
    want_presence = ctx.expects(ext.id, telephony=False)
    want_telephony = ctx.expects(ext.id, telephony=True)
    presence = None if call.presence is None else call.presence.phase
    telephony = None if call.telephony is None else call.telephony.phase
    if want_presence and want_telephony:
        if presence != telephony:
            return None
        phase = presence
    elif want_presence:
        phase = presence
    elif want_telephony:
        phase = telephony
    else:
        return None
    return None if phase in (None, ALERTING, VOICEMAIL) else phase


def watch_agreement(ctx: Context, ext: ExtensionRecord, call: TrackedCall, now: datetime) -> None:
    """Start (or stop) the wait after which the sources' agreed phase wins over the one shown."""
    if call.t_ended or call.p_final:
        call.disagree_since = None
        return
    target = agreed_phase(ctx, ext, call)
    if target is None or target == call.phase:
        call.disagree_since = None
    elif call.disagree_since is None:
        call.disagree_since = now
        ctx.pending.add(ext.id)


def reconcile(ctx: Context, ext: ExtensionRecord, call: TrackedCall) -> None:
    """The sources agreed on a phase other than the one shown for the settle time: move there, firing
    the steps from what was shown, and count both histories from there."""
    call.disagree_since = None
    target = agreed_phase(ctx, ext, call)
    if target is None or target == call.phase or call.t_ended or call.p_final:
        return
    for event_type in transition(call.inbound, call.phase, target, call.answered):
        if event_type == EVENT_ANSWERED:
            call.answered = True
        ctx.emit(ext, call, event_type)
    call.answered = call.answered or answered_phase(target)
    call.base_phase = call.phase = target
    call.base_answered = call.answered
    call.emitted = []
    for view in (call.presence, call.telephony):
        if view is not None:
            view.events = []
            view.answered = call.answered
