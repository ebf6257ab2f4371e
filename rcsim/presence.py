"""Presence rules: how call-party states roll up into an extension's presence.

Pure functions, no state. The choices below are ours where RingCentral does not document them;
each is marked with the evidence it rests on.
"""

from __future__ import annotations

from collections.abc import Iterable

TELEPHONY_STATUSES: tuple[str, ...] = ("NoCall", "CallConnected", "Ringing", "OnHold", "ParkedCall")
USER_STATUSES: tuple[str, ...] = ("Offline", "Busy", "Available")
DND_STATUSES: tuple[str, ...] = (
    "TakeAllCalls",
    "DoNotAcceptAnyCalls",
    "DoNotAcceptDepartmentCalls",
    "TakeDepartmentCallsOnly",
)

# Aggregate precedence when several calls coexist, highest first. Evidence: the official
# presence samples report OnHold for {OnHold, Ringing} and CallConnected for {CallConnected, NoCall}.
# CallConnected above OnHold (the user is talking on one line while another waits) and Ringing above
# ParkedCall (a parked call no longer occupies the user) are our choice.
PRECEDENCE: tuple[str, ...] = ("CallConnected", "OnHold", "Ringing", "ParkedCall", "NoCall")

# Telephony party status code -> the call's presence `telephonyStatus`.
# Outbound Setup/Proceeding (dialling, far end ringing) shows as Ringing: UNVERIFIED, kept in one place.
PRESENCE_OF_CODE: dict[str, str] = {
    "Setup": "Ringing",
    "Proceeding": "Ringing",
    "Answered": "CallConnected",
    "Hold": "OnHold",
    "Parked": "ParkedCall",
    # The phone stops ringing when the call goes to voicemail: the user is no longer on it.
    "VoiceMail": "NoCall",
    "Disconnected": "NoCall",
    "Gone": "NoCall",
}

# Party codes after which the call has left the extension's presence (ended for the user).
PRESENCE_ENDED_CODES: frozenset[str] = frozenset({"VoiceMail", "Disconnected", "Gone"})
# Party codes after which the party takes no further part in the session.
TERMINAL_CODES: frozenset[str] = frozenset({"Disconnected", "Gone"})

# Call states that make the aggregated presenceStatus Busy. Ringing does not: the seed page's sample
# shows presenceStatus Available while Ringing; the samples show Busy with CallConnected/OnHold.
_BUSY_CALL_STATUSES: frozenset[str] = frozenset({"CallConnected", "OnHold"})


def call_presence_status(code: str) -> str:
    """The presence telephonyStatus of one call whose party has status `code`."""
    return PRESENCE_OF_CODE.get(code, "NoCall")


def aggregate_status(statuses: Iterable[str]) -> str:
    """The extension's telephonyStatus for its calls' statuses, by `PRECEDENCE`."""
    present = set(statuses)
    for status in PRECEDENCE:
        if status in present:
            return status
    return "NoCall"


def presence_status(user_status: str, dnd_status: str, aggregate: str) -> str:
    """RingCentral's aggregated presenceStatus from the user's own status, DND and calls.

    Offline wins (the user published it); being on a call or on hold means Busy; so does a user-set
    Busy and DND "DoNotAcceptAnyCalls" (UNVERIFIED: the docs only say "calculated from a number of
    sources"); otherwise Available.
    """
    if user_status == "Offline":
        return "Offline"
    if aggregate in _BUSY_CALL_STATUSES or user_status == "Busy" or dnd_status == "DoNotAcceptAnyCalls":
        return "Busy"
    return "Available"
