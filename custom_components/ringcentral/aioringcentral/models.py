"""Typed, immutable views of what RingCentral sends: notifications, presence, telephony sessions, REST info.

Parsers are tolerant where RingCentral is inconsistent and strict where a payload is unusable:

- ids are always `str` (the samples mix JSON numbers and strings);
- enum-like values (statuses, directions, reasons) stay plain `str`, unknown values are kept verbatim;
  compare status codes with `status_is` / `status_key`, which ignore case and separators because the
  guide spells some codes differently from the API (`VoiceMail` / `Voicemail`, `OnHold` / `Hold`…);
- optional fields that are missing or `null` become `None`;
- a payload of the wrong shape (not an object, a list where an object belongs, a required id missing)
  raises `ParseError` with a message naming the field, never `KeyError` / `TypeError`.

Parsing is pure: no I/O and no clock reads.

The models are frozen `msgspec.Struct`s rather than frozen dataclasses: built in C, they cost a
third of the time to create (a frozen dataclass sets each field through `object.__setattr__`) and
less memory (`gc=False`: they hold no reference cycles, so the garbage collector need not track
them). Presence and telephony-session bodies, which come by the thousand, first try a typed fast
path (`msgspec.convert` into the strict shapes of `wire.py`, at the end of this module); whatever it
cannot vouch for is read by the tolerant readers below, which alone raise `ParseError`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import msgspec

from . import filters, wire
from .errors import ParseError
from .filters import FilterKind

# Aggregate and per-call presence `telephonyStatus` values.
TELEPHONY_NO_CALL = "NoCall"
TELEPHONY_RINGING = "Ringing"
TELEPHONY_CALL_CONNECTED = "CallConnected"
TELEPHONY_ON_HOLD = "OnHold"
TELEPHONY_PARKED_CALL = "ParkedCall"

# Telephony-session party `status.code` values.
PARTY_SETUP = "Setup"
PARTY_PROCEEDING = "Proceeding"
PARTY_ANSWERED = "Answered"
PARTY_HOLD = "Hold"
PARTY_PARKED = "Parked"
PARTY_VOICEMAIL = "VoiceMail"
PARTY_VOICEMAIL_SCREENING = "VoiceMailScreening"
PARTY_FAX_RECEIVE = "FaxReceive"
PARTY_TDS = "Tds"
PARTY_GONE = "Gone"
PARTY_DISCONNECTED = "Disconnected"

DIRECTION_INBOUND = "Inbound"
DIRECTION_OUTBOUND = "Outbound"

TERMINATION_FINAL = "final"
TERMINATION_INTERMEDIATE = "intermediate"

_NOT_ALNUM = re.compile(r"[^0-9a-z]")


@lru_cache(maxsize=512)
def status_key(value: str | None) -> str:
    """A comparison key for an enum-like value: lower case without separators (`""` for `None`).

    Cached: the same few dozen status values come in every notification.
    """
    if value is None:
        return ""
    return _NOT_ALNUM.sub("", value.lower())


def status_is(value: str | None, *candidates: str) -> bool:
    """Whether `value` equals any candidate, ignoring case and separators (`Voice_Mail` is `VoiceMail`)."""
    if value is None:
        return False
    key = status_key(value)
    if not key:
        return False
    for candidate in candidates:  # noqa: SIM110 - not any(): no generator on this hot path
        if key == status_key(candidate):
            return True
    return False


# --- field readers -----------------------------------------------------------------------------------


# The readers below test the common JSON types first, by exact type: `isinstance` against an ABC
# (Mapping) or a union costs several times more, and they run for every field of every notification.


def _mapping(raw: Any, what: str) -> Mapping[str, Any]:
    if type(raw) is dict:
        return raw
    if not isinstance(raw, Mapping):
        raise ParseError(f"{what}: expected a JSON object, got {type(raw).__name__}")
    return raw


def _opt_mapping(data: Mapping[str, Any], key: str, what: str) -> Mapping[str, Any] | None:
    value = data.get(key)
    if value is None:
        return None
    return _mapping(value, f"{what}.{key}")


def _list(data: Mapping[str, Any], key: str, what: str) -> list[Any]:
    value = data.get(key)
    if type(value) is list:
        return value
    if value is None:
        return []
    if not isinstance(value, list):
        raise ParseError(f"{what}.{key}: expected a list, got {type(value).__name__}")
    return value


def _opt_str(data: Mapping[str, Any], key: str, what: str) -> str | None:
    """A string field; numbers become strings (ids come as both)."""
    value = data.get(key)
    if value is None or type(value) is str:
        return value
    return _coerce_str(value, key, what)


_STR_OR_NONE: frozenset[type] = frozenset({str, type(None)})


def _opt_strs(data: Mapping[str, Any], what: str, *keys: str) -> list[str | None]:
    """`_opt_str` of several fields in one call: one check for all of them in the usual case."""
    values = list(map(data.get, keys))
    if _STR_OR_NONE.issuperset(map(type, values)):
        return values
    return [
        value if value is None or type(value) is str else _coerce_str(value, key, what)
        for key, value in zip(keys, values, strict=True)
    ]


def _coerce_str(value: Any, key: str, what: str) -> str:
    """The slow path of `_opt_str`: str subclasses and integer ids."""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise ParseError(f"{what}.{key}: expected a string, got {type(value).__name__}")


def _req_str(data: Mapping[str, Any], key: str, what: str) -> str:
    value = _opt_str(data, key, what)
    if value is None or value == "":
        raise ParseError(f"{what}.{key}: required but missing")
    return value


def _opt_bool(data: Mapping[str, Any], key: str, what: str) -> bool | None:
    value = data.get(key)
    if value is None or value is True or value is False:
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ParseError(f"{what}.{key}: expected a boolean, got {type(value).__name__}")


def _opt_int(data: Mapping[str, Any], key: str, what: str) -> int | None:
    value = data.get(key)
    if value is None or type(value) is int:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isascii():
        try:
            return int(value)
        except ValueError:
            pass
    raise ParseError(f"{what}.{key}: expected an integer, got {value!r:.40}")


def parse_time(value: Any, what: str = "time") -> datetime | None:
    """An ISO 8601 timestamp (`Z`, `+00:00` or `+0000`; naive means UTC) or epoch milliseconds, as UTC.

    `None` and `""` give `None`; anything else unreadable raises `ParseError`.
    """
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value / 1000, UTC)
        except (OverflowError, OSError, ValueError) as err:
            raise ParseError(f"{what}: epoch milliseconds out of range: {value!r}") from err
    if not isinstance(value, str):
        raise ParseError(f"{what}: expected a timestamp string, got {type(value).__name__}")
    text = value.strip()
    if text.isascii() and text.isdigit():
        return parse_time(int(text), what)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as err:
        raise ParseError(f"{what}: not an ISO 8601 timestamp: {value!r:.60}") from err
    if parsed.tzinfo is UTC:
        return parsed  # the usual `Z`: nothing to convert
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _opt_time(data: Mapping[str, Any], key: str, what: str) -> datetime | None:
    return _time_value(data.get(key), key, what)


def _time_value(value: Any, key: str, what: str) -> datetime | None:
    """`parse_time` of field `key`; the usual `…Z` first, without building the error's field name."""
    if type(value) is str and value[-1:] == "Z":
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            if parsed.tzinfo is UTC:
                return parsed
    return parse_time(value, f"{what}.{key}")


# --- presence ----------------------------------------------------------------------------------------


class SipData(msgspec.Struct, frozen=True, gc=False):
    """SIP identifiers RingCentral attaches to a presence call when `sipData=true` was asked for."""

    call_id: str | None = None
    to_tag: str | None = None
    from_tag: str | None = None
    remote_uri: str | None = None
    local_uri: str | None = None

    @classmethod
    def from_dict(cls, raw: Any, what: str = "sipData") -> SipData:
        data = _mapping(raw, what)
        call_id, to_tag, from_tag, remote_uri, local_uri = _opt_strs(
            data, what, "callId", "toTag", "fromTag", "remoteUri", "localUri"
        )
        return cls(
            call_id=call_id, to_tag=to_tag, from_tag=from_tag, remote_uri=remote_uri, local_uri=local_uri
        )


class ActiveCall(msgspec.Struct, frozen=True, gc=False):
    """One entry of a presence `activeCalls` list (detailed telephony state)."""

    id: str | None
    direction: str | None
    from_number: str | None
    from_name: str | None
    to_number: str | None
    to_name: str | None
    telephony_status: str | None
    start_time: datetime | None
    session_id: str | None
    telephony_session_id: str | None
    party_id: str | None
    queue_call: bool = False
    termination_type: str | None = None
    sip_data: SipData | None = None

    @property
    def intermediate(self) -> bool:
        """An intermediate leg (e.g. a queue or conference bridge): not a call of its own."""
        return status_is(self.termination_type, TERMINATION_INTERMEDIATE)

    @classmethod
    def from_dict(cls, raw: Any, what: str = "activeCall") -> ActiveCall:
        data = _mapping(raw, what)
        sip = data.get("sipData")
        (
            call_id,
            direction,
            from_number,
            from_legacy,
            from_name,
            to_number,
            to_name,
            status,
            session_id,
            tsid,
            party_id,
            termination,
        ) = _opt_strs(
            data,
            what,
            "id",
            "direction",
            "from",
            "_from",  # GCM deliveries spell it `_from`
            "fromName",
            "to",
            "toName",
            "telephonyStatus",
            "sessionId",
            "telephonySessionId",
            "partyId",
            "terminationType",
        )
        return cls(
            id=call_id,
            direction=direction,
            from_number=from_number or from_legacy,
            from_name=from_name,
            to_number=to_number,
            to_name=to_name,
            telephony_status=status,
            start_time=_opt_time(data, "startTime", what),
            session_id=session_id,
            telephony_session_id=tsid,
            party_id=party_id,
            queue_call=bool(_opt_bool(data, "queueCall", what)),
            termination_type=termination,
            sip_data=None if sip is None else SipData.from_dict(sip, f"{what}.sipData"),
        )


class Presence(msgspec.Struct, frozen=True, gc=False):
    """An extension's presence, from a presence notification body or a REST presence GET.

    `detailed` says whether `active_calls` is meaningful (the body carried `activeCalls`, or the
    filter / request asked for `detailedTelephonyState=true`): a non-detailed presence says nothing
    about individual calls.
    """

    extension_id: str
    telephony_status: str | None
    presence_status: str | None
    user_status: str | None
    dnd_status: str | None
    meeting_status: str | None
    sequence: int | None
    active_calls: tuple[ActiveCall, ...] = ()
    total_active_calls: int | None = None
    detailed: bool = False

    @classmethod
    def from_dict(
        cls, raw: Any, *, extension_id: str | None = None, detailed: bool | None = None
    ) -> Presence:
        """Parse a presence body; `extension_id` is the fallback when the body names none."""
        what = "presence"
        data = _mapping(raw, what)
        ext_id = _opt_str(data, "extensionId", what)
        if ext_id in (None, "", "~"):
            extension = _opt_mapping(data, "extension", what)
            ext_id = None if extension is None else _opt_str(extension, "id", f"{what}.extension")
        if ext_id in (None, "", "~"):
            ext_id = extension_id
        if not ext_id:
            raise ParseError("presence: extensionId missing (neither extensionId nor extension.id)")
        calls = tuple(
            ActiveCall.from_dict(item, f"{what}.activeCalls[{index}]")
            for index, item in enumerate(_list(data, "activeCalls", what))
        )
        telephony, presence, user, dnd, meeting = _opt_strs(
            data, what, "telephonyStatus", "presenceStatus", "userStatus", "dndStatus", "meetingStatus"
        )
        return cls(
            extension_id=ext_id,
            telephony_status=telephony,
            presence_status=presence,
            user_status=user,
            dnd_status=dnd,
            meeting_status=meeting,
            sequence=_opt_int(data, "sequence", what),
            active_calls=calls,
            total_active_calls=_opt_int(data, "totalActiveCalls", what),
            detailed=("activeCalls" in data) if detailed is None else detailed,
        )


def parse_presence(body: Any, *, extension_id: str | None = None, detailed: bool | None = None) -> Presence:
    """Parse a presence notification body or a REST `GetPresenceInfo` body."""
    presence = _fast_presence(body, extension_id, detailed)
    if presence is None:
        presence = Presence.from_dict(body, extension_id=extension_id, detailed=detailed)
    return presence


# --- telephony sessions ------------------------------------------------------------------------------


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


def _fast_presence(raw: Any, extension_id: str | None, detailed: bool | None) -> Presence | None:
    if type(raw) is not dict:
        return None
    try:
        data = msgspec.convert(raw, wire.PresenceWire)
        ext_id = data.extension_id
        if ext_id in (None, "", "~"):
            ext_id = None if data.extension is None else data.extension.id
        if ext_id in (None, "", "~"):
            ext_id = extension_id
        if not ext_id:
            return None
        return Presence(
            ext_id,
            data.telephony_status,
            data.presence_status,
            data.user_status,
            data.dnd_status,
            data.meeting_status,
            data.sequence,
            tuple(map(_fast_call, data.active_calls or ())),
            data.total_active_calls,
            ("activeCalls" in raw) if detailed is None else detailed,
        )
    except (msgspec.ValidationError, ParseError):
        return None


def _fast_call(call: wire.ActiveCallWire) -> ActiveCall:
    return ActiveCall(
        call.id,
        call.direction,
        call.from_number or call.from_legacy,
        call.from_name,
        call.to_number,
        call.to_name,
        call.telephony_status,
        _time_value(call.start_time, "startTime", "activeCall"),
        call.session_id,
        call.telephony_session_id,
        call.party_id,
        bool(call.queue_call),
        call.termination_type,
        _fast_sip(call.sip_data),
    )


def _fast_sip(sip: wire.SipWire | None) -> SipData | None:
    if sip is None:
        return None
    return SipData(sip.call_id, sip.to_tag, sip.from_tag, sip.remote_uri, sip.local_uri)


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


# --- notification envelope ---------------------------------------------------------------------------


class Notification(msgspec.Struct, frozen=True):
    """A push notification envelope; `body` is kept raw, `kind` says which filter it came from."""

    uuid: str | None
    event: str
    timestamp: datetime | None
    subscription_id: str | None
    owner_id: str | None
    body: Mapping[str, Any]
    kind: FilterKind = FilterKind.UNKNOWN

    def presence(self) -> Presence:
        """Parse the body as presence (the event path supplies the extension and detail level)."""
        return parse_presence(
            self.body,
            extension_id=filters.extension_id_of(self.event),
            detailed=filters.is_detailed(self.event) or "activeCalls" in self.body,
        )

    def telephony_session(self) -> TelephonySessionEvent:
        """Parse the body as a telephony-session event."""
        return parse_telephony_session(self.body)


def parse_notification(raw: Any) -> Notification:
    """Parse a notification envelope (also the legacy `pn_apns`-wrapped one the samples use)."""
    what = "notification"
    data = _mapping(raw, what)
    if "body" not in data and isinstance(data.get("pn_apns"), Mapping):
        data = data["pn_apns"]
    event = _req_str(data, "event", what)
    body = _mapping(data.get("body"), f"{what}.body")
    uuid, subscription_id, owner_id = _opt_strs(data, what, "uuid", "subscriptionId", "ownerId")
    return Notification(
        uuid=uuid,
        event=event,
        timestamp=_opt_time(data, "timestamp", what),
        subscription_id=subscription_id,
        owner_id=owner_id,
        body=body,
        kind=filters.classify(event),
    )


# --- subscriptions -----------------------------------------------------------------------------------


class DisabledFilter(msgspec.Struct, frozen=True, gc=False):
    """An event filter RingCentral refused, with why (e.g. a missing permission)."""

    filter: str
    reason: str | None
    message: str | None

    @classmethod
    def from_dict(cls, raw: Any, what: str = "disabledFilter") -> DisabledFilter:
        data = _mapping(raw, what)
        return cls(
            filter=_req_str(data, "filter", what),
            reason=_opt_str(data, "reason", what),
            message=_opt_str(data, "message", what),
        )


@dataclass(frozen=True, slots=True)
class SubscriptionInfo:
    """A subscription as RingCentral reports it after create, read, update or renew."""

    id: str
    event_filters: tuple[str, ...]
    disabled_filters: tuple[DisabledFilter, ...]
    expires_in: int | None
    expiration_time: datetime | None
    status: str | None
    delivery_mode: Mapping[str, Any] = field(hash=False)
    blacklisted_reason: str | None = None

    @property
    def transport_type(self) -> str | None:
        """`WebSocket`, `PubNub`, `WebHook`… as reported in `deliveryMode`."""
        value = self.delivery_mode.get("transportType")
        return value if isinstance(value, str) else None

    @property
    def blacklisted(self) -> bool:
        """A blacklisted subscription never delivers again: delete and re-create it."""
        return status_is(self.status, "Blacklisted")

    @classmethod
    def from_dict(cls, raw: Any) -> SubscriptionInfo:
        what = "subscription"
        data = _mapping(raw, what)
        filters_raw = _list(data, "eventFilters", what)
        event_filters = []
        for index, item in enumerate(filters_raw):
            if not isinstance(item, str):
                raise ParseError(f"{what}.eventFilters[{index}]: expected a string")
            event_filters.append(item)
        blacklisted = _opt_mapping(data, "blacklistedData", what) or {}
        delivery = _opt_mapping(data, "deliveryMode", what) or {}
        return cls(
            id=_req_str(data, "id", what),
            event_filters=tuple(event_filters),
            disabled_filters=tuple(
                DisabledFilter.from_dict(item, f"{what}.disabledFilters[{index}]")
                for index, item in enumerate(_list(data, "disabledFilters", what))
            ),
            expires_in=_opt_int(data, "expiresIn", what),
            expiration_time=_opt_time(data, "expirationTime", what),
            status=_opt_str(data, "status", what),
            delivery_mode=dict(delivery),
            blacklisted_reason=_opt_str(blacklisted, "reason", f"{what}.blacklistedData"),
        )


# --- account and extensions --------------------------------------------------------------------------


class AccountInfo(msgspec.Struct, frozen=True, gc=False):
    """The account (`GET /restapi/v1.0/account/~`)."""

    id: str
    main_number: str | None
    name: str | None
    status: str | None

    @classmethod
    def from_dict(cls, raw: Any) -> AccountInfo:
        what = "account"
        data = _mapping(raw, what)
        # The account resource has no documented display name; accept the fields seen in practice.
        name = _opt_str(data, "name", what) or _opt_str(data, "companyName", what)
        return cls(
            id=_req_str(data, "id", what),
            main_number=_opt_str(data, "mainNumber", what),
            name=name,
            status=_opt_str(data, "status", what),
        )


class ExtensionInfo(msgspec.Struct, frozen=True, gc=False):
    """An extension (`GET .../extension/{id}` or one record of the extension list)."""

    id: str
    extension_number: str | None
    name: str | None
    type: str | None
    status: str | None
    is_admin: bool = False
    permissions: tuple[str, ...] = ()
    account_id: str | None = None
    # `contact.businessPhone`: the number in the user's profile, usually their direct number.
    business_phone: str | None = None

    @classmethod
    def from_dict(cls, raw: Any) -> ExtensionInfo:
        what = "extension"
        data = _mapping(raw, what)
        name = _opt_str(data, "name", what)
        contact = _opt_mapping(data, "contact", what) or {}
        if not name:
            parts = [_opt_str(contact, "firstName", what), _opt_str(contact, "lastName", what)]
            name = " ".join(part for part in parts if part) or None
        permissions_raw = _opt_mapping(data, "permissions", what) or {}
        # `permissions` is `{name: {enabled: bool}}`: keep the names that are enabled.
        enabled = tuple(
            sorted(
                key
                for key, value in permissions_raw.items()
                if isinstance(value, Mapping) and value.get("enabled") is True
            )
        )
        account = _opt_mapping(data, "account", what) or {}
        return cls(
            id=_req_str(data, "id", what),
            extension_number=_opt_str(data, "extensionNumber", what),
            name=name,
            type=_opt_str(data, "type", what),
            status=_opt_str(data, "status", what),
            is_admin="admin" in enabled,
            permissions=enabled,
            account_id=_opt_str(account, "id", f"{what}.account"),
            business_phone=_opt_str(contact, "businessPhone", f"{what}.contact") or None,
        )
