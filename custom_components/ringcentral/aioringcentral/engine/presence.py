"""Presence, one extension's notifications in `sequence` order: what each says about its calls.

A presence lists the extension's calls (`activeCalls`, the latest 7): a listed call is shown in its
phase (arbitration decides what fires); an entry marked `terminationType` intermediate hides the call
without ending it (the flicker, or an intermediate leg: not a call of its own); NoCall final ends it;
a call left out is only a hint of its end (see `settlement.py`), unless RingCentral says there are
more calls than listed. A final NoCall for a call not tracked yet is its end arriving first: kept as a
ghost in case telephony tells that it rang.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..models import TELEPHONY_NO_CALL, Presence, status_is
from . import ordering
from .arbitration import observe
from .calls import CallKey, presence_key
from .context import Context, ExtensionRecord
from .phases import phase_of_presence, snake
from .settlement import settle


def push(ctx: Context, ext: ExtensionRecord, presence: Presence, now: datetime) -> None:
    """Apply a presence in `sequence` order on the extension's stream."""
    if presence.sequence is None:
        apply(ctx, ext, presence, now)
        return
    stream = ext.pstream
    verdict = stream.offer(presence.sequence, presence, ctx.op, now)
    if verdict == ordering.APPLY:
        if stream.buffer is None and stream.waiting_since is None:
            apply(ctx, ext, presence, now)  # nothing held back: no age to take, nothing to drain
            return
        apply(ctx, ext, presence, now, received=stream.age(presence.sequence, ctx.op))
        for held, received in stream.drain(now):
            apply(ctx, ext, held, now, received=received)
    elif verdict != ordering.STALE:
        ctx.pending.add(ext.id)
        if verdict == ordering.OVERFLOW:
            give_up(ctx, ext, now)


def give_up(ctx: Context, ext: ExtensionRecord, now: datetime) -> None:
    """Give up on a gap: apply what is buffered in order and stop waiting on this stream.

    The missing notifications are lost (even right after a snapshot: they may have been sent after
    it): the update says so, so the caller re-reads the extension.
    """
    ctx.lose(ext)
    for held, received in ext.pstream.give_up():
        apply(ctx, ext, held, now, received=received)


def apply(
    ctx: Context, ext: ExtensionRecord, presence: Presence, now: datetime, *, received: int | None = None
) -> None:
    """Apply one presence in stream order; `received`: its age (`ordering.PresenceStream.age`), if
    not the operation under way. What it says is that old: one that arrived before a snapshot
    started (or is numbered below one that did) is older than the snapshot's REST reads, even if a
    gap held it back until after."""
    op = ctx.op if received is None else received
    ext.known = True
    ext.p_op = max(ext.p_op, op)
    take_fields(ext, presence)
    if not presence.detailed:
        return
    calls = ext.calls
    live: dict[CallKey, tuple[Any, str]] = {}
    present: set[CallKey] = set()
    finals: dict[CallKey, Any] = {}
    for entry in presence.active_calls:
        key = presence_key(entry)
        if key is None:
            continue
        if entry.termination_type is not None and entry.intermediate:
            # A flicker, or an intermediate leg: not a call of its own and not the end of one.
            present.add(key)
            if key in calls:
                calls[key].p_hidden = True
            continue
        phase = phase_of_presence(entry.telephony_status)
        if phase is not None:
            live[key] = (entry, phase)
        elif status_is(entry.telephony_status, TELEPHONY_NO_CALL):
            if status_is(entry.termination_type, "final"):
                finals[key] = entry
        else:
            present.add(key)  # an unknown status: keep the call as it is
    listed = 0  # live entries with a call
    for key, (entry, phase) in live.items():
        call = calls.get(key)
        if call is None:
            if ext.is_ended(key):
                continue
            call = ctx.new_call(ext, key, now)
        listed += 1
        call.fill_from_presence(entry)
        call.p_listed = True
        call.p_heard = True
        call.p_absent = 0
        call.p_hidden = False
        call.p_final = False
        call.t_wait_since = None
        call.updated_op = max(call.updated_op, op)
        call.p_op = max(call.p_op, op)
        observe(ctx, ext, call, phase, now, telephony=False)
    for key, entry in finals.items():
        if key in calls or ext.is_ended(key):
            continue
        if ctx.expects(ext.id, telephony=True):
            # Its end came first (a reordering): telephony may still tell that it rang.
            ghost = ctx.new_call(ext, key, now)
            ghost.fill_from_presence(entry)
            ghost.p_final = True
            ghost.updated_op = ctx.op
        else:
            ext.remember_ended(key)
    if len(calls) == listed:
        settle(ctx, ext, now)  # every call is listed (the usual case): none is left out
        return
    # RingCentral lists only the latest 7 calls: when it says there are more, a missing call
    # may just have dropped off the list.
    truncated = (presence.total_active_calls or 0) > len(live)
    for key, call in calls.items():
        if key in live or key in present:
            continue
        if key in finals:
            # An explicit end, even of a call only telephony had shown so far (presence's own
            # listing of it may have been lost).
            call.updated_op = max(call.updated_op, op)
            call.p_op = max(call.p_op, op)
            call.p_final = True
        elif call.p_listed and not truncated:
            # Only a hint of the end: it does not outweigh a snapshot that also finds the call
            # gone, so it does not count as an update (`updated_op`, see `snapshot.py`).
            call.omitted_op = max(call.omitted_op, op)
            call.p_absent += 1
    settle(ctx, ext, now)


def take_fields(ext: ExtensionRecord, presence: Presence) -> None:
    """The extension-level fields a presence carries (statuses), where it carries them."""
    if presence.telephony_status is not None:
        ext.telephony_status = snake(presence.telephony_status)
    if presence.presence_status is not None:
        ext.presence_status = snake(presence.presence_status)
    if presence.user_status is not None:
        ext.user_status = snake(presence.user_status)
    if presence.dnd_status is not None:
        ext.dnd_status = snake(presence.dnd_status)
    if presence.meeting_status is not None:
        ext.meeting_status = snake(presence.meeting_status)
    ext.detailed = presence.detailed
