"""Snapshot reconciliation: a REST read (presence per extension, sessions per id) resets the baseline.

- It resets the baseline of the extensions whose presence it includes and of calls whose session it
  includes, but never regresses what a push applied after `begin_snapshot` changed (those fields and
  calls keep their pushed state; a presence that arrived before it and waited behind a gap, or is
  numbered below one that did, is older than the snapshot, though). A push that merely left a call
  out asserts nothing about it. If only telephony spoke of a listed call since the snapshot started,
  REST's listing is presence's newest word about it (the presences it supersedes are older), weighed
  against telephony's as any presence; a session read alive vouches for a pushed call too.
- Calls missing from the snapshot end (with the session's reason when given) unless their session
  says the party is alive (then hidden by presence, shown as telephony says); a call whose session
  could not be read is kept, presence leaving it out being only a hint of its end.
- Calls only in the snapshot appear, including a live party only its session lists. A listed call
  whose session says the party is on it stays shown through a later flicker, until telephony says more.
- A call's history moves on to the snapshot's phase (the steps in between fire); an extension the
  engine knew nothing about gets a silent baseline (calls in progress fire no start events).
- REST carries no sequence: after a snapshot set a call's phase, telephony is not known to be in
  order for it (presence leads it), and each stream starts afresh (`ordering.PresenceStream.reset`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..models import PARTY_VOICEMAIL, PARTY_VOICEMAIL_SCREENING, Party, Presence, TelephonySession
from . import lifecycle
from . import presence as presence_unit
from .arbitration import observe, release_held
from .calls import CallKey, TrackedCall, presence_key, telephony_live
from .context import Context, ExtensionRecord
from .phases import (
    EVENT_ANSWERED,
    EVENT_VOICEMAIL,
    VOICEMAIL,
    party_ended,
    phase_of_party,
    phase_of_presence,
    transition,
)
from .records import SnapshotToken
from .settlement import terminate
from .telephony import take_status


def apply_presence(
    ctx: Context,
    ext: ExtensionRecord,
    token: SnapshotToken,
    presence: Presence,
    *,
    sessions: Mapping[str, TelephonySession | None],
    now: datetime,
) -> None:
    """Reconcile one extension with its REST presence (and the sessions read with it)."""
    silent = not ext.known
    ext.known = True
    pushed = ext.p_op > token.op
    if not pushed:
        presence_unit.take_fields(ext, presence)
    after_token = ext.pstream.reset(token.op, pushed=pushed)
    ext.telephony.reset()
    for seq in sorted(after_token):
        presence_unit.push(ctx, ext, after_token[seq], now)
    if not presence.detailed:
        return
    listed: dict[CallKey, tuple[Any, str]] = {}
    for entry in presence.active_calls:
        key = presence_key(entry)
        phase = phase_of_presence(entry.telephony_status)
        if key is not None and phase is not None and not entry.intermediate:
            listed[key] = (entry, phase)
    for key, (entry, phase) in listed.items():
        if ext.is_ended(key):
            continue
        call = ext.calls.get(key)
        if call is not None and max(call.updated_op, call.omitted_op) > token.op:
            # A push after the snapshot started is newer (even one that left it out); what the
            # session says of the party still vouches for it through a flicker.
            call.t_session_live = call.t_session_live or _session_live(call, sessions.get(key[0]))
            if max(call.p_op, call.omitted_op) <= token.op and not (call.t_ended or call.p_final):
                # Only telephony spoke of it since: REST's listing is presence's newest word about
                # it (the presences it supersedes are older than the read), which arbitration weighs
                # against telephony's like any presence.
                call.fill_from_presence(entry)
                call.p_listed = True
                call.p_absent = 0
                call.p_hidden = False
                call.p_op = ctx.op
                observe(ctx, ext, call, phase, now, telephony=False)
            continue
        if call is None:
            call = ctx.new_call(ext, key, now)
            call.fill_from_presence(entry)
            quiet = silent or call.restored
            call.restored = False
            rebase(ctx, ext, call, phase, silent=quiet)
        else:
            call.fill_from_presence(entry)
            rebase(ctx, ext, call, phase)
        _vouch_from_session(call, sessions.get(key[0]))
        call.p_listed = True
        call.updated_op = ctx.op
    for key, call in list(ext.calls.items()):
        if key in listed:
            continue
        if call.updated_op > token.op:
            # Newer than the snapshot: kept as the push left it, but what the session says of the
            # party vouches for it through a flicker. (A push that merely left it out agrees with
            # the snapshot: not skipped.)
            call.t_session_live = call.t_session_live or _session_live(call, sessions.get(key[0]))
            continue
        if key[0] not in sessions:
            # Its session could not be read: presence leaving the call out is then only a hint
            # of its end (as from a push), not the end a missing session (404) is.
            if call.p_listed:
                call.omitted_op = ctx.op
                call.p_absent += 1
            continue
        session = sessions[key[0]]
        party = None if session is None else session.party(key[1])
        if _apply_party(ctx, ext, call, party):
            # Presence no longer lists it but the session says the party is alive. In voicemail:
            # over as far as presence goes (it ends with telephony's word, or after the settle
            # time). Live (a flicker): hidden by presence, still shown as telephony says.
            call.p_listed = True
            if telephony_live(call):
                call.p_hidden = True
            else:
                call.p_final = True
            continue
        release_held(ctx, ext, call)
        terminate(ctx, ext, call, now)


def apply_sessions(
    ctx: Context,
    token: SnapshotToken,
    presences: Mapping[str, Presence],
    sessions: Mapping[str, TelephonySession | None],
    now: datetime,
    *,
    unknown: set[str],
) -> None:
    """Sessions for extensions without a presence snapshot (telephony-only monitoring), and live
    parties the presence snapshot hides (a flicker: shown as telephony says)."""
    for tsid, session in sessions.items():
        for ext in list(ctx.exts.values()):
            if ext.id in presences:
                continue
            for key, call in list(ext.calls.items()):
                if key[0] != tsid or call.updated_op > token.op:
                    continue
                ctx.touch(ext)
                party = None if session is None else session.party(key[1])
                if not _apply_party(ctx, ext, call, party):
                    release_held(ctx, ext, call)
                    terminate(ctx, ext, call, now)
        if session is None:
            continue
        for party in session.parties:
            ext_id = party.extension_id
            if ext_id is None or party.status is None:
                continue
            phase = phase_of_party(party.status.code)
            hidden = ext_id in presences
            if hidden and phase == VOICEMAIL:
                continue  # not on the user's phone: nothing to show
            key = (tsid, party.id)
            owner = ctx.extension(ext_id)
            if owner is None or phase is None or key in owner.calls or owner.is_ended(key):
                continue
            ctx.touch(owner)
            silent = not owner.known or ext_id in unknown
            owner.known = True
            call = ctx.new_call(owner, key, now)
            call.fill_from_party(party, None, None)
            call.updated_op = ctx.op
            quiet = silent or call.restored
            call.restored = False
            rebase(ctx, owner, call, phase, silent=quiet)
            if hidden:
                call.view(True).phase = phase  # telephony vouches for it
                call.p_listed = True
                call.p_hidden = True


def rebase(
    ctx: Context, ext: ExtensionRecord, call: TrackedCall, phase: str, *, silent: bool = False
) -> None:
    """Fire the transition from what was shown to the snapshot's phase, then start afresh there.

    `silent`: a baseline, which announces nothing; but a call whose history was announced (by this
    engine or, across a restart, by the one before) moves on from where it stood."""
    if silent and call.announced == lifecycle.NEW:
        call.announced = lifecycle.baseline(call.announced, phase)
    else:
        for event_type in transition(call.inbound, call.phase, phase, call.answered):
            if event_type == EVENT_VOICEMAIL:
                if call.vm_emitted:
                    continue
                call.vm_emitted = True
            if event_type == EVENT_ANSWERED:
                call.answered = True
            ctx.emit(ext, call, event_type)
    call.rebase(phase)
    # REST carries no sequence: a telephony update that arrives next may have been sent before
    # these reads (reordered, delayed), so it is not known to be in order. Presence, which the
    # stream puts back in order, leads the call from here; telephony alone only where presence
    # is not subscribed or does not list the call.
    call.t_clean = False


def _vouch_from_session(call: TrackedCall, session: TelephonySession | None) -> None:
    """A listed call whose session says the party is on it: a later flicker (an intermediate
    NoCall) does not hide it, as the rebase forgot what telephony's notifications said. Only for
    that: presence leaving the call out later is newer news than this read."""
    call.t_session_live = _session_live(call, session)


def _session_live(call: TrackedCall, session: TelephonySession | None) -> bool:
    """Whether a REST session says the call's party is on it (not in voicemail)."""
    party = None if session is None else session.party(call.key[1])
    phase = None if party is None or party.status is None else phase_of_party(party.status.code)
    return phase is not None and phase != VOICEMAIL


def _apply_party(ctx: Context, ext: ExtensionRecord, call: TrackedCall, party: Party | None) -> bool:
    """Apply a REST session's party to a known call; False if the call is over for it."""
    if party is not None:
        take_status(call, party, None)
    status = None if party is None else party.status
    if status is None or party_ended(status.code):
        return False
    phase = phase_of_party(status.code)
    if phase is not None:
        if status.is_(PARTY_VOICEMAIL, PARTY_VOICEMAIL_SCREENING):
            call.vm_pending = True
        rebase(ctx, ext, call, phase)
        call.view(True).phase = phase  # telephony vouches for the call being alive
    call.updated_op = ctx.op
    return True
