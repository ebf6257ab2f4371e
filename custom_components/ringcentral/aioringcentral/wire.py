"""The JSON shapes of the two notification bodies that come by the thousand, as strict msgspec types.

`msgspec.convert` checks a decoded body against these in C, several times faster than the readers
in `models` walk it in Python. They are deliberately strict: ids only as strings, integers only
as integers, booleans only as booleans, timestamps as strings (parsed by `models.parse_time`, not by
msgspec, whose RFC 3339 reader accepts and rounds differently). Whatever does not fit (a numeric id,
`"true"`, epoch milliseconds, a legacy field, a malformed body) is left to the tolerant readers,
which give the same model or the same `ParseError` as before: this is only a fast path.

Keys are camelCase unless a field names its own; keys the models do not read are ignored, as the
readers ignore them. Like the models, these are immutable and untracked by the garbage collector.
"""

from __future__ import annotations

from typing import Any

import msgspec


class SipWire(msgspec.Struct, frozen=True, gc=False, rename="camel"):
    call_id: str | None = None
    to_tag: str | None = None
    from_tag: str | None = None
    remote_uri: str | None = None
    local_uri: str | None = None


class ActiveCallWire(msgspec.Struct, frozen=True, gc=False, rename="camel"):
    id: str | None = None
    direction: str | None = None
    from_number: str | None = msgspec.field(default=None, name="from")
    from_legacy: str | None = msgspec.field(default=None, name="_from")  # GCM deliveries spell it so
    from_name: str | None = None
    to_number: str | None = msgspec.field(default=None, name="to")
    to_name: str | None = None
    telephony_status: str | None = None
    start_time: str | None = None
    session_id: str | None = None
    telephony_session_id: str | None = None
    party_id: str | None = None
    queue_call: bool | None = None
    termination_type: str | None = None
    sip_data: SipWire | None = None


class ExtensionRefWire(msgspec.Struct, frozen=True, gc=False, rename="camel"):
    id: str | None = None


class PresenceWire(msgspec.Struct, frozen=True, gc=False, rename="camel"):
    extension_id: str | None = None
    extension: ExtensionRefWire | None = None
    telephony_status: str | None = None
    presence_status: str | None = None
    user_status: str | None = None
    dnd_status: str | None = None
    meeting_status: str | None = None
    sequence: int | None = None
    active_calls: tuple[ActiveCallWire, ...] | None = None
    total_active_calls: int | None = None


class EndpointWire(msgspec.Struct, frozen=True, gc=False, rename="camel"):
    phone_number: str | None = None
    name: str | None = None
    extension_id: str | None = None


class PeerWire(msgspec.Struct, frozen=True, gc=False, rename="camel"):
    session_id: str | None = None
    telephony_session_id: str | None = None
    party_id: str | None = None


class StatusWire(msgspec.Struct, frozen=True, gc=False, rename="camel"):
    code: str | None = None
    reason: str | None = None
    description: str | None = None
    peer_id: PeerWire | None = None
    park_data: Any = None  # only a non-empty string means something


class OwnerWire(msgspec.Struct, frozen=True, gc=False, rename="camel"):
    account_id: str | None = None
    extension_id: str | None = None


class PartyWire(msgspec.Struct, frozen=True, gc=False, rename="camel"):
    id: str | None = None
    account_id: str | None = None
    extension_id: str | None = None
    direction: str | None = None
    from_: EndpointWire | None = msgspec.field(default=None, name="from")
    to: EndpointWire | None = None
    status: StatusWire | None = None
    missed_call: bool | None = None
    stand_alone: bool | None = None
    muted: bool | None = None
    queue_call: bool | None = None
    park: ExtensionRefWire | None = None
    owner: OwnerWire | None = None


class OriginWire(msgspec.Struct, frozen=True, gc=False, rename="camel"):
    type: str | None = None


class SessionWire(msgspec.Struct, frozen=True, gc=False, rename="camel"):
    telephony_session_id: str | None = None
    id: str | None = None
    sequence: int | None = None
    session_id: str | None = None
    server_id: str | None = None
    event_time: str | None = None
    creation_time: str | None = None
    origin: OriginWire | None = None
    parties: tuple[PartyWire, ...] | None = None
    account_id: str | None = None
    extension_id: str | None = None
