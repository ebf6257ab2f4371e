"""Diagnostics: the coordinator's view of connection, subscription and call state, with personal data
redacted."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from .const import (
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_CLOUDHOOK_URL,
    CONF_JWT,
    CONF_RING_OUT_FROM,
    CONF_WEBHOOK_ID,
    CONF_WEBHOOK_TOKEN,
)
from .coordinator import RingCentralConfigEntry, RingCentralCoordinator

# Secrets, tokens (the webhook's id and address are secrets too), phone numbers and names.
TO_REDACT = {
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_JWT,
    CONF_WEBHOOK_ID,
    CONF_WEBHOOK_TOKEN,
    CONF_CLOUDHOOK_URL,
    CONF_RING_OUT_FROM,
    "access_token",
    "refresh_token",
    "title",
    "name",
    "from",
    "from_name",
    "to",
    "to_name",
    "extension_number",
    "main_number",
    "phone_number",
    # Messages and recent calls (issue 16): never in a report.
    "text",
    "last_missed_from",
    "last_missed_from_name",
    "recent_calls",
}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: RingCentralConfigEntry
) -> dict[str, Any]:
    """Entry data and options, the client's secret-free state, and the coordinator's state."""
    runtime = entry.runtime_data
    return async_redact_data(
        {
            "entry": {"title": entry.title, "data": dict(entry.data), "options": dict(entry.options)},
            "client": runtime.client.diagnostics(),
            # Still called "hub" (the coordinator's former name): reports keep their shape.
            "hub": _coordinator_diagnostics(runtime.coordinator),
            # Counts and sizes only: the units hold no names, numbers or text in these.
            "messages": runtime.messages.diagnostics(),
            "names": runtime.names.diagnostics(),
        },
        TO_REDACT,
    )


def _coordinator_diagnostics(coordinator: RingCentralCoordinator) -> dict[str, Any]:
    """Everything useful to debug, unredacted (the caller redacts)."""
    account = coordinator.account
    subscription = coordinator.router.subscription
    return {
        "monitor": coordinator.monitor,
        "transport": coordinator.transport_name,
        "connected": coordinator.connected,
        "fresh": coordinator.connection.fresh,
        "account": None if account is None else {"id": account.id, "name": account.name},
        "extensions": {
            ext_id: {"name": info.name, "extension_number": info.extension_number, "type": info.type}
            for ext_id, info in coordinator.extensions.items()
        },
        # The transport's own secret-free state, when it offers one.
        "transport_state": coordinator.push.diagnostics(),
        "subscription": None
        if subscription is None
        else {
            "id": subscription.id,
            "status": subscription.status,
            "transport_type": subscription.transport_type,
            "event_filters": list(subscription.event_filters),
            "disabled_filters": [
                {"filter": f.filter, "reason": f.reason, "message": f.message}
                for f in subscription.disabled_filters
            ],
        },
        "state": {ext_id: coordinator.view(ext_id).as_dict() for ext_id in coordinator.extensions},
        # Call events the lifecycle table refused since start, by "state->event" (engine/lifecycle.py).
        "absorbed_events": dict(coordinator.engine.absorbed),
        # Control (issue 15): permissions the app lacks, presence set and not yet confirmed.
        "control": {
            "missing_permissions": sorted(coordinator.control.missing),
            "presence_edits": coordinator.control.edits.diagnostics(),
        },
    }
