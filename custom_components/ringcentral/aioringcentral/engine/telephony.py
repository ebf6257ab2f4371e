"""Telephony: what a session event says about each party of a monitored extension.

A party update older than the party's last (`ordering.party_in_order`) says nothing about its phase;
voicemail stays a fact, and for a call whose end arrived first it shows the party was on the call.
The same update again (a replay) says nothing at all, and is no sign of disorder.
An in-order one records the terminal facts (reason, `missedCall`, end time) and shows the call in its
phase, leading as `arbitration.py` decides: at once when in order, else after presence had the settle
time to list the call, or at once where presence is not subscribed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from ..models import PARTY_GONE, PARTY_VOICEMAIL, PARTY_VOICEMAIL_SCREENING, Party, TelephonySessionEvent
from .arbitration import fire_voicemail, observe
from .calls import CallKey, TrackedCall, shown
from .context import Context, ExtensionRecord
from .ordering import party_in_order
from .phases import answered_phase, party_ended, phase_of_party
from .settlement import settle


def apply(ctx: Context, event: TelephonySessionEvent, now: datetime) -> None:
    """Apply a session event: each monitored extension takes its parties."""
    parties = event.parties
    if len(parties) == 1:
        # The usual event (one party's update): no grouping needed.
        ext_id = parties[0].extension_id
        if ext_id is not None:
            apply_extension(ctx, event, ext_id, parties, now)
        return
    by_ext: dict[str, list[Party]] = {}
    for party in parties:
        if party.extension_id is not None:
            by_ext.setdefault(party.extension_id, []).append(party)
    for ext_id, own in by_ext.items():
        apply_extension(ctx, event, ext_id, own, now)


def apply_extension(
    ctx: Context, event: TelephonySessionEvent, ext_id: str, parties: Sequence[Party], now: datetime
) -> None:
    """One extension takes its parties of a session event (if it is monitored)."""
    ext = ctx.extension(ext_id)
    if ext is None:
        return
    ctx.touch(ext)
    ext.known = True
    if ext.telephony.track(event.sequence, now):
        ctx.pending.add(ext.id)
    # No gap below this one in the extension's numbering: telephony may lead.
    in_order = ext.telephony.in_order(event.sequence)
    for party in parties:
        apply_party(ctx, ext, event, party, now, in_order=in_order)
    settle(ctx, ext, now)


def apply_party(
    ctx: Context,
    ext: ExtensionRecord,
    event: TelephonySessionEvent,
    party: Party,
    now: datetime,
    *,
    in_order: bool,
) -> None:
    key = (event.telephony_session_id, party.id)
    code = None if party.status is None else party.status.code
    phase = phase_of_party(code)
    call = ext.calls.get(key)
    if call is None and ext.ended is not None and ext.is_ended(key):
        if phase is not None:
            revive(ctx, ext, key, event, party)
        return
    if call is None:
        ended = party_ended(code)
        if ended and not ctx.expects(ext.id, telephony=False):
            ext.remember_ended(key)  # ended before we saw it: late news must not revive it
            return
        if phase is None and not ended:
            return
        # (Ended but presence is subscribed: presence may still show the call's life; keep the
        # telephony facts for when it does.)
        call = ctx.new_call(ext, key, now)
    if event.sequence is not None and event.sequence == call.t_seq:
        return  # the same update again (a replay): nothing new, and no sign of disorder
    if not party_in_order(call.t_seq, event.sequence):
        # Out of date for the phase, but voicemail is a fact that stays true.
        call.t_clean = False
        status = party.status
        if status is not None and status.is_(PARTY_VOICEMAIL, PARTY_VOICEMAIL_SCREENING):
            call.vm_pending = True
            fire_voicemail(ctx, ext, call)
        late_life(call, event, party)
        return
    if event.sequence is not None:
        call.t_seq = event.sequence
    call.t_session_live = False  # telephony's own, newer word
    call.fill_from_party(party, event.session_id, event.event_time)
    call.updated_op = ctx.op
    take_status(call, party, event.event_time)
    if not in_order:
        call.t_clean = False
    if phase is not None and call.p_final and not shown(call):
        late_life(call, event, party)  # presence said it is over before this arrived
    elif phase is not None and not call.t_ended:
        lead = call.t_leads or call.t_clean
        if not lead and not ctx.expects(ext.id, telephony=False):
            call.t_leads = lead = True  # no presence to lead (a snapshot's REST presence does not)
        elif not lead and not call.p_listed and call.t_wait_since is None:
            call.t_wait_since = now  # presence should list it soon; else telephony takes over
            ctx.pending.add(ext.id)
        observe(ctx, ext, call, phase, now, telephony=True, lead=lead)


def take_status(call: TrackedCall, party: Party, event_time: datetime | None) -> None:
    """Record what a party status says about the call's end (reason, missedCall)."""
    status = party.status
    if status is None:
        return
    if party_ended(status.code):
        call.t_ended = True
        call.t_reason = status.reason or ("Gone" if status.is_(PARTY_GONE) else None)
        call.t_end_time = event_time
        if party.missed_call is not None:
            call.t_missed = party.missed_call
    elif status.is_(PARTY_VOICEMAIL, PARTY_VOICEMAIL_SCREENING) and party.missed_call is not None:
        call.t_missed = party.missed_call


def late_life(call: TrackedCall, event: TelephonySessionEvent, party: Party) -> None:
    """A telephony update older than the call's end, for a call never shown (its end arrived
    first): the party was on the call, so its end is a call's end, not a non-event."""
    phase = None if party.status is None else phase_of_party(party.status.code)
    if phase is None or shown(call) or not (call.t_ended or call.p_final):
        return
    call.t_alive_late = True
    call.answered = call.answered or answered_phase(phase)
    call.fill_from_party(party, event.session_id, None)
    when = event.event_time
    if when is not None and (call.t_first_time is None or when < call.t_first_time):
        call.t_first_time = when


def revive(
    ctx: Context, ext: ExtensionRecord, key: CallKey, event: TelephonySessionEvent, party: Party
) -> None:
    """A live party update for a call that ended silently, never shown (its end came first and a
    snapshot found it gone before its life arrived): the party was on the call after all. It is
    tracked again, over, and only its terminal fires, once the settle time has passed (as for a
    late update that arrives before the end is settled)."""
    silent = ext.silent
    call = None if silent is None else silent.pop(key, None)
    if call is None:
        return
    ext.calls[key] = call
    if not call.p_final:
        call.t_ended = True  # it is over whatever the sources said of it
    call.end_signal_at = None  # the settle time starts afresh: the rest of its story may follow
    ctx.pending.add(ext.id)
    late_life(call, event, party)
