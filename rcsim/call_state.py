"""The calls of one simulator instance: telephony sessions, their parties, and the presence they add up to.

`CallState` holds them and publishes every change on its `bus` (the scenarios that drive it are run by
`CallEngine`, `calls.py`). Party states change through `apply()`; every change publishes:

- one `telephony` `SimEvent` per extension whose own party changed, carrying that extension's parties
  of the session (external PSTN parties are never published, as RingCentral only notifies parties of
  the subscriber's account), with a per-extension increasing `sequence`;
- one `presence` `SimEvent` per affected extension whose presence body changed (aggregate status,
  active calls, user/DND status), with its own per-extension increasing `sequence`.

Each extension has two sequence counters, one per stream, each starting at 1. A call's
`telephonySessionId` and `partyId` are the same in both streams. How several calls roll up into one
`telephonyStatus`, and when presenceStatus is Busy, is decided in `presence.py`. When a call ends for an
extension, the next presence event still lists it once with `telephonyStatus` NoCall and
`terminationType` "final", then it is gone from `activeCalls`; the REST body lists only live calls.
The bodies themselves are built in `call_bodies.py`.
"""

from __future__ import annotations

import base64
import copy
import random
import string
from collections.abc import Callable, Sequence
from typing import Any

from .call_bodies import presence_event, rest_presence, rest_session, telephony_event
from .call_model import Change, Endpoint, Party, Session
from .clock import SimClock
from .config import SimConfig
from .events import EventBus, SimEvent
from .log import SimLog
from .model import Account, Extension
from .presence import DND_STATUSES, USER_STATUSES

_SERVER_IP = "10.62.25.111"

# Sees every batch of changes before it is applied and returns what to apply instead (e.g. a call
# diverted to voicemail); set by the call actions (`call_actions.py`).
ChangeHook = Callable[[Sequence[Change]], Sequence[Change]]


class CallState:
    """Calls and presence, the ground truth, for one simulator instance."""

    def __init__(
        self,
        *,
        config: SimConfig,
        clock: SimClock,
        account: Account,
        bus: EventBus,
        log: SimLog,
    ) -> None:
        self.config = config
        self.clock = clock
        self.account = account
        self.bus = bus  # where every change is published
        self.log = log
        self.rng = random.Random(config.seed) if config.seed is not None else random.Random()
        self._sessions: dict[str, Session] = {}
        self._ext_calls: dict[str, list[Party]] = {}
        self._presence_seq: dict[str, int] = {}
        self._telephony_seq: dict[str, int] = {}
        self._last_presence: dict[str, dict[str, Any]] = {}
        self.change_hook: ChangeHook | None = None

    # ----------------------------------------------------------------- REST views

    def presence(self, extension_id: str, *, detailed: bool = True, sip_data: bool = True) -> dict[str, Any]:
        """The body of `GET /restapi/v1.0/account/~/extension/{id}/presence` (schema `GetPresenceInfo`)."""
        ext = self._extension(extension_id)
        live = self._live_calls(extension_id)
        return rest_presence(ext, live, self.account.id, self.clock, detailed=detailed, sip_data=sip_data)

    def telephony_session(self, tsid: str) -> dict[str, Any] | None:
        """The body of `GET .../telephony/sessions/{id}` (`CallSessionObject`), None once the call is over."""
        session = self._sessions.get(tsid)
        if session is None:
            return None
        return rest_session(session, self.account.id, self.clock)

    def session(self, tsid: str) -> Session | None:
        """A live telephony session (None once every party has left it)."""
        return self._sessions.get(tsid)

    def ground_truth(self) -> dict[str, dict[str, Any]]:
        """What the presence endpoint (detailedTelephonyState, sipData) reports now, per extension."""
        truth: dict[str, dict[str, Any]] = {}
        for ext_id in self.account.extensions:
            body = self.presence(ext_id)
            truth[ext_id] = {
                key: body[key]
                for key in ("telephonyStatus", "presenceStatus", "userStatus", "dndStatus", "activeCalls")
            }
        return truth

    # -------------------------------------------------------------------- changes

    def set_presence(
        self, extension_id: str, *, user_status: str | None = None, dnd_status: str | None = None
    ) -> None:
        """Change a user's own status or DND; publishes a presence event if anything changed."""
        ext = self._extension(extension_id)
        if user_status is not None and user_status not in USER_STATUSES:
            raise ValueError(f"user_status must be one of {', '.join(USER_STATUSES)}")
        if dnd_status is not None and dnd_status not in DND_STATUSES:
            raise ValueError(f"dnd_status must be one of {', '.join(DND_STATUSES)}")
        before = (ext.user_status, ext.dnd_status)
        ext.user_status = user_status or ext.user_status
        ext.dnd_status = dnd_status or ext.dnd_status
        if (ext.user_status, ext.dnd_status) != before:
            self._publish_presence(ext.id)

    def new_session(self, origin: str = "Call") -> Session:
        """A session with fresh RingCentral-shaped ids (registered once a party joins)."""
        core = f"cs{self.rng.randrange(10**17, 10**18)}"
        tsid = base64.b64encode(f"{core}@{_SERVER_IP}".encode()).decode().rstrip("=")
        session_id = str(self.rng.randrange(10**11, 10**12))
        return Session(tsid, session_id, origin, self.clock.now(), core)

    def add_party(
        self,
        session: Session,
        extension: Extension | None,
        direction: str,
        from_: Endpoint,
        to: Endpoint,
        *,
        queue_call: bool = False,
    ) -> Party:
        """A party that joins the call when a `Change` first gives it a status."""
        party = Party(
            id=session.next_party_id(),
            session=session,
            extension=extension,
            direction=direction,
            from_=from_,
            to=to,
            presence_id=self._token(20),
            call_id=str(self.rng.randrange(10**11, 10**12)),
            from_tag=f"{_SERVER_IP}-5070-{self.rng.getrandbits(56):014x}",
            to_tag=self._token(10),
            queue_call=queue_call,
        )
        session.parties.append(party)
        return party

    def endpoint(self, ext: Extension, *, direct: bool = False) -> Endpoint:
        """How an extension appears as a call end: its extension number, or its direct number."""
        number = ext.phone_number if direct and ext.phone_number else ext.extension_number
        return Endpoint(number, ext.name, ext.id)

    def apply(self, changes: Sequence[Change]) -> None:
        """Apply party changes (possibly across sessions) and publish what they change."""
        if self.change_hook is not None:
            changes = self.change_hook(changes)
        sessions: list[Session] = []
        for change in changes:
            party = change.party
            if not party.code:
                party.start_time = self.clock.now()
            party.code = change.code
            party.reason = change.reason
            party.peer = change.peer
            party.park_id = change.park_id
            if change.missed_call is not None:
                party.missed_call = change.missed_call
            party.dirty = True
            if party.session not in sessions:
                sessions.append(party.session)
        self._commit(sessions)

    def set_flicker(self, party: Party, on: bool) -> None:
        """Show (or stop showing) a ringing call as NoCall in presence only: RingCentral's flicker."""
        party.flicker = on
        if party.extension is not None:
            self._publish_presence(party.extension.id)

    # ---------------------------------------------------------------- internals

    def _extension(self, extension_id: str | None) -> Extension:
        ext = self.account.extensions.get(str(extension_id)) if extension_id is not None else None
        if ext is None:
            raise ValueError(f"unknown extension {extension_id!r}")
        return ext

    def _token(self, length: int) -> str:
        alphabet = string.ascii_lowercase + string.digits
        return "".join(self.rng.choice(alphabet) for _ in range(length))

    def _live_calls(self, extension_id: str) -> list[Party]:
        return [p for p in self._ext_calls.get(extension_id, []) if p.presence_status != "NoCall"]

    def _commit(self, sessions: Sequence[Session]) -> None:
        touched: list[str] = []
        for session in sessions:
            if any(p.code for p in session.parties):
                self._sessions.setdefault(session.telephony_session_id, session)
            changed_exts: list[Extension] = []
            for party in session.parties:
                if not party.dirty:
                    continue
                party.dirty = False
                ext = party.extension
                if ext is None:
                    continue
                if not party.listed and not party.presence_ended:
                    party.listed = True
                    self._ext_calls.setdefault(ext.id, []).append(party)
                if ext not in changed_exts:
                    changed_exts.append(ext)
            for ext in changed_exts:
                self._publish_telephony(session, ext)
                if ext.id not in touched:
                    touched.append(ext.id)
            if all(p.terminal for p in session.parties if p.code):
                self._sessions.pop(session.telephony_session_id, None)
        for ext_id in touched:
            self._publish_presence(ext_id)

    def _publish_telephony(self, session: Session, ext: Extension) -> None:
        seq = self._telephony_seq.get(ext.id, 0) + 1
        self._telephony_seq[ext.id] = seq
        body = telephony_event(session, ext, seq, self.account.id, self.clock)
        self.bus.publish(SimEvent("telephony", ext.id, body))

    def _publish_presence(self, extension_id: str) -> None:
        """Publish the extension's presence if it differs from the last one published."""
        ext = self._extension(extension_id)
        calls = self._ext_calls.get(extension_id, [])
        body = presence_event(ext, calls, self.clock)
        # Calls that ended are reported once (NoCall, final) and then dropped.
        self._ext_calls[extension_id] = [p for p in calls if not p.presence_ended]
        if body == self._last_presence.get(extension_id):
            return
        # Remember the state the extension is left in: without the calls just reported as ended,
        # so that dropping them later is not itself a change.
        # A deep copy: listeners may trim what they deliver (sipData) in place.
        self._last_presence[extension_id] = copy.deepcopy(
            {**body, "activeCalls": [c for c in body["activeCalls"] if c.get("terminationType") != "final"]}
        )
        seq = self._presence_seq.get(extension_id, 0) + 1
        self._presence_seq[extension_id] = seq
        self.bus.publish(SimEvent("presence", extension_id, {**body, "sequence": seq}))
