"""Which extensions the integration offers and how it names them (shared by the config flow and the
runtime; imports nothing of either)."""

from __future__ import annotations

from .aioringcentral.models import ExtensionInfo
from .aioringcentral.rest import RingCentralClient

# What "every user extension" means, in RingCentral's extension list filters.
USER_TYPES = ("User",)
ENABLED = ("Enabled",)


def extension_name(info: ExtensionInfo) -> str:
    """What a person calls the extension."""
    return info.name or f"Extension {info.extension_number or info.id}"


async def async_list_user_extensions(client: RingCentralClient) -> list[ExtensionInfo]:
    """Every enabled user extension of the account (all pages)."""
    return await client.list_extensions(types=USER_TYPES, statuses=ENABLED)
