"""Terminal settlement: exactly one end per call, once the subscribed sources agree it is over.

End signals, per source:

- telephony: the party is Disconnected or Gone (reason: `status.reason`, or "Gone");
- presence: it lists the call NoCall with `terminationType` final, leaves it out of two consecutive
  detailed presence events after one listed it (not only a snapshot: those may be older than its
  read), or leaves it out once while telephony says it ended. Presence leaving a
  call out while telephony's latest word is that the party is on it is no end signal (the flicker),
  but its explicit final NoCall is.

The terminal fires when every subscribed source agrees, or `settle_seconds` after the first signal
(so a lost notification of the other cannot keep a call alive); while the presence stream waits for a
gap it fires no earlier than that wait ends, as the held-back presences may tell the call's story.
Type: RingCentral's `missedCall` when known, else `missed` for an inbound call this party never
answered, else `ended`; `duration` is seconds from start to end. A call never shown ends silently,
unless an older telephony update arriving after its end says the party was on it: then only its
terminal fires, once the settle time has passed (even if that update comes after the silent end: the
last few are kept for it, `ExtensionRecord.silent`). Ended calls are remembered (`ExtensionRecord.ended`)
so late notifications cannot revive them.
"""

from __future__ import annotations

from datetime import datetime

from .calls import TrackedCall, shown, telephony_live
from .context import Context, ExtensionRecord
from .phases import EVENT_ENDED, EVENT_MISSED, EVENT_VOICEMAIL


def settle(ctx: Context, ext: ExtensionRecord, now: datetime) -> None:
    """Fire terminals that every expected source agrees on, or whose settle time passed."""
    signalled: list[TrackedCall] | None = None
    for call in ext.calls.values():
        if call.t_ended or call.p_final or (call.p_absent >= 1 and not telephony_live(call)):
            if signalled is None:
                signalled = [call]
            else:
                signalled.append(call)
        else:
            call.end_signal_at = None
    if signalled is None:
        return  # the usual case: no call has an end signal
    want_presence = ctx.expects(ext.id, telephony=False)
    want_telephony = ctx.expects(ext.id, telephony=True)
    # What the loop compares per call, once: no terminal changes the extension's streams.
    no_gap = ext.pstream.waiting_since is None
    numbering_whole = ext.telephony.missing is None
    settled_before = now - ctx.settle  # a signal at or before it has waited the settle time
    # (Terminating a call changes nothing another call's signal depends on.)
    for call in signalled:
        # Telephony vouching for a live call outweighs presence leaving it out, but not presence's
        # explicit NoCall (final): that starts the settle time even if telephony's end was lost.
        # Leaving out a call only a snapshot listed (REST carries no sequence) may be older than its
        # read: no agreement, only the settle time ends it.
        if call.end_signal_at is None:
            call.end_signal_at = now
            ctx.pending.add(ext.id)
        # A call never shown waits out the settle time: what arrives late may show it was a call.
        # Presence held back behind a gap may still tell the call's story (a reordered answer, or
        # its whole life after a snapshot): the settle time waits for the gap to fill or be given up.
        if no_gap and call.end_signal_at <= settled_before:
            terminate(ctx, ext, call, now)
            continue
        presence_over = (
            call.p_final or (call.p_absent >= 2 and call.p_heard) or (call.p_absent >= 1 and call.t_ended)
        )
        telephony_over = call.t_ended and numbering_whole
        agreed = (not want_presence or presence_over) and (not want_telephony or telephony_over)
        if agreed and shown(call):
            terminate(ctx, ext, call, now)


def terminate(ctx: Context, ext: ExtensionRecord, call: TrackedCall, now: datetime) -> None:
    """Fire the call's one terminal event and forget it (remembering that it ended)."""
    ext.calls.pop(call.key, None)
    ext.remember_ended(call.key)
    if not shown(call) and not call.t_alive_late:
        ext.remember_silent(call)  # never shown: it ends as silently as it came (for now)
        return
    if call.vm_pending and not call.vm_emitted:
        call.vm_emitted = True
        ctx.emit(ext, call, EVENT_VOICEMAIL)
    missed = call.t_missed if call.t_missed is not None else call.inbound and not call.answered
    ctx.emit(
        ext,
        call,
        EVENT_MISSED if missed else EVENT_ENDED,
        reason=call.t_reason,
        duration=round(call.duration(now), 3),
    )
