"""Checking credentials: log in with them, read whom they log in as, and log out again.

The config flow's user, reauth and reconfigure steps all check credentials this way; a failure is a
`CredentialsError` naming the form error to show.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from yarl import URL

from .aioringcentral.auth import TokenSet
from .aioringcentral.errors import (
    InvalidCredentialsError,
    MissingPermissionsError,
    RingCentralError,
    TemporarilyUnavailableError,
)
from .aioringcentral.rest import RingCentralClient
from .const import CONF_CLIENT_ID, CONF_CLIENT_SECRET, CONF_JWT, CONF_SERVER, LOGGER
from .extensions import extension_name

# App permissions the integration needs; named in the missing_permissions error.
REQUIRED_PERMISSIONS = ("ReadAccounts", "ReadPresence", "CallControl", "WebSocketsSubscriptions")


@dataclass(frozen=True)
class Identity:
    """Who the credentials log in as."""

    account_id: str
    extension_id: str
    title: str

    @property
    def unique_id(self) -> str:
        return f"{self.account_id}_{self.extension_id}"


class CredentialsError(Exception):
    """A user-facing validation failure: `error` is the config flow's form error (its translation key),
    `placeholders` fill it."""

    def __init__(self, error: str, placeholders: dict[str, str] | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.placeholders = placeholders or {}


def normalise_server(server: str) -> str:
    """The server URL without a trailing slash; raises CredentialsError for anything but http(s)."""
    try:
        url = URL(server.strip())
    except ValueError as err:
        raise CredentialsError("invalid_url") from err
    if url.scheme not in ("http", "https") or not url.host:
        raise CredentialsError("invalid_url")
    return str(url).rstrip("/")


def _check_scope(tokens: TokenSet) -> None:
    """Name missing permissions before anything fails (the token's scope lists the app's permissions)."""
    granted = set(tokens.scope.split()) if tokens.scope else None
    if granted is not None and (missing := [p for p in REQUIRED_PERMISSIONS if p not in granted]):
        raise MissingPermissionsError("The app lacks permissions", tuple(missing))


async def async_validate(hass: HomeAssistant, data: Mapping[str, Any]) -> Identity:
    """Log in, read the authorized user's extension and account, then log out again.

    The session is revoked because the entry's setup logs in on its own and persists those tokens;
    leaving this one open would use up one of the ~5 sessions RingCentral allows per user and app.
    """
    try:
        client = RingCentralClient(
            async_get_clientsession(hass),
            server=data[CONF_SERVER],
            client_id=data[CONF_CLIENT_ID],
            client_secret=data[CONF_CLIENT_SECRET],
            jwt=data[CONF_JWT],
        )
    except ValueError as err:
        # Blank client id, secret or JWT: nothing RingCentral could accept.
        raise CredentialsError("invalid_auth") from err
    try:
        _check_scope(await client.login())
        extension = await client.get_extension_info()
        account = await client.get_account_info()
    except InvalidCredentialsError as err:
        raise CredentialsError("invalid_auth") from err
    except MissingPermissionsError as err:
        raise CredentialsError("missing_permissions", {"permissions": ", ".join(err.permissions)}) from err
    except TemporarilyUnavailableError as err:
        LOGGER.debug("Cannot connect to RingCentral: %s", err.message)
        raise CredentialsError("cannot_connect") from err
    except RingCentralError as err:
        LOGGER.debug("Unexpected RingCentral error: %s", err.message)
        raise CredentialsError("unknown") from err
    finally:
        with suppress(RingCentralError):
            await client.close(revoke=True)
    return Identity(
        account_id=account.id,
        extension_id=extension.id,
        title=extension_name(extension),
    )
