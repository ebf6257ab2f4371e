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
from .phases import STATUS_PRECEDENCE, aggregate, status_of_phase
from .records import CallState, ExtensionState

if TYPE_CHECKING:
    from .context import ExtensionRecord


def visible_status(call: TrackedCall) -> str | None:
    """The call's sensor status, or None while it is not on the user's phone."""
    if call.t_ended or call.p_final:
        return None
    live = telephony_live(call)
    if (call.p_absent and not live) or (call.p_hidden and not (live or call.t_session_live)):
        return None  # presence hides it, and telephony does not say it is still on
    return status_of_phase(call.phase)


def compute_state(ext: ExtensionRecord) -> ExtensionState:
    """The extension's state computed afresh (the engine caches it)."""
    visible: list[tuple[TrackedCall, str]] = []
    for call in ext.calls.values():
        status = visible_status(call)
        if status is not None:
            visible.append((call, status))
    if len(visible) > 1:
        visible.sort(key=_call_order)
    states = tuple(_call_state(call, status) for call, status in visible)
    telephony_status: str | None = None
    if ext.known or states:
        telephony_status = aggregate([state.status for state in states])
        if ext.telephony_status in STATUS_PRECEDENCE and not ext.detailed:
            # A presence without a call list still knows the aggregate.
            telephony_status = min((telephony_status, ext.telephony_status), key=STATUS_PRECEDENCE.index)
    return ExtensionState(
        extension_id=ext.id,
        telephony_status=telephony_status,
        presence_status=ext.presence_status,
        user_status=ext.user_status,
        dnd_status=ext.dnd_status,
        meeting_status=ext.meeting_status,
        calls=states,
    )


def _call_order(item: tuple[TrackedCall, str]) -> tuple[datetime, int]:
    """Calls are listed by start time (first seen if unknown), then by when the engine met them."""
    call = item[0]
    return (call.start_time or call.first_seen, call.order)


def _call_state(call: TrackedCall, status: str) -> CallState:
    return CallState(
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
