"""Diagnostics: the hub's view of connection, subscription and call state, with personal data redacted."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from . import RingCentralConfigEntry
from .const import (
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_CLOUDHOOK_URL,
    CONF_JWT,
    CONF_WEBHOOK_ID,
    CONF_WEBHOOK_TOKEN,
)

# Secrets, tokens (the webhook's id and address are secrets too), phone numbers and names.
TO_REDACT = {
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_JWT,
    CONF_WEBHOOK_ID,
    CONF_WEBHOOK_TOKEN,
    CONF_CLOUDHOOK_URL,
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
}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: RingCentralConfigEntry
) -> dict[str, Any]:
    """Entry data and options, the client's secret-free state, and the hub's state."""
    hub = entry.runtime_data
    return async_redact_data(
        {
            "entry": {"title": entry.title, "data": dict(entry.data), "options": dict(entry.options)},
            "client": hub.client.diagnostics(),
            "hub": hub.diagnostics(),
        },
        TO_REDACT,
    )
