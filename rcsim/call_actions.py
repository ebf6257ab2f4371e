"""Call control: what hold, unhold, hang up, reject and transfer do to a call, exactly as the same
action on a phone would; and the calls an extension's do-not-disturb sends straight to voicemail.

Every action changes parties through `CallEngine.apply`, so the presence and telephony-session
notifications are the ones a phone's action produces. Rules (our choices where RingCentral's docs
leave room):

- hold: an `Answered` party goes `Hold` (held again: no change); unhold: `Hold` → `Answered`
  (answered again: no change). In any other state the action conflicts.
- hang up (drop the session): every party still in the call goes `Disconnected`; an inbound party
  that was still ringing is a missed call.
- reject: only an inbound party still ringing (`Setup`/`Proceeding`), and not a call-queue call
  (RingCentral's apps ignore those instead). A User extension's call goes to its voicemail (the
  caller talks to voicemail, then hangs up); any other extension's is a missed call (reason
  `Rejected`; UNVERIFIED: the platform decides by the extension's voicemail setting, which the
  simulator does not model).
- transfer (blind): an `Answered` or held party goes `Gone` (reason `BlindTransfer`, `peerId` the
  target's party); the other side leaves for a new session
  where the target rings and answers (an extension of the account, by extension number or direct
  number, or an outside number), or where the voicemail of the extension named takes the call.
- do-not-disturb `DoNotAcceptAnyCalls`: a new inbound call to the extension (any scenario, transfer
  or RingOut) goes straight to voicemail instead of ringing. Call-queue calls are not diverted.

An action takes the call over: the scenario that was playing it stops at its next step that would
change it, and whoever is still on the other calls of that scenario hangs up (see
`CallEngine.apply`). What follows an action (the target answers, the caller leaves a message and
hangs up) runs as the session's own run, under its telephonySessionId: timed, or one `step()` at a
time when the run it replaces was in step mode or `config.api_calls_step` is set.
"""

from __future__ import annotations

from collections.abc import Sequence

from .call_model import (
    RINGING_CODES,
    Change,
    Endpoint,
    Party,
    ScenarioRun,
    Session,
    Step,
    hang_up,
    live_parties,
)
from .calls import CallEngine
from .config import SimConfig
from .model import Extension
from .scenario_context import RING, TALK, VOICEMAIL

DND_ALL = "DoNotAcceptAnyCalls"


class CallNotFoundError(LookupError):
    """No live session of that id."""


class PartyNotFoundError(LookupError):
    """The session has no party of that id still in the call."""


class ActionConflictError(ValueError):
    """The action makes no sense in the call's current state (HTTP 409)."""


class TransferTargetError(ValueError):
    """The transfer target names nobody: `parameter` is the body field at fault."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter


def own_endpoint(party: Party) -> Endpoint:
    """The number a party itself is reached at (its `from` when it placed the call)."""
    return party.from_ if party.direction == "Outbound" else party.to


class CallActions:
    """Call control over the call engine; installs the do-not-disturb diversion on it."""

    def __init__(self, engine: CallEngine, config: SimConfig) -> None:
        self._engine = engine
        self._config = config
        engine.change_hook = self._divert

    # -- lookups -----------------------------------------------------------------------------------

    def session(self, tsid: str) -> Session:
        session = self._engine.session(tsid)
        if session is None:
            raise CallNotFoundError(tsid)
        return session

    def party(self, tsid: str, party_id: str) -> Party:
        """A party of the account still in the call (outside parties are not the API's to control)."""
        for party in self.session(tsid).parties:
            if party.id == party_id and party.code and not party.terminal and party.extension is not None:
                return party
        raise PartyNotFoundError(party_id)

    # -- actions -----------------------------------------------------------------------------------

    def hold(self, party: Party) -> None:
        if party.code == "Hold":
            return
        if party.code != "Answered":
            raise ActionConflictError(f"A call in state {party.code} cannot be put on hold")
        self._engine.apply([Change(party, "Hold")])

    def unhold(self, party: Party) -> None:
        if party.code == "Answered":
            return
        if party.code != "Hold":
            raise ActionConflictError(f"A call in state {party.code} is not on hold")
        self._engine.apply([Change(party, "Answered")])

    def hang_up(self, session: Session) -> None:
        """Drop the whole call."""
        self.take_over(session, ())
        self._engine.apply(hang_up(session))

    def reject(self, party: Party) -> None:
        if party.direction != "Inbound" or party.code not in RINGING_CODES:
            raise ActionConflictError(f"Only a ringing inbound call can be rejected, not one in {party.code}")
        if party.queue_call:
            raise ActionConflictError("A call-queue call is ignored, not rejected")
        session = party.session
        if party.extension is not None and party.extension.type == "User":
            self._engine.apply(self._to_voicemail(session, party, ()))
        else:
            self.take_over(session, ())
            self._engine.apply(
                [Change(party, "Disconnected", reason="Rejected", missed_call=True)]
                + [c for c in hang_up(session) if c.party is not party]
            )

    def transfer(
        self,
        party: Party,
        *,
        phone_number: str | None = None,
        extension_number: str | None = None,
        voicemail: str | None = None,
    ) -> None:
        """Blind transfer to exactly one target (the REST layer checks there is one)."""
        if party.code not in ("Answered", "Hold"):
            raise ActionConflictError(f"A call in state {party.code} cannot be transferred")
        target, target_end = self._target(party, phone_number, extension_number, voicemail)
        engine = self._engine
        session = party.session
        others = [p for p in live_parties(session) if p is not party]
        caller = own_endpoint(others[0]) if others else own_endpoint(party)
        moved = engine.new_session()
        to_voicemail = voicemail is not None
        changes: list[Change] = []
        joined: list[Party] = []
        for other in others:
            twin = engine.add_party(moved, other.extension, "Outbound", own_endpoint(other), target_end)
            changes.append(Change(other, "Gone", peer=twin))
            changes.append(Change(twin, "Answered" if to_voicemail else "Proceeding"))
            joined.append(twin)
        callee = engine.add_party(moved, target, "Inbound", caller, target_end)
        changes.append(Change(party, "Gone", reason="BlindTransfer", peer=callee))
        if to_voicemail:
            changes.append(Change(callee, "VoiceMail", missed_call=True))
            after = [Step(VOICEMAIL, lambda: engine.apply(hang_up(moved)), "message left")]
        else:
            changes.append(Change(callee, "Proceeding"))
            answer = [Change(p, "Answered") for p in (*joined, callee)]
            after = [
                Step(RING, lambda: engine.apply(answer), "transfer target answers"),
                Step(TALK, lambda: engine.apply(hang_up(moved)), "hang up"),
            ]
        # The new session first: its run is timed or stepped like the one `session` had.
        self.take_over(moved, after, like=session)
        self.take_over(session, ())
        engine.apply(changes)

    def _target(
        self, party: Party, phone_number: str | None, extension_number: str | None, voicemail: str | None
    ) -> tuple[Extension | None, Endpoint]:
        account = self._engine.account
        if voicemail is not None:
            ext = account.extensions.get(voicemail)
            if ext is None:
                raise TransferTargetError("voicemail", f"Extension [{voicemail}] is not found")
            return ext, self._engine.endpoint(ext)
        if extension_number is not None:
            ext = next(
                (e for e in account.extensions.values() if e.extension_number == extension_number), None
            )
            if ext is None:
                raise TransferTargetError(
                    "extensionNumber", f"Extension number [{extension_number}] is not found"
                )
        else:
            number = phone_number or ""
            ext = next((e for e in account.extensions.values() if e.phone_number == number), None)
            if ext is None:
                return None, Endpoint(number)
        if ext is party.extension:
            field = "extensionNumber" if extension_number is not None else "phoneNumber"
            raise TransferTargetError(field, "A call cannot be transferred to the extension it is on")
        return ext, self._engine.endpoint(ext)

    # -- runs --------------------------------------------------------------------------------------

    def take_over(
        self, session: Session, steps: Sequence[Step], *, like: Session | None = None
    ) -> ScenarioRun:
        """Make `steps` the only script of `session` from now on (run id: its telephonySessionId)."""
        engine = self._engine
        model = engine.stepping or engine.run((like or session).telephony_session_id)
        run = engine.play(
            session.telephony_session_id,
            "api",
            steps,
            step_mode=model.step_mode if model is not None else self._config.api_calls_step,
            speed=model.speed if model is not None else 1.0,
        )
        session.owner = run
        return run

    def _to_voicemail(self, session: Session, party: Party, joining: Sequence[Change]) -> list[Change]:
        """`party`'s call goes to its voicemail: the caller's side is answered by it, leaves a message
        and hangs up. `joining`: changes of the same batch that bring other parties into the call."""
        engine = self._engine
        changes = [Change(party, "VoiceMail", missed_call=True)]
        for change in joining:
            if change.party is not party:
                ringing = change.code in RINGING_CODES
                changes.append(Change(change.party, "Answered") if ringing else change)
        for other in live_parties(session):
            if (
                other is not party
                and other.code in RINGING_CODES
                and all(c.party is not other for c in joining)
            ):
                changes.append(Change(other, "Answered"))
        self.take_over(session, [Step(VOICEMAIL, lambda: engine.apply(hang_up(session)), "message left")])
        return changes

    def _divert(self, changes: Sequence[Change]) -> Sequence[Change]:
        """The engine's change hook: new inbound calls to an extension on full DND go to voicemail."""
        diverted = [c for c in changes if _diverts(c)]
        if not diverted:
            return changes
        out: list[Change] = []
        sessions = {id(c.party.session): c.party for c in diverted}
        for session_key, party in sessions.items():
            batch = [c for c in changes if id(c.party.session) == session_key]
            out.extend(self._to_voicemail(party.session, party, batch))
        out.extend(c for c in changes if id(c.party.session) not in sessions)
        return out


def _diverts(change: Change) -> bool:
    party = change.party
    return (
        not party.code
        and change.code in RINGING_CODES
        and party.direction == "Inbound"
        and not party.queue_call
        and party.extension is not None
        and party.extension.dnd_status == DND_ALL
    )
