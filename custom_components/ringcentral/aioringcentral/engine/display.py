"""What the sensor shows: each visible call's status, and the extension's aggregate.

Visibility follows presence where it is subscribed (it is what RingCentral shows as the user's calls),
except that presence hiding a call (an intermediate NoCall, or leaving it out) does not hide it while
telephony's latest word is that the party is still on it: so the sensor does not flicker while
telephony rings on (the Ringing -> NoCall -> Ringing flicker, platform facts section 6). NoCall final,
or telephony's end, hides it at once. With presence alone the flicker shows, as RingCentral shows it.

The aggregate follows `STATUS_PRECEDENCE`; a presence without a call list contributes its own
telephonyStatus.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from .calls import TrackedCall, telephony_live
from .phases import STATUS_NO_CALL, STATUS_OF_PHASE, STATUS_PRECEDENCE, aggregate
from .records import CallState, ExtensionState

if TYPE_CHECKING:
    from .context import ExtensionRecord


def compute_state(ext: ExtensionRecord, previous: ExtensionState | None = None) -> ExtensionState:
    """The extension's state computed afresh (the engine caches it).

    Each call keeps the `CallState` it was last shown as (`TrackedCall.shown`), reused while every
    field it was built from is the very same object; and `previous` (the extension's state before) is
    returned itself when nothing in it would differ. So an unchanged state is the same object, which
    the engine's change check compares by identity first.
    """
    visible: list[tuple[TrackedCall, str]] = []
    for call in ext.calls.values():
        # Whether the call is on the user's phone, and as what (inline: this runs for every call of
        # every touched extension).
        if call.t_ended or call.p_final or call.phase is None:
            continue  # over (calls wait here for the settle time), or never shown
        if call.p_absent or call.p_hidden:
            live = telephony_live(call)
            if (call.p_absent and not live) or (call.p_hidden and not (live or call.t_session_live)):
                continue  # presence hides it, and telephony does not say it is still on
        status = STATUS_OF_PHASE.get(call.phase)
        if status is not None:
            visible.append((call, status))
    states: tuple[CallState, ...]
    telephony_status: str | None = None
    if not visible:
        states = ()
        if ext.known:
            telephony_status = STATUS_NO_CALL
    elif len(visible) == 1:
        states = (_call_state(*visible[0]),)
        telephony_status = states[0].status  # (every call status is one of `STATUS_PRECEDENCE`)
    else:
        visible.sort(key=_call_order)
        states = tuple([_call_state(call, status) for call, status in visible])
        telephony_status = aggregate([state.status for state in states])
    if telephony_status is not None and ext.telephony_status in STATUS_PRECEDENCE and not ext.detailed:
        # A presence without a call list still knows the aggregate.
        telephony_status = min((telephony_status, ext.telephony_status), key=STATUS_PRECEDENCE.index)
    if (
        previous is not None
        and previous.telephony_status is telephony_status
        and previous.presence_status is ext.presence_status
        and previous.user_status is ext.user_status
        and previous.dnd_status is ext.dnd_status
        and previous.meeting_status is ext.meeting_status
        and previous.extension_id is ext.id
        and (previous.calls is states or _same(previous.calls, states))
    ):
        return previous
    return ExtensionState(
        extension_id=ext.id,
        telephony_status=telephony_status,
        presence_status=ext.presence_status,
        user_status=ext.user_status,
        dnd_status=ext.dnd_status,
        meeting_status=ext.meeting_status,
        calls=states,
    )


def _same(old: tuple[CallState, ...], new: tuple[CallState, ...]) -> bool:
    """Whether both list the very same `CallState` objects."""
    if len(old) != len(new):
        return False
    if len(new) == 1:
        return old[0] is new[0]
    return all(a is b for a, b in zip(old, new, strict=True))


def _call_order(item: tuple[TrackedCall, str]) -> tuple[datetime, int]:
    """Calls are listed by start time (first seen if unknown), then by when the engine met them."""
    call = item[0]
    return (call.start_time or call.first_seen, call.order)


def _call_state(call: TrackedCall, status: str) -> CallState:
    shown = call.shown
    if (
        shown is not None
        and shown.status is status
        and shown.session_id is call.session_id
        and shown.direction is call.direction
        and shown.from_number is call.from_number
        and shown.from_name is call.from_name
        and shown.to_number is call.to_number
        and shown.to_name is call.to_name
        and shown.start_time is call.start_time
        and shown.queue_call is call.queue_call
    ):
        return shown
    shown = call.shown = CallState(
        telephony_session_id=call.key[0],
        party_id=call.key[1],
        session_id=call.session_id,
        direction=call.direction,
        status=status,
        from_number=call.from_number,
        from_name=call.from_name,
        to_number=call.to_number,
        to_name=call.to_name,
        start_time=call.start_time,
        queue_call=call.queue_call,
    )
    return shown
