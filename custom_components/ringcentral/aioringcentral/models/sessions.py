"""Telephony sessions: a session's parties, their endpoints and status, with its typed fast path."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from .. import wire
from ..errors import ParseError
from .codes import status_is
from .readers import (
    _list,
    _mapping,
    _opt_bool,
    _opt_int,
    _opt_mapping,
    _opt_str,
    _opt_strs,
    _opt_time,
    _req_str,
    _time_value,
)


class PartyEndpoint(msgspec.Struct, frozen=True, gc=False):
    """The `from` / `to` side of a party."""

    phone_number: str | None
    name: str | None
    extension_id: str | None

    @classmethod
    def from_dict(cls, raw: Any, what: str = "endpoint") -> PartyEndpoint:
        data = _mapping(raw, what)
        phone_number, name, extension_id = _opt_strs(data, what, "phoneNumber", "name", "extensionId")
        return cls(phone_number=phone_number, name=name, extension_id=extension_id)


class PartyStatus(msgspec.Struct, frozen=True, gc=False):
    """A party's `status`: code, reason and, for `Gone`, where the call went (`peerId`)."""

    code: str
    reason: str | None = None
    description: str | None = None
    peer_session_id: str | None = None
    peer_telephony_session_id: str | None = None
    peer_party_id: str | None = None
    park_id: str | None = None

    def is_(self, *codes: str) -> bool:
        """Whether the code is one of `codes`, ignoring case and separators."""
        return status_is(self.code, *codes)

    @classmethod
    def from_dict(cls, raw: Any, what: str = "status", *, park_id: str | None = None) -> PartyStatus:
        data = _mapping(raw, what)
        peer = _opt_mapping(data, "peerId", what) or {}
        park_data = data.get("parkData")
        reason, description = _opt_strs(data, what, "reason", "description")
        peer_session, peer_tsid, peer_party = _opt_strs(
            peer, f"{what}.peerId", "sessionId", "telephonySessionId", "partyId"
        )
        return cls(
            code=_req_str(data, "code", what),
            reason=reason,
            description=description,
            peer_session_id=peer_session,
            peer_telephony_session_id=peer_tsid,
            peer_party_id=peer_party,
            park_id=park_id or (park_data if isinstance(park_data, str) and park_data else None),
        )


class Party(msgspec.Struct, frozen=True, gc=False):
    """One participant of a telephony session."""

    id: str
    account_id: str | None
    extension_id: str | None
    direction: str | None
    from_: PartyEndpoint | None
    to: PartyEndpoint | None
    status: PartyStatus | None
    missed_call: bool | None = None
    stand_alone: bool | None = None
    muted: bool | None = None
    queue_call: bool | None = None

    @classmethod
    def from_dict(cls, raw: Any, what: str = "party") -> Party:
        data = _mapping(raw, what)
        park = _opt_mapping(data, "park", what)
        park_id = None if park is None else _opt_str(park, "id", f"{what}.park")
        status = data.get("status")
        from_ = data.get("from")
        to = data.get("to")
        # The deprecated `owner` object carries the extension when `extensionId` is absent.
        owner = _opt_mapping(data, "owner", what) or {}
        account_id, extension_id, direction = _opt_strs(data, what, "accountId", "extensionId", "direction")
        return cls(
            id=_req_str(data, "id", what),
            account_id=account_id or _opt_str(owner, "accountId", what),
            extension_id=extension_id or _opt_str(owner, "extensionId", what),
            direction=direction,
            from_=None if from_ is None else PartyEndpoint.from_dict(from_, f"{what}.from"),
            to=None if to is None else PartyEndpoint.from_dict(to, f"{what}.to"),
            status=(
                None if status is None else PartyStatus.from_dict(status, f"{what}.status", park_id=park_id)
            ),
            missed_call=_opt_bool(data, "missedCall", what),
            stand_alone=_opt_bool(data, "standAlone", what),
            muted=_opt_bool(data, "muted", what),
            queue_call=_opt_bool(data, "queueCall", what),
        )


class TelephonySessionEvent(msgspec.Struct, frozen=True, gc=False):
    """A telephony-session notification body, or a REST `CallSessionObject` (then `sequence` is `None`)."""

    telephony_session_id: str
    sequence: int | None
    session_id: str | None
    server_id: str | None
    event_time: datetime | None
    origin_type: str | None
    parties: tuple[Party, ...]
    account_id: str | None = None
    extension_id: str | None = None

    def party(self, party_id: str) -> Party | None:
        """The party with this id, if present."""
        return next((party for party in self.parties if party.id == party_id), None)

    @classmethod
    def from_dict(cls, raw: Any) -> TelephonySessionEvent:
        what = "telephonySession"
        data = _mapping(raw, what)
        # Notification bodies carry `telephonySessionId`; REST session objects call it `id`.
        tsid = _opt_str(data, "telephonySessionId", what) or _opt_str(data, "id", what)
        if not tsid:
            raise ParseError(f"{what}: telephonySessionId missing (neither telephonySessionId nor id)")
        origin = _opt_mapping(data, "origin", what) or {}
        session_id, server_id, account_id, extension_id = _opt_strs(
            data, what, "sessionId", "serverId", "accountId", "extensionId"
        )
        return cls(
            telephony_session_id=tsid,
            sequence=_opt_int(data, "sequence", what),
            session_id=session_id,
            server_id=server_id,
            event_time=_opt_time(data, "eventTime", what) or _opt_time(data, "creationTime", what),
            origin_type=_opt_str(origin, "type", f"{what}.origin"),
            parties=tuple(
                Party.from_dict(item, f"{what}.parties[{index}]")
                for index, item in enumerate(_list(data, "parties", what))
            ),
            account_id=account_id,
            extension_id=extension_id,
        )


# A REST `GET .../telephony/sessions/{id}` body parses into the same shape (without a sequence).
TelephonySession = TelephonySessionEvent


def parse_telephony_session(body: Any) -> TelephonySessionEvent:
    """Parse a telephony-session notification body or a REST `CallSessionObject`."""
    session = _fast_session(body)
    if session is None:
        session = TelephonySessionEvent.from_dict(body)
    return session


# --- the fast path -----------------------------------------------------------------------------------
# A body that fits the strict shapes of `wire.py` becomes the same model the readers above would make
# of it; anything else (`None` here) is left to the readers, which alone produce `ParseError`s. The
# property tests check that both paths agree.


class _SlowPathError(Exception):
    """The fast path cannot vouch for this body."""


def _fast_session(raw: Any) -> TelephonySessionEvent | None:
    if type(raw) is not dict:
        return None
    try:
        data = msgspec.convert(raw, wire.SessionWire)
        tsid = data.telephony_session_id or data.id
        if not tsid:
            return None
        origin = data.origin
        return TelephonySessionEvent(
            tsid,
            data.sequence,
            data.session_id,
            data.server_id,
            _time_value(data.event_time, "eventTime", "telephonySession")
            or _time_value(data.creation_time, "creationTime", "telephonySession"),
            None if origin is None else origin.type,
            tuple(map(_fast_party, data.parties or ())),
            data.account_id,
            data.extension_id,
        )
    except (msgspec.ValidationError, ParseError, _SlowPathError):
        return None


def _fast_party(party: wire.PartyWire) -> Party:
    if not party.id:
        raise _SlowPathError
    owner = party.owner
    status = party.status
    park_id = None if party.park is None else party.park.id
    return Party(
        party.id,
        party.account_id or (None if owner is None else owner.account_id),
        party.extension_id or (None if owner is None else owner.extension_id),
        party.direction,
        _fast_endpoint(party.from_),
        _fast_endpoint(party.to),
        None if status is None else _fast_status(status, park_id),
        party.missed_call,
        party.stand_alone,
        party.muted,
        party.queue_call,
    )


def _fast_endpoint(endpoint: wire.EndpointWire | None) -> PartyEndpoint | None:
    if endpoint is None:
        return None
    return PartyEndpoint(endpoint.phone_number, endpoint.name, endpoint.extension_id)


def _fast_status(status: wire.StatusWire, park_id: str | None) -> PartyStatus:
    if not status.code:
        raise _SlowPathError
    peer = status.peer_id
    park_data = status.park_data
    return PartyStatus(
        status.code,
        status.reason,
        status.description,
        None if peer is None else peer.session_id,
        None if peer is None else peer.telephony_session_id,
        None if peer is None else peer.party_id,
        park_id or (park_data if isinstance(park_data, str) and park_data else None),
    )
