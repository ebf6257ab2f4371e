"""The call lifecycle: which call event may follow which, for one call of one extension.

Every event the engine fires passes through `step` (`context.Context.emit`): an event the table does
not allow from where the call's announced history stands is absorbed (counted, never fired). So the
events of a call are always a path of this table, whatever the order, loss or duplication of the
notifications that led to them.

Where the table comes from (README, Events; platform facts, section 6):

- A call starts once: `ringing` (inbound) or `dialing` (outbound), or `voicemail` when the platform
  sends it straight there (do-not-disturb, a transfer to voicemail). A call first seen after its start
  starts where it is: connected (`answered`: transferred in), on hold or parked (the official presence
  sample lists a held call), or with its end (a call heard of only as it ended).
- An inbound party rings, then is answered or goes to voicemail ("Proceeding → Answered | VoiceMail");
  `answered` happens once: a held or parked call coming back is `resumed`.
- `on_hold` and `parked` take a connected call away, `resumed` brings it back; a call moves between
  hold and park in one step. The same step twice in a row is no step.
- Exactly one terminal event, `missed` or `ended`, from anywhere; nothing after it.

A *baseline* (a snapshot or a restart that finds the call already in progress) announces nothing: the
call's history starts at the phase it was found in (`baseline`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .phases import (
    ALERTING,
    CONNECTED,
    EVENT_ANSWERED,
    EVENT_DIALING,
    EVENT_ENDED,
    EVENT_MISSED,
    EVENT_ON_HOLD,
    EVENT_PARKED,
    EVENT_RESUMED,
    EVENT_RINGING,
    EVENT_VOICEMAIL,
    HOLD,
    PARKED,
    PHASES,
    VOICEMAIL,
)

# Where a call's announced history can stand: nothing announced yet, one of the phases, or over.
NEW = "new"
OVER = "over"
STATES: tuple[str, ...] = (NEW, *PHASES, OVER)

_ENDS = {EVENT_MISSED: OVER, EVENT_ENDED: OVER}

# state -> {event: next state}. Anything not listed is not a step of the lifecycle.
TABLE: Mapping[str, Mapping[str, str]] = {
    NEW: {
        EVENT_RINGING: ALERTING,
        EVENT_DIALING: ALERTING,
        # Sent straight to voicemail without ringing here: do-not-disturb for all calls, a transfer to
        # the extension's voicemail.
        EVENT_VOICEMAIL: VOICEMAIL,
        EVENT_ANSWERED: CONNECTED,
        EVENT_ON_HOLD: HOLD,
        EVENT_PARKED: PARKED,
        **_ENDS,
    },
    ALERTING: {EVENT_ANSWERED: CONNECTED, EVENT_VOICEMAIL: VOICEMAIL, **_ENDS},
    CONNECTED: {EVENT_ON_HOLD: HOLD, EVENT_PARKED: PARKED, **_ENDS},
    HOLD: {EVENT_RESUMED: CONNECTED, EVENT_PARKED: PARKED, **_ENDS},
    PARKED: {EVENT_RESUMED: CONNECTED, EVENT_ON_HOLD: HOLD, **_ENDS},
    VOICEMAIL: {**_ENDS},
    OVER: {},
}


def step(state: str, event: str) -> str | None:
    """Where a call whose history stands at `state` is after `event`; None: not a step (absorb it)."""
    return TABLE[state].get(event)


def baseline(state: str, phase: str) -> str:
    """A baseline found the call in `phase`: its history starts there unless something was announced."""
    return phase if state == NEW else state


def is_path(events: Iterable[str], start: str = NEW) -> bool:
    """Whether `events`, in order, is a path of the table from `start`."""
    state: str | None = start
    for event in events:
        state = step(state, event) if state is not None else None
        if state is None:
            return False
    return True
