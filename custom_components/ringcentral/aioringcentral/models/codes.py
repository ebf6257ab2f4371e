"""Enum-like values RingCentral sends, and how to compare them (`status_is`, `status_key`).

Statuses, directions and reasons stay plain `str` in the models (unknown values are kept verbatim);
the guide spells some codes differently from the API (`VoiceMail` / `Voicemail`, `OnHold` / `Hold`…),
so compare them ignoring case and separators.
"""

from __future__ import annotations

import re
from functools import lru_cache

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
