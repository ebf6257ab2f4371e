"""Event filters this library subscribes to, the permission each needs, and classification of a
notification's `event` path.

RingCentral echoes filters back with `~` expanded to real ids and may reorder the query or add a
trailing slash, so `classify` matches on structure, not on the exact string.
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import lru_cache
from urllib.parse import parse_qsl, urlsplit

_PREFIX = "/restapi/v1.0/account/~"
# An extension id in a filter: RingCentral's digits, or `~` for "me" (nothing that could change the path).
_EXTENSION_ID = re.compile(r"^(~|[A-Za-z0-9_-]+)$")
# Every notification's `event` path is classified, and a subscription sends only a few distinct
# paths (one per filter), so what a path means is remembered rather than parsed again each time.
_PATHS_REMEMBERED = 256


class FilterKind(StrEnum):
    """Which kind of filter produced a notification."""

    PRESENCE = "presence"
    ACCOUNT_PRESENCE = "account_presence"
    TELEPHONY_SESSIONS = "telephony_sessions"
    MESSAGE_STORE = "message_store"
    VOICEMAIL = "voicemail"
    INSTANT_MESSAGE = "instant_message"
    DIRECTORY = "directory"
    UNKNOWN = "unknown"


# The app permission RingCentral wants for each kind of filter (a filter without it comes back in
# `disabledFilters`): what a repair issue should name.
PERMISSIONS: dict[FilterKind, tuple[str, ...]] = {
    FilterKind.PRESENCE: ("ReadPresence",),
    FilterKind.ACCOUNT_PRESENCE: ("ReadPresence", "ReadAccounts"),
    FilterKind.TELEPHONY_SESSIONS: ("CallControl",),
    FilterKind.MESSAGE_STORE: ("ReadMessages",),
    FilterKind.VOICEMAIL: ("ReadMessages",),
    FilterKind.INSTANT_MESSAGE: ("ReadMessages",),
    FilterKind.DIRECTORY: ("ReadAccounts",),
    FilterKind.UNKNOWN: (),
}


def extension_presence(extension_id: str = "~") -> str:
    """Detailed presence of one extension, with SIP data (ReadPresence)."""
    return f"{_PREFIX}/extension/{_checked(extension_id)}/presence?detailedTelephonyState=true&sipData=true"


def extension_telephony_sessions(extension_id: str = "~") -> str:
    """Telephony-session events of one extension's parties (CallControl)."""
    return f"{_PREFIX}/extension/{_checked(extension_id)}/telephony/sessions"


def extension_message_store(extension_id: str = "~") -> str:
    """Changes to one extension's mailbox: `changes[]` of `{type, newCount, updatedCount}` (ReadMessages)."""
    return f"{_PREFIX}/extension/{_checked(extension_id)}/message-store"


def extension_voicemail(extension_id: str = "~") -> str:
    """Each new voicemail of one extension, as the message (ReadMessages)."""
    return f"{_PREFIX}/extension/{_checked(extension_id)}/voicemail"


def extension_instant_sms(extension_id: str = "~") -> str:
    """Each SMS one extension receives, as the message (ReadMessages)."""
    return f"{_PREFIX}/extension/{_checked(extension_id)}/message-store/instant?type=SMS"


def account_directory() -> str:
    """Changes to the company directory (ReadAccounts)."""
    return f"{_PREFIX}/directory/entries"


def _checked(extension_id: str) -> str:
    """`ValueError` for anything that is not an extension id (it would silently change the filter)."""
    if not isinstance(extension_id, str) or not _EXTENSION_ID.match(extension_id):
        raise ValueError(f"not an extension id: {extension_id!r:.40}")
    return extension_id


def account_presence() -> str:
    """Detailed presence of every extension of the account, one event per changed extension."""
    return f"{_PREFIX}/presence?detailedTelephonyState=true"


def account_telephony_sessions() -> str:
    """Telephony-session events of the whole account (reported to fire only for admins)."""
    return f"{_PREFIX}/telephony/sessions"


def _segments(event_path: str) -> list[str]:
    """Path segments after `restapi/<version>`, lower-cased except ids (which keep their spelling)."""
    path = urlsplit(event_path.strip()).path
    parts = [part for part in path.split("/") if part]
    if len(parts) >= 2 and parts[0].lower() == "restapi":
        parts = parts[2:]
    return parts


@lru_cache(maxsize=_PATHS_REMEMBERED)
def _kind_and_id(event_path: str) -> tuple[FilterKind, str | None]:
    """Kind and extension id (or `None`) of an event path (cached: pure, and paths repeat)."""
    return _match(_segments(event_path))


def _match(parts: list[str]) -> tuple[FilterKind, str | None]:
    """Kind and extension id (or `None`) of a filter path split into segments."""
    lowered = [part.lower() for part in parts]
    if len(lowered) < 3 or lowered[0] != "account":
        return FilterKind.UNKNOWN, None
    rest = lowered[2:]
    if rest == ["presence"]:
        return FilterKind.ACCOUNT_PRESENCE, None
    if rest == ["telephony", "sessions"]:
        return FilterKind.TELEPHONY_SESSIONS, None
    if rest == ["directory", "entries"]:
        return FilterKind.DIRECTORY, None
    if len(rest) >= 3 and rest[0] == "extension":
        kind = _EXTENSION_KINDS.get(tuple(rest[2:]))
        if kind is not None:
            return kind, parts[3]
    return FilterKind.UNKNOWN, None


# Extension-level filter paths after `extension/{id}`, lower case.
_EXTENSION_KINDS: dict[tuple[str, ...], FilterKind] = {
    ("presence",): FilterKind.PRESENCE,
    ("telephony", "sessions"): FilterKind.TELEPHONY_SESSIONS,
    ("message-store",): FilterKind.MESSAGE_STORE,
    ("voicemail",): FilterKind.VOICEMAIL,
    ("message-store", "instant"): FilterKind.INSTANT_MESSAGE,
}


def classify(event_path: str) -> FilterKind:
    """The kind of filter an `event` path belongs to (`UNKNOWN` for anything else, never an error)."""
    return _kind_and_id(event_path)[0]


def required_permissions(event_path: str) -> tuple[str, ...]:
    """The app permissions a filter (or notification `event` path) needs; `()` when unknown."""
    return PERMISSIONS[classify(event_path)]


def extension_id_of(event_path: str) -> str | None:
    """The extension id an extension-level event path names (`None` for `~` or account-level paths)."""
    extension_id = _kind_and_id(event_path)[1]
    return None if extension_id in (None, "~") else extension_id


@lru_cache(maxsize=_PATHS_REMEMBERED)
def is_detailed(event_path: str) -> bool:
    """Whether the path asks for detailed telephony state (presence with `activeCalls`)."""
    query = urlsplit(event_path.strip()).query
    return any(
        key.lower() == "detailedtelephonystate" and value.lower() == "true"
        for key, value in parse_qsl(query, keep_blank_values=True)
    )
