"""RingOut: a two-leg call placed for an extension.

RingCentral first calls the `from` number (the extension's phone, or a number it forwards to); when
that leg is answered it calls `to` and connects the two. In the simulator the extension's party
shows the whole RingOut (origin type `RingOut`, direction Outbound, from the caller id):

1. at once: the extension's party is `Setup` (its phone rings: presence Ringing);
2. after `config.ringout_answer_delay` the extension answers: its party goes `Proceeding` and the
   callee (an extension of the account when `to` is one of its numbers, else an outside party)
   rings (`Proceeding`);
3. after `scenarios.RING` the callee answers: both `Answered`;
4. after `scenarios.TALK` both hang up.

The steps run under the session's telephonySessionId, timed or one `step()` at a time when
`config.api_calls_step` is set; call control (hold, hang up, ...) acts on the call like on any other.
A callee on do-not-disturb is diverted to voicemail (`call_actions.py`).

Statuses (`status.callerStatus` / `calleeStatus`, UNVERIFIED where RingCentral does not document
them): `InProgress` while that leg is pending or ringing, `Success` once it answered, `NoAnswer`
when the call ended without it answering; `callStatus` is `Success` once both answered, else
`InProgress` while the call lives, else the status of the leg that failed.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from .call_actions import CallActions
from .call_model import Change, Endpoint, Party, Session, Step
from .calls import CallEngine
from .config import SimConfig
from .model import Account, Extension
from .scenario_context import RING, TALK

# At most this many RingOuts are remembered (the oldest are forgotten: their GET answers 404).
MAX_RINGOUTS = 1000
_ANSWERED = frozenset({"Answered", "Hold", "Parked"})
# The extension's leg is answered once it goes on to call the other side.
_CALLER_ANSWERED = _ANSWERED | {"Proceeding"}


@dataclass(eq=False)
class RingOut:
    """One RingOut and what its legs did so far."""

    id: str
    extension: Extension
    session: Session
    caller: Party  # the extension's leg
    callee: Party
    caller_answered: bool = False
    callee_answered: bool = False

    def observe(self) -> None:
        """Remember which legs answered (their parties' codes move on when the call ends)."""
        self.caller_answered = self.caller_answered or self.caller.code in _CALLER_ANSWERED
        self.callee_answered = self.callee_answered or self.callee.code in _ANSWERED


class RingOuts:
    """The account's RingOuts, placed through the call engine."""

    def __init__(self, engine: CallEngine, actions: CallActions, account: Account, config: SimConfig) -> None:
        self._engine = engine
        self._actions = actions
        self._account = account
        self._config = config
        self._ringouts: dict[str, RingOut] = {}

    def create(self, ext: Extension, *, from_number: str, to_number: str, caller_id: str | None) -> RingOut:
        engine = self._engine
        session = engine.new_session(origin="RingOut")
        me = Endpoint(caller_id or ext.phone_number or from_number, ext.name, ext.id)
        callee_ext = self._account.by_number(to_number)
        if callee_ext is not None and callee_ext is not ext:
            callee_end = engine.endpoint(callee_ext, direct=to_number == callee_ext.phone_number)
        else:
            callee_ext, callee_end = None, Endpoint(to_number)
        caller = engine.add_party(session, ext, "Outbound", me, callee_end)
        callee = engine.add_party(session, callee_ext, "Inbound", me, callee_end)
        ringout_id = base64.urlsafe_b64encode(engine.rng.randbytes(18)).decode()
        ringout = RingOut(ringout_id, ext, session, caller, callee)

        def step(changes: list[Change]) -> None:
            engine.apply(changes)
            ringout.observe()

        steps = [
            Step(
                self._config.ringout_answer_delay,
                lambda: step([Change(caller, "Proceeding"), Change(callee, "Proceeding")]),
                "extension answers, callee rings",
            ),
            Step(
                RING, lambda: step([Change(caller, "Answered"), Change(callee, "Answered")]), "callee answers"
            ),
            Step(
                TALK,
                lambda: step([Change(caller, "Disconnected"), Change(callee, "Disconnected")]),
                "hang up",
            ),
        ]
        self._actions.take_over(session, steps)
        engine.apply([Change(caller, "Setup")])
        self._ringouts[ringout.id] = ringout
        while len(self._ringouts) > MAX_RINGOUTS:
            del self._ringouts[next(iter(self._ringouts))]
        return ringout

    def get(self, ext: Extension, ringout_id: str) -> RingOut | None:
        ringout = self._ringouts.get(ringout_id)
        return ringout if ringout is not None and ringout.extension is ext else None

    def cancel(self, ringout: RingOut) -> None:
        """End the call if it still goes on, and forget the RingOut."""
        self._ringouts.pop(ringout.id, None)
        if self._engine.session(ringout.session.telephony_session_id) is not None:
            self._actions.hang_up(ringout.session)

    def status(self, ringout: RingOut) -> dict[str, str]:
        ringout.observe()
        live = self._engine.session(ringout.session.telephony_session_id) is not None

        def leg(answered: bool) -> str:
            if answered:
                return "Success"
            return "InProgress" if live else "NoAnswer"

        caller, callee = leg(ringout.caller_answered), leg(ringout.callee_answered)
        if caller == callee == "Success":
            call = "Success"
        elif live:
            call = "InProgress"
        else:
            call = caller if caller != "Success" else callee
        return {"callStatus": call, "callerStatus": caller, "calleeStatus": callee}
