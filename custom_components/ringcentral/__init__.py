"""RingCentral: live call state of RingCentral extensions, pushed over RingCentral's notifications."""

from __future__ import annotations

import asyncio
import contextlib

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType

from . import services
from .aioringcentral.errors import (
    ApiError,
    InvalidCredentialsError,
    MissingPermissionsError,
    RateLimitedError,
    RingCentralError,
    TemporarilyUnavailableError,
)
from .aioringcentral.rest import RingCentralClient
from .claims import async_get_claims
from .const import (
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_CREDENTIALS_ID,
    CONF_JWT,
    CONF_SERVER,
    DOMAIN,
    LOGGER,
)
from .coordinator import RingCentralConfigEntry, RingCentralCoordinator, RingCentralRuntimeData
from .devices import async_device_removable
from .issues import async_create_missing_permissions_issue, async_delete_missing_permissions_issue
from .messages import RingCentralMessages
from .names import CallerNames
from .token_store import TokenStore
from .webhook import async_remove_webhook

# How long setup waits for the first snapshot after subscribing; past it, entities show unknown until
# it arrives (HA warns about setups slower than 10 s).
FIRST_SYNC_TIMEOUT = 8.0

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.EVENT,
    # Control (issue 15): do not disturb and user status.
    Platform.SELECT,
    Platform.SENSOR,
]

# Config entries only: nothing to read from configuration.yaml.
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the integration's actions (once, not per entry)."""
    services.async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: RingCentralConfigEntry) -> bool:
    """Log in (or resume the persisted session), read the initial state, then listen for notifications."""
    token_store = TokenStore(hass, entry.entry_id, entry.data.get(CONF_CREDENTIALS_ID, ""))
    client = RingCentralClient(
        async_get_clientsession(hass),
        server=entry.data[CONF_SERVER],
        client_id=entry.data[CONF_CLIENT_ID],
        client_secret=entry.data[CONF_CLIENT_SECRET],
        jwt=entry.data[CONF_JWT],
        tokens=await token_store.async_load(),
        on_tokens=token_store.async_update,
    )
    coordinator = RingCentralCoordinator(hass, entry, client, token_store)
    try:
        await coordinator.async_setup()
    except InvalidCredentialsError as err:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key="authentication_error"
        ) from err
    except MissingPermissionsError as err:
        # Retried with backoff: the setup succeeds on its own once the permission is added.
        async_create_missing_permissions_issue(hass, entry, err.permissions)
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="missing_permissions",
            translation_placeholders={"permissions": ", ".join(err.permissions)},
        ) from err
    except RateLimitedError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="rate_limited",
            translation_placeholders={"retry_after": f"{err.retry_after:.0f}"},
        ) from err
    except TemporarilyUnavailableError as err:
        LOGGER.debug("Cannot reach RingCentral: %s", err.message)
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="connection_error",
            translation_placeholders={"error": err.message},
        ) from err
    except (ApiError, RingCentralError) as err:
        LOGGER.debug("RingCentral error during setup: %s", err.message)
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="server_error",
            translation_placeholders={"error": err.message},
        ) from err
    async_delete_missing_permissions_issue(hass, entry)

    # Messages and caller names: their own units, fed by the notification router (router.py).
    messages = RingCentralMessages(hass, entry, client, coordinator)
    names = CallerNames(hass, entry, client, coordinator)
    coordinator.router.async_add_feed(messages)
    coordinator.router.async_add_feed(names)
    entry.runtime_data = RingCentralRuntimeData(
        client=client, token_store=token_store, coordinator=coordinator, messages=messages, names=names
    )
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    names.async_start()
    messages.async_start()
    coordinator.async_start()
    # Entries that deferred to this one while it was setting up may now look again (claims.py).
    async_get_claims(hass).async_settled(entry.entry_id)
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(FIRST_SYNC_TIMEOUT):
            await coordinator.async_wait_first_sync()
    return True


async def async_unload_entry(hass: HomeAssistant, entry: RingCentralConfigEntry) -> bool:
    """Stop the notifications (delete the subscription, close the socket), let the entities hear
    what is left, then remove them.

    Whatever arrives until the socket is closed still reaches the entities: the call ends already
    reported (they count missed calls) and the messages heard (a voicemail waiting for its
    transcription goes without it). A restart loses only what its new subscription cannot hear.
    """
    runtime = entry.runtime_data
    await runtime.coordinator.async_stop()
    runtime.messages.announcer.async_flush()
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: RingCentralConfigEntry) -> None:
    """Forget the persisted tokens (and the cloudhook, if any) of a removed entry."""
    await TokenStore(hass, entry.entry_id, "").async_remove()
    await async_remove_webhook(hass, entry)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: RingCentralConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Allow removing a device only when its extension is no longer monitored (stale devices)."""
    return async_device_removable(entry, device)
