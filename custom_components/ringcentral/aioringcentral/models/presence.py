"""Presence: an extension's presence and the calls it lists (`activeCalls`), with its typed fast path."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from .. import wire
from ..errors import ParseError
from .codes import TERMINATION_INTERMEDIATE, status_is
from .readers import (
    _list,
    _mapping,
    _opt_bool,
    _opt_int,
    _opt_mapping,
    _opt_str,
    _opt_strs,
    _opt_time,
    _time_value,
)


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


# --- the fast path -----------------------------------------------------------------------------------
# A body that fits the strict shapes of `wire.py` becomes the same model the readers above would make
# of it; anything else (`None` here) is left to the readers, which alone produce `ParseError`s. The
# property tests check that both paths agree.


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
