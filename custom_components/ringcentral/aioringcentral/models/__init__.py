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
path (`msgspec.convert` into the strict shapes of `wire.py`, at the end of `presence` and
`sessions`); whatever it cannot vouch for is read by the tolerant readers (`readers`), which alone
raise `ParseError`.

Modules: `codes` (status values, `status_is`), `readers` (field readers, `parse_time`), `presence`,
`sessions` (telephony sessions), `notification` (the envelope, `parse_notification`), `subscription`,
`account` (account and extensions). Import the names from here.
"""

from __future__ import annotations

from .account import AccountInfo, ExtensionInfo
from .codes import (
    DIRECTION_INBOUND,
    DIRECTION_OUTBOUND,
    PARTY_ANSWERED,
    PARTY_DISCONNECTED,
    PARTY_FAX_RECEIVE,
    PARTY_GONE,
    PARTY_HOLD,
    PARTY_PARKED,
    PARTY_PROCEEDING,
    PARTY_SETUP,
    PARTY_TDS,
    PARTY_VOICEMAIL,
    PARTY_VOICEMAIL_SCREENING,
    TELEPHONY_CALL_CONNECTED,
    TELEPHONY_NO_CALL,
    TELEPHONY_ON_HOLD,
    TELEPHONY_PARKED_CALL,
    TELEPHONY_RINGING,
    TERMINATION_FINAL,
    TERMINATION_INTERMEDIATE,
    status_is,
    status_key,
)
from .notification import Notification, parse_notification
from .presence import ActiveCall, Presence, SipData, parse_presence
from .readers import parse_time
from .sessions import (
    Party,
    PartyEndpoint,
    PartyStatus,
    TelephonySession,
    TelephonySessionEvent,
    parse_telephony_session,
)
from .subscription import DisabledFilter, SubscriptionInfo

__all__ = [
    "DIRECTION_INBOUND",
    "DIRECTION_OUTBOUND",
    "PARTY_ANSWERED",
    "PARTY_DISCONNECTED",
    "PARTY_FAX_RECEIVE",
    "PARTY_GONE",
    "PARTY_HOLD",
    "PARTY_PARKED",
    "PARTY_PROCEEDING",
    "PARTY_SETUP",
    "PARTY_TDS",
    "PARTY_VOICEMAIL",
    "PARTY_VOICEMAIL_SCREENING",
    "TELEPHONY_CALL_CONNECTED",
    "TELEPHONY_NO_CALL",
    "TELEPHONY_ON_HOLD",
    "TELEPHONY_PARKED_CALL",
    "TELEPHONY_RINGING",
    "TERMINATION_FINAL",
    "TERMINATION_INTERMEDIATE",
    "AccountInfo",
    "ActiveCall",
    "DisabledFilter",
    "ExtensionInfo",
    "Notification",
    "Party",
    "PartyEndpoint",
    "PartyStatus",
    "Presence",
    "SipData",
    "SubscriptionInfo",
    "TelephonySession",
    "TelephonySessionEvent",
    "parse_notification",
    "parse_presence",
    "parse_telephony_session",
    "parse_time",
    "status_is",
    "status_key",
]
