"""Repair issues the entry raises: missing app permissions (for watching, or for the control features),
refused notification filters, and a chosen transport RingCentral (or Home Assistant) could not provide.

None is fixable by a flow (the user acts in the RingCentral developer console or in the options), so
there is no `repairs` platform; this module only creates and deletes the issues.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .aioringcentral.errors import TransportUnavailableError
from .aioringcentral.filters import PERMISSIONS, classify
from .aioringcentral.models import DisabledFilter
from .const import (
    DOMAIN,
    FEATURE_CONTACTS,
    FEATURE_MESSAGES,
    FEATURE_PERMISSIONS,
    FEATURE_SMS,
    ISSUE_CONTROL_PERMISSIONS,
    ISSUE_FEATURE_PERMISSION,
    ISSUE_FILTERS_REFUSED,
    ISSUE_MISSING_PERMISSIONS,
    ISSUE_MONITORED_ELSEWHERE,
    ISSUE_TRANSPORT_UNAVAILABLE,
)

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry


def permissions_for_filters(event_filters: Iterable[str]) -> list[str]:
    """The app permissions the given event filters need, in a stable order."""
    needed: dict[str, None] = {}
    for event_filter in event_filters:
        for permission in PERMISSIONS.get(classify(event_filter)) or ("ReadPresence", "CallControl"):
            needed[permission] = None
    return list(needed)


@callback
def async_create_missing_permissions_issue(
    hass: HomeAssistant, entry: ConfigEntry, permissions: Iterable[str]
) -> None:
    """A repair issue naming the permissions to add in the RingCentral developer console."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        f"{ISSUE_MISSING_PERMISSIONS}_{entry.entry_id}",
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key=ISSUE_MISSING_PERMISSIONS,
        translation_placeholders={
            "title": entry.title,
            "permissions": ", ".join(permissions) or "ReadAccounts, ReadPresence, CallControl",
        },
    )


@callback
def async_delete_missing_permissions_issue(hass: HomeAssistant, entry: ConfigEntry) -> None:
    ir.async_delete_issue(hass, DOMAIN, f"{ISSUE_MISSING_PERMISSIONS}_{entry.entry_id}")


@callback
def async_create_filters_refused_issue(
    hass: HomeAssistant, entry: ConfigEntry, disabled: Iterable[DisabledFilter]
) -> None:
    """A repair issue naming the refused filters, RingCentral's reasons and the permissions to add."""
    refused = list(disabled)
    ir.async_create_issue(
        hass,
        DOMAIN,
        f"{ISSUE_FILTERS_REFUSED}_{entry.entry_id}",
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key=ISSUE_FILTERS_REFUSED,
        translation_placeholders={
            "title": entry.title,
            "filters": ", ".join(f.filter for f in refused),
            "reasons": "; ".join(f.message or f.reason or "" for f in refused),
            "permissions": ", ".join(permissions_for_filters(f.filter for f in refused)),
        },
    )


@callback
def async_delete_filters_refused_issue(hass: HomeAssistant, entry: ConfigEntry) -> None:
    ir.async_delete_issue(hass, DOMAIN, f"{ISSUE_FILTERS_REFUSED}_{entry.entry_id}")


def transport_issue_id(entry_id: str, transport: str) -> str:
    return f"{ISSUE_TRANSPORT_UNAVAILABLE.format(transport=transport)}_{entry_id}"


@callback
def async_create_transport_issue(
    hass: HomeAssistant, entry: ConfigEntry, transport: str, err: TransportUnavailableError
) -> None:
    """A repair issue: `transport` is unavailable (RingCentral's reason and code), WebSocket is used."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        transport_issue_id(entry.entry_id, transport),
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=ISSUE_TRANSPORT_UNAVAILABLE.format(transport=transport),
        translation_placeholders={
            "title": entry.title,
            "reason": err.message,
            "error_code": err.error_code or (str(err.status) if err.status else "none"),
        },
    )


@callback
def async_delete_transport_issue(hass: HomeAssistant, entry: ConfigEntry, transport: str) -> None:
    ir.async_delete_issue(hass, DOMAIN, transport_issue_id(entry.entry_id, transport))


@callback
def async_update_monitored_elsewhere_issue(
    hass: HomeAssistant, entry: ConfigEntry, skipped: Iterable[tuple[str, str]]
) -> None:
    """A repair issue listing the extensions `entry` skips, each with the entry that monitors it
    (`skipped`: extension name, that entry's title); deleted when there are none."""
    issue_id = f"{ISSUE_MONITORED_ELSEWHERE}_{entry.entry_id}"
    pairs = sorted(skipped)
    if not pairs:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=ISSUE_MONITORED_ELSEWHERE,
        translation_placeholders={
            "title": entry.title,
            "extensions": "; ".join(f"{name} ({other})" for name, other in pairs),
        },
    )


# --- Control permissions (issue 15): features that stay off without them ------------------------------


@callback
def async_create_control_permissions_issue(
    hass: HomeAssistant, entry: ConfigEntry, permissions: Iterable[str]
) -> None:
    """A repair issue naming the control permissions to add; the features needing them are off."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        f"{ISSUE_CONTROL_PERMISSIONS}_{entry.entry_id}",
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=ISSUE_CONTROL_PERMISSIONS,
        translation_placeholders={"title": entry.title, "permissions": ", ".join(permissions)},
    )


@callback
def async_delete_control_permissions_issue(hass: HomeAssistant, entry: ConfigEntry) -> None:
    ir.async_delete_issue(hass, DOMAIN, f"{ISSUE_CONTROL_PERMISSIONS}_{entry.entry_id}")


# --- Features beside the call state (issue 16) -------------------------------------------------------

# Feature → the repair issue saying its app permission is missing (one translation each).
_FEATURE_ISSUES: dict[str, str] = {
    FEATURE_MESSAGES: "messages_permission",
    FEATURE_SMS: "sms_permission",
    FEATURE_CONTACTS: "contacts_permission",
}


def feature_issue_id(entry_id: str, feature: str) -> str:
    return f"{ISSUE_FEATURE_PERMISSION.format(feature=feature)}_{entry_id}"


@callback
def async_create_feature_issue(hass: HomeAssistant, entry: ConfigEntry, feature: str) -> None:
    """A repair issue: `feature` is off (the rest works) until the app gets its permission."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        feature_issue_id(entry.entry_id, feature),
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=_FEATURE_ISSUES[feature],
        translation_placeholders={"title": entry.title, "permission": FEATURE_PERMISSIONS[feature]},
    )


@callback
def async_delete_feature_issue(hass: HomeAssistant, entry: ConfigEntry, feature: str) -> None:
    ir.async_delete_issue(hass, DOMAIN, feature_issue_id(entry.entry_id, feature))
