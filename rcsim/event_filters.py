"""Subscription event filters: parse, expand `~`, check what the app and user may see, shape bodies.

The filter families this project needs are understood: extension / account presence, extension /
account telephony sessions, an extension's message store (optionally narrowed by `?type=`), its
voicemail, its instant SMS (`message-store/instant?type=SMS`), and the account's company directory.
Anything else is an invalid filter (`SUB-508`).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from .events import EventKind, SimEvent
from .model import Account, Extension

_FILTER_RE = re.compile(
    r"^/restapi/v1\.0/account/(?P<account>[^/?]+)"
    r"(?:/extension/(?P<extension>[^/?]+))?"
    r"/(?P<resource>presence|telephony/sessions|message-store/instant|message-store|voicemail"
    r"|directory/entries)/?"
    r"(?:\?(?P<query>.*))?$"
)
# Filter resource -> event kind, and where the resource exists (extension level, account level).
_RESOURCES: dict[str, tuple[EventKind, bool, bool]] = {
    "presence": ("presence", True, True),
    "telephony/sessions": ("telephony", True, True),
    "message-store": ("message-store", True, False),
    "message-store/instant": ("instant-message", True, False),
    "voicemail": ("voicemail", True, False),
    "directory/entries": ("directory", False, True),
}
_PATHS: dict[EventKind, str] = {kind: resource for resource, (kind, _, _) in _RESOURCES.items()}
_PRESENCE_PARAMS = frozenset({"detailedTelephonyState", "sipData"})
_BOOLEANS = {"true": True, "false": False}
# `changes[].type` values a message-store filter may narrow to (the spec's spelling first).
_MESSAGE_TYPES = {"voicemail": "Voicemail", "sms": "SMS", "fax": "Fax", "pager": "Pager"}
# Fields a presence notification only carries when detailedTelephonyState=true.
_DETAILED_ONLY = ("activeCalls", "totalActiveCalls", "meetingStatus")
# App permissions each kind of filter needs (account-level presence also needs ReadAccounts).
_PERMISSIONS: dict[EventKind, tuple[str, ...]] = {
    "presence": ("ReadPresence",),
    "telephony": ("CallControl",),
    "message-store": ("ReadMessages",),
    "voicemail": ("ReadMessages",),
    "instant-message": ("ReadMessages",),
    "directory": ("ReadAccounts",),
}
# Kinds whose events are private to their extension: another user's need an administrator.
_PRIVATE: frozenset[EventKind] = frozenset({"telephony", "message-store", "voicemail", "instant-message"})


class FilterError(ValueError):
    """An event filter the simulator (and RingCentral) cannot subscribe to."""


@dataclass(frozen=True, slots=True)
class EventFilter:
    """One parsed event filter with `~` already replaced by real ids."""

    kind: EventKind
    account_id: str
    extension_id: str | None  # None: account level
    query: str = ""
    detailed: bool = False
    sip_data: bool = False
    message_type: str | None = None  # message-store filters narrowed by `?type=`

    @property
    def uri(self) -> str:
        """The filter as RingCentral echoes it back (and uses as a notification's `event`)."""
        path = f"/restapi/v1.0/account/{self.account_id}"
        if self.extension_id is not None:
            path += f"/extension/{self.extension_id}"
        path += "/" + _PATHS[self.kind]
        return f"{path}?{self.query}" if self.query else path

    def matches(self, event: SimEvent) -> bool:
        if event.kind != self.kind or self.extension_id not in (None, event.extension_id):
            return False
        if self.message_type is not None:
            return bool(self._changes(event.body))
        return True

    def _changes(self, body: dict[str, Any]) -> list[Any]:
        wanted = (self.message_type or "").lower()
        return [c for c in body.get("changes", ()) if str(c.get("type", "")).lower() == wanted]

    def shape(self, body: dict[str, Any]) -> dict[str, Any]:
        """A copy of an event body with what this filter did not ask for removed, as RingCentral does."""
        shaped = copy.deepcopy(body)
        if self.message_type is not None:
            shaped["changes"] = self._changes(shaped)
        if self.kind != "presence":
            return shaped
        if not self.detailed:
            for key in _DETAILED_ONLY:
                shaped.pop(key, None)
        elif not self.sip_data:
            for call in shaped.get("activeCalls") or ():
                if isinstance(call, dict):
                    call.pop("sipData", None)
        return shaped


def parse_filter(text: str, account: Account, owner: Extension) -> EventFilter:
    """Parse one filter string; `~` means the account and the subscribing extension."""
    if not isinstance(text, str):
        raise FilterError("event filters must be strings")
    match = _FILTER_RE.match(text.strip())
    if match is None:
        raise FilterError(f"unsupported event filter: {text}")
    account_id = match["account"]
    if account_id == "~":
        account_id = account.id
    extension_id = match["extension"]
    if extension_id == "~":
        extension_id = owner.id
    kind, per_extension, per_account = _RESOURCES[match["resource"]]
    if (extension_id is None and not per_account) or (extension_id is not None and not per_extension):
        raise FilterError(f"unsupported event filter: {text}")
    query = match["query"] or ""
    params = dict(parse_qsl(query, keep_blank_values=True))
    flags: dict[str, bool] = {}
    message_type: str | None = None
    if kind == "presence":
        flags = _presence_flags(params, text)
    elif kind in ("message-store", "instant-message"):
        message_type = _message_type(params, kind, text)
    elif params:
        raise FilterError(f"unsupported parameter '{next(iter(params))}' in event filter: {text}")
    return EventFilter(
        kind=kind,
        account_id=account_id,
        extension_id=extension_id,
        query=query,
        detailed=flags.get("detailedTelephonyState", False),
        sip_data=flags.get("sipData", False),
        # An instant filter is SMS by definition: nothing to narrow.
        message_type=message_type if kind == "message-store" else None,
    )


def _presence_flags(params: dict[str, str], text: str) -> dict[str, bool]:
    flags: dict[str, bool] = {}
    for key, value in params.items():
        if key not in _PRESENCE_PARAMS:
            raise FilterError(f"unsupported parameter '{key}' in event filter: {text}")
        parsed = _BOOLEANS.get(value.lower())
        if parsed is None:
            raise FilterError(f"parameter '{key}' must be true or false in event filter: {text}")
        flags[key] = parsed
    return flags


def _message_type(params: dict[str, str], kind: EventKind, text: str) -> str | None:
    """The `type` a message filter narrows to; instant messages exist for SMS only (`?type=SMS`)."""
    for key in params:
        if key != "type":
            raise FilterError(f"unsupported parameter '{key}' in event filter: {text}")
    raw = params.get("type")
    if raw is None:
        if kind == "instant-message":
            raise FilterError(f"instant message filters need type=SMS: {text}")
        return None
    message_type = _MESSAGE_TYPES.get(raw.lower())
    if message_type is None or (kind == "instant-message" and message_type != "SMS"):
        raise FilterError(f"unsupported message type '{raw}' in event filter: {text}")
    return message_type


@dataclass(frozen=True, slots=True)
class DisabledReason:
    reason: str
    message: str


def disabled_reason(
    event_filter: EventFilter, account: Account, owner: Extension, permissions: Collection[str]
) -> DisabledReason | None:
    """Why the app or user may not use a filter (reported in `disabledFilters`), or None if allowed."""
    if event_filter.account_id != account.id:
        return DisabledReason("AccountNotFound", f"Account [{event_filter.account_id}] is not accessible")
    if event_filter.extension_id is not None and event_filter.extension_id not in account.extensions:
        return DisabledReason("ExtensionNotFound", f"Extension [{event_filter.extension_id}] is not found")
    kind = event_filter.kind
    needed = list(_PERMISSIONS[kind])
    account_level = event_filter.extension_id is None
    if account_level and kind == "presence":
        needed.append("ReadAccounts")
    missing = [name for name in needed if name not in permissions]
    if missing:
        names = ", ".join(missing)
        return DisabledReason(
            "PermissionDenied", f"In order to subscribe, application needs [{names}] permission"
        )
    # Account-wide presence and calls, and another extension's calls or messages, are for
    # administrators only; the company directory is everyone's.
    others = kind in _PRIVATE and event_filter.extension_id not in (None, owner.id)
    account_wide = account_level and kind in ("presence", "telephony")
    if (account_wide or others) and not owner.admin:
        return DisabledReason("AccessDenied", "Only an administrator may subscribe to this event filter")
    return None
