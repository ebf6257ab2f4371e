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
"""

from __future__ import annotations

from . import lifecycle
from .calls import SourceView, TrackedCall
from .context import Context, ExtensionRecord
from .phases import EVENT_ANSWERED, EVENT_VOICEMAIL, VOICEMAIL, answered_phase, transition


def observe(
    ctx: Context,
    ext: ExtensionRecord,
    call: TrackedCall,
    telephony: bool,
    phase: str,
    *,
    lead: bool = True,
) -> None:
    """One source shows `call` in `phase`: update its view and, if it may `lead`, fire what it adds."""
    if call.restored:
        # Announced before a restart, history unknown: where it is now is its baseline.
        call.restored = False
        if call.base_phase is None and call.phase is None and not call.emitted:
            call.rebase(phase)
            call.announced = lifecycle.baseline(call.announced, phase)
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
    fire_voicemail(ctx, ext, call)


def merge(ctx: Context, ext: ExtensionRecord, call: TrackedCall, view: SourceView, phase: str) -> None:
    """Fire the events `view` has beyond those already fired."""
    fired = call.emitted
    if len(view.events) <= len(fired):
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
