"""Prepare a Home Assistant config dir so that nobody has to click through onboarding.

Uses Home Assistant's own auth and storage APIs, offline, before ``hass`` starts:
- creates the owner (an admin) with the Home Assistant auth provider and a known password,
- marks every onboarding step done,
- creates a long-lived access token for that user and prints it on stdout (the caller drives the
  config-flow REST API with it; the token is never logged).

Run in the project's venv: ``python scripts/demo/bootstrap.py --config DIR --username U --password P``.
Idempotent: on a config dir that already has the user it only issues a new token.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import timedelta
from pathlib import Path

from homeassistant.auth import auth_manager_from_config
from homeassistant.auth.const import GROUP_ID_ADMIN
from homeassistant.auth.models import TOKEN_TYPE_LONG_LIVED_ACCESS_TOKEN
from homeassistant.auth.providers.homeassistant import HassAuthProvider
from homeassistant.components.onboarding import STORAGE_KEY as ONBOARDING_KEY
from homeassistant.components.onboarding import STORAGE_VERSION as ONBOARDING_VERSION
from homeassistant.components.onboarding.const import STEPS
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.storage import Store

TOKEN_LIFETIME = timedelta(days=3650)
CLIENT_NAME = "RingCentral demo"


async def bootstrap(config_dir: Path, name: str, username: str, password: str) -> str:
    """Create the owner and finish onboarding in ``config_dir``; return a long-lived access token."""
    hass = HomeAssistant(str(config_dir))
    try:
        # Newer HA creates the device registry before loading it, as its own bootstrap does; 2026.2 has
        # no such step.
        setup_device_registry = getattr(dr, "async_setup", None)
        if setup_device_registry is not None:
            setup_device_registry(hass)
        await asyncio.gather(dr.async_load(hass), er.async_load(hass))
        hass.auth = await auth_manager_from_config(hass, [{"type": "homeassistant"}], [])
        provider = hass.auth.auth_providers[0]
        if not isinstance(provider, HassAuthProvider):
            raise TypeError("expected Home Assistant's own auth provider")
        await provider.async_initialize()

        credentials = await provider.async_get_or_create_credentials({"username": username})
        user = await hass.auth.async_get_user_by_credentials(credentials)
        if user is None:
            # The same calls as onboarding's "create user" step.
            user = await hass.auth.async_create_user(name, group_ids=[GROUP_ID_ADMIN])
            await provider.async_add_auth(username, password)
            credentials = await provider.async_get_or_create_credentials({"username": username})
            await hass.auth.async_link_user(user, credentials)

        onboarding: Store[dict[str, list[str]]] = Store(
            hass, ONBOARDING_VERSION, ONBOARDING_KEY, private=True
        )
        await onboarding.async_save({"done": list(STEPS)})

        refresh = await hass.auth.async_create_refresh_token(
            user,
            client_name=f"{CLIENT_NAME} {len(user.refresh_tokens) + 1}",
            token_type=TOKEN_TYPE_LONG_LIVED_ACCESS_TOKEN,
            access_token_expiration=TOKEN_LIFETIME,
        )
        return hass.auth.async_create_access_token(refresh)
    finally:
        # Flushes every store that scheduled a delayed save (auth, onboarding, registries).
        await hass.async_stop(force=True)


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, bootstrap, print the token."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--config", required=True, type=Path, help="Home Assistant config dir")
    parser.add_argument("--name", default="Demo")
    parser.add_argument("--username", required=True)
    parser.add_argument("--password", required=True)
    args = parser.parse_args(argv)
    args.config.mkdir(parents=True, exist_ok=True)
    token = asyncio.run(bootstrap(args.config.resolve(), args.name, args.username, args.password))
    sys.stdout.write(token + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
