"""The phase alphabet both sources map to, and the call events a phase change implies.

A call's phase is where it is now (alerting, connected, hold, parked, voicemail); its end is not a
phase (settlement decides it, see `settlement.py`). Presence's `activeCalls[].telephonyStatus` and
telephony's party `status.code` each map to a phase here; `transition` names the events one source's
phase change implies, in order and never backwards (which of those may fire is `lifecycle.py`'s).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

from ..models import (
    PARTY_ANSWERED,
    PARTY_DISCONNECTED,
    PARTY_GONE,
    PARTY_HOLD,
    PARTY_PARKED,
    PARTY_PROCEEDING,
    PARTY_SETUP,
    PARTY_VOICEMAIL,
    PARTY_VOICEMAIL_SCREENING,
    TELEPHONY_CALL_CONNECTED,
    TELEPHONY_ON_HOLD,
    TELEPHONY_PARKED_CALL,
    TELEPHONY_RINGING,
    status_key,
)

ALERTING = "alerting"  # inbound ringing, or outbound dialling / far end ringing
CONNECTED = "connected"
HOLD = "hold"
PARKED = "parked"
VOICEMAIL = "voicemail"  # the caller is leaving a message: no longer on the user's phone
PHASES: tuple[str, ...] = (ALERTING, CONNECTED, HOLD, PARKED, VOICEMAIL)

# Call event types (README, Events).
EVENT_RINGING = "ringing"
EVENT_DIALING = "dialing"
EVENT_ANSWERED = "answered"
EVENT_ON_HOLD = "on_hold"
EVENT_RESUMED = "resumed"
EVENT_PARKED = "parked"
EVENT_VOICEMAIL = "voicemail"
EVENT_MISSED = "missed"
EVENT_ENDED = "ended"

# Sensor states (per call and aggregate), snake_case of RingCentral's telephonyStatus.
STATUS_NO_CALL = "no_call"
STATUS_RINGING = "ringing"
STATUS_CALL_CONNECTED = "call_connected"
STATUS_ON_HOLD = "on_hold"
STATUS_PARKED_CALL = "parked_call"

# Aggregate precedence when several calls coexist, highest first. The same order the simulator uses,
# grounded in the official samples ({OnHold, Ringing} -> OnHold; {CallConnected, NoCall} ->
# CallConnected); CallConnected above OnHold and Ringing above ParkedCall are choices.
STATUS_PRECEDENCE: tuple[str, ...] = (
    STATUS_CALL_CONNECTED,
    STATUS_ON_HOLD,
    STATUS_RINGING,
    STATUS_PARKED_CALL,
    STATUS_NO_CALL,
)

STATUS_OF_PHASE: Mapping[str, str] = {
    ALERTING: STATUS_RINGING,
    CONNECTED: STATUS_CALL_CONNECTED,
    HOLD: STATUS_ON_HOLD,
    PARKED: STATUS_PARKED_CALL,
}

_PHASE_OF_PRESENCE: dict[str, str] = {
    status_key(TELEPHONY_RINGING): ALERTING,
    status_key(TELEPHONY_CALL_CONNECTED): CONNECTED,
    status_key(TELEPHONY_ON_HOLD): HOLD,
    status_key(TELEPHONY_PARKED_CALL): PARKED,
}

_PHASE_OF_PARTY: dict[str, str] = {
    status_key(PARTY_SETUP): ALERTING,
    status_key(PARTY_PROCEEDING): ALERTING,
    status_key(PARTY_ANSWERED): CONNECTED,
    status_key(PARTY_HOLD): HOLD,
    # The guide spells it `OnHold` in places.
    status_key("OnHold"): HOLD,
    status_key(PARTY_PARKED): PARKED,
    status_key(PARTY_VOICEMAIL): VOICEMAIL,
    status_key(PARTY_VOICEMAIL_SCREENING): VOICEMAIL,
}

_PARTY_ENDED: frozenset[str] = frozenset({status_key(PARTY_DISCONNECTED), status_key(PARTY_GONE)})
_AWAY_EVENT: dict[str, str] = {HOLD: EVENT_ON_HOLD, PARKED: EVENT_PARKED}
_ANSWERED_PHASES: frozenset[str] = frozenset({CONNECTED, HOLD, PARKED})

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


@lru_cache(maxsize=128)
def snake(value: str) -> str:
    """`CallConnected` -> `call_connected`; cached, so equal inputs share one string object."""
    return _CAMEL_BOUNDARY.sub("_", value.strip()).replace(" ", "_").replace("-", "_").lower()


def phase_of_presence(status: str | None) -> str | None:
    """The phase of a presence `activeCalls[].telephonyStatus`; None for NoCall and unknown values."""
    return _PHASE_OF_PRESENCE.get(status_key(status))


def phase_of_party(code: str | None) -> str | None:
    """The phase of a telephony party `status.code`; None for terminal and unknown codes."""
    return _PHASE_OF_PARTY.get(status_key(code))


def party_ended(code: str | None) -> bool:
    """Disconnected or Gone: the call is over for this party."""
    return status_key(code) in _PARTY_ENDED


def status_of_phase(phase: str | None) -> str | None:
    """The sensor state of a call in `phase` (None: not shown, e.g. in voicemail)."""
    return None if phase is None else STATUS_OF_PHASE.get(phase)


def aggregate(statuses: list[str]) -> str:
    """An extension's telephony status from its calls' statuses, by `STATUS_PRECEDENCE`."""
    for status in STATUS_PRECEDENCE:
        if status in statuses:
            return status
    return STATUS_NO_CALL


def answered_phase(phase: str | None) -> bool:
    """Whether a call in `phase` has been answered (connected, on hold or parked)."""
    return phase in _ANSWERED_PHASES


def transition(inbound: bool, old: str | None, new: str, answered: bool) -> tuple[str, ...]:
    """The call events for one phase change seen by one source, in order (never backwards).

    `old` None means the source sees the call for the first time: the first phase it shows is the
    call's own start (a transferred-in call starts connected and never rang, so nothing is invented).
    `answered` says whether this source already saw the call answered.
    """
    if new == old:
        return ()
    start = EVENT_RINGING if inbound else EVENT_DIALING
    if new == ALERTING:
        return (start,) if old is None else ()
    if new == CONNECTED:
        if old in (HOLD, PARKED):
            return (EVENT_RESUMED,)
        return () if answered else (EVENT_ANSWERED,)
    if new in _AWAY_EVENT:
        lead: tuple[str, ...] = (EVENT_ANSWERED,) if old == ALERTING and not answered else ()
        return (*lead, _AWAY_EVENT[new])
    if new == VOICEMAIL:
        return (EVENT_VOICEMAIL,)
    return ()
