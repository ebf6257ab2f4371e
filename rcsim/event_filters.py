"""Subscription event filters: parse, expand `~`, check what the app and user may see, shape bodies.

Only the four filter families this project needs are understood (extension / account presence and
extension / account telephony sessions); anything else is an invalid filter (`SUB-508`).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qsl

from .events import SimEvent
from .model import Account, Extension

_FILTER_RE = re.compile(
    r"^/restapi/v1\.0/account/(?P<account>[^/?]+)"
    r"(?:/extension/(?P<extension>[^/?]+))?"
    r"/(?P<resource>presence|telephony/sessions)/?"
    r"(?:\?(?P<query>.*))?$"
)
_PRESENCE_PARAMS = frozenset({"detailedTelephonyState", "sipData"})
_BOOLEANS = {"true": True, "false": False}
# Fields a presence notification only carries when detailedTelephonyState=true.
_DETAILED_ONLY = ("activeCalls", "totalActiveCalls", "meetingStatus")


class FilterError(ValueError):
    """An event filter the simulator (and RingCentral) cannot subscribe to."""


@dataclass(frozen=True, slots=True)
class EventFilter:
    """One parsed event filter with `~` already replaced by real ids."""

    kind: Literal["presence", "telephony"]
    account_id: str
    extension_id: str | None  # None: account level
    query: str = ""
    detailed: bool = False
    sip_data: bool = False

    @property
    def uri(self) -> str:
        """The filter as RingCentral echoes it back (and uses as a notification's `event`)."""
        path = f"/restapi/v1.0/account/{self.account_id}"
        if self.extension_id is not None:
            path += f"/extension/{self.extension_id}"
        path += "/presence" if self.kind == "presence" else "/telephony/sessions"
        return f"{path}?{self.query}" if self.query else path

    def matches(self, event: SimEvent) -> bool:
        return event.kind == self.kind and self.extension_id in (None, event.extension_id)

    def shape(self, body: dict[str, Any]) -> dict[str, Any]:
        """A copy of an event body with what this filter did not ask for removed, as RingCentral does."""
        shaped = copy.deepcopy(body)
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
    query = match["query"] or ""
    kind: Literal["presence", "telephony"] = "presence" if match["resource"] == "presence" else "telephony"
    flags = _parse_query(query, kind, text)
    return EventFilter(
        kind=kind,
        account_id=account_id,
        extension_id=extension_id,
        query=query,
        detailed=flags.get("detailedTelephonyState", False),
        sip_data=flags.get("sipData", False),
    )


def _parse_query(query: str, kind: str, text: str) -> dict[str, bool]:
    flags: dict[str, bool] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        if kind != "presence" or key not in _PRESENCE_PARAMS:
            raise FilterError(f"unsupported parameter '{key}' in event filter: {text}")
        parsed = _BOOLEANS.get(value.lower())
        if parsed is None:
            raise FilterError(f"parameter '{key}' must be true or false in event filter: {text}")
        flags[key] = parsed
    return flags


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
    needed = ["ReadPresence"] if event_filter.kind == "presence" else ["CallControl"]
    account_level = event_filter.extension_id is None
    if account_level and event_filter.kind == "presence":
        needed.append("ReadAccounts")
    missing = [name for name in needed if name not in permissions]
    if missing:
        names = ", ".join(missing)
        return DisabledReason(
            "PermissionDenied", f"In order to subscribe, application needs [{names}] permission"
        )
    # Account-wide filters, and another extension's telephony sessions, are for administrators only.
    others_calls = event_filter.kind == "telephony" and event_filter.extension_id not in (None, owner.id)
    if (account_level or others_calls) and not owner.admin:
        return DisabledReason("AccessDenied", "Only an administrator may subscribe to this event filter")
    return None
