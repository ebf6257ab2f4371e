"""Config flow: JWT credentials (user, reauth, reconfigure; checked by `credentials.py`) and options
(which extensions, transport, the phone click-to-dial rings first)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import voluptuous as vol
from homeassistant.config_entries import (
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlowWithReload,
)
from homeassistant.core import callback
from homeassistant.helpers.selector import (
    BooleanSelector,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .aioringcentral.errors import RingCentralError
from .aioringcentral.rest import RingCentralClient
from .claims import async_get_claims
from .const import (
    CONF_ACCOUNT_ID,
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_CONTACTS,
    CONF_CREDENTIALS_ID,
    CONF_EXTENSION_ID,
    CONF_EXTENSIONS,
    CONF_JWT,
    CONF_MONITOR,
    CONF_RING_OUT_FROM,
    CONF_SERVER,
    CONF_TRANSPORT,
    DEFAULT_CONTACTS,
    DEFAULT_SERVER,
    DEFAULT_TRANSPORT,
    DOMAIN,
    LOGGER,
    MONITOR_MODES,
    MONITOR_OWN,
    MONITOR_SELECTED,
    TRANSPORT_WEBHOOK,
)
from .credentials import CredentialsError, Identity, async_validate, normalise_server
from .extensions import async_list_user_extensions, extension_name
from .phone_numbers import normalise_phone_number
from .transports import TRANSPORTS, simulator_host
from .webhook import webhook_possible

_URL = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
_TEXT = TextSelector()
_SECRET = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
_TEL = TextSelector(TextSelectorConfig(type=TextSelectorType.TEL))


def _credentials_schema(defaults: Mapping[str, Any], *, with_jwt: bool) -> vol.Schema:
    fields: dict[Any, Any] = {
        vol.Required(CONF_SERVER, default=defaults.get(CONF_SERVER, DEFAULT_SERVER)): _URL,
        vol.Required(CONF_CLIENT_ID, default=defaults.get(CONF_CLIENT_ID, vol.UNDEFINED)): _TEXT,
        vol.Required(CONF_CLIENT_SECRET): _SECRET,
    }
    if with_jwt:
        fields[vol.Required(CONF_JWT)] = _SECRET
    return vol.Schema(fields)


class RingCentralConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up a RingCentral account with a JWT credential."""

    VERSION = 1

    async def _async_try(
        self, data: dict[str, Any], errors: dict[str, str], placeholders: dict[str, str]
    ) -> Identity | None:
        """Validate `data` (normalising the server in place); on failure fill `errors`/`placeholders`."""
        try:
            data[CONF_SERVER] = normalise_server(data[CONF_SERVER])
            return await async_validate(self.hass, data)
        except CredentialsError as err:
            errors["base" if err.error != "invalid_url" else CONF_SERVER] = err.error
            placeholders.update(err.placeholders)
        return None

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for server, app credentials and the user's JWT."""
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {"permissions": ""}
        if user_input is not None:
            data = dict(user_input)
            if identity := await self._async_try(data, errors, placeholders):
                await self.async_set_unique_id(identity.unique_id)
                self._abort_if_unique_id_configured()
                return self.async_create_entry(
                    title=identity.title,
                    data={
                        **data,
                        CONF_ACCOUNT_ID: identity.account_id,
                        CONF_EXTENSION_ID: identity.extension_id,
                        CONF_CREDENTIALS_ID: uuid.uuid4().hex,
                    },
                    options={CONF_MONITOR: MONITOR_OWN, CONF_TRANSPORT: DEFAULT_TRANSPORT},
                )
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(
                _credentials_schema(user_input or {}, with_jwt=True), user_input
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """The stored JWT stopped working."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for a new JWT of the same user."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {"name": entry.title, "permissions": ""}
        if user_input is not None:
            data = {**entry.data, CONF_JWT: user_input[CONF_JWT]}
            if identity := await self._async_try(data, errors, placeholders):
                await self.async_set_unique_id(identity.unique_id)
                self._abort_if_unique_id_mismatch(reason="wrong_account")
                return self.async_update_reload_and_abort(
                    entry,
                    data_updates={CONF_JWT: user_input[CONF_JWT], CONF_CREDENTIALS_ID: uuid.uuid4().hex},
                )
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=vol.Schema({vol.Required(CONF_JWT): _SECRET}),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_reconfigure(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Change the server or the app's client id and secret (same user)."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {"permissions": ""}
        if user_input is not None:
            data = {**entry.data, **user_input}
            if identity := await self._async_try(data, errors, placeholders):
                await self.async_set_unique_id(identity.unique_id)
                self._abort_if_unique_id_mismatch(reason="wrong_account")
                return self.async_update_reload_and_abort(
                    entry,
                    data_updates={
                        CONF_SERVER: data[CONF_SERVER],
                        CONF_CLIENT_ID: data[CONF_CLIENT_ID],
                        CONF_CLIENT_SECRET: data[CONF_CLIENT_SECRET],
                        CONF_CREDENTIALS_ID: uuid.uuid4().hex,
                    },
                )
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=_credentials_schema(user_input or entry.data, with_jwt=False),
            errors=errors,
            description_placeholders=placeholders,
        )

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> RingCentralOptionsFlow:
        """Options: which extensions to monitor, how notifications arrive, the phone ring_out rings."""
        return RingCentralOptionsFlow()


class RingCentralOptionsFlow(OptionsFlowWithReload):
    """Choose the monitored extensions and the notification transport; the entry reloads on change."""

    def __init__(self) -> None:
        self._choice: dict[str, Any] = {}

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Monitoring mode, transport, and the phone click-to-dial rings first."""
        errors: dict[str, str] = {}
        if user_input is not None:
            ring_out_from = user_input.get(CONF_RING_OUT_FROM, "").strip()
            if user_input.get(CONF_TRANSPORT) == TRANSPORT_WEBHOOK and not webhook_possible(
                self.hass, allow_plain_http=simulator_host(self.config_entry.data[CONF_SERVER]) is not None
            ):
                errors[CONF_TRANSPORT] = "webhook_needs_https"
            elif ring_out_from and normalise_phone_number(ring_out_from) is None:
                errors[CONF_RING_OUT_FROM] = "invalid_phone_number"
            else:
                user_input.pop(CONF_RING_OUT_FROM, None)
                if ring_out_from:
                    user_input[CONF_RING_OUT_FROM] = normalise_phone_number(ring_out_from)
                self._choice = dict(user_input)
                if user_input[CONF_MONITOR] == MONITOR_SELECTED:
                    return await self.async_step_extensions()
                return self.async_create_entry(data=self._choice)
        options = {**self.config_entry.options, **(user_input or {})}
        schema = vol.Schema(
            {
                vol.Required(CONF_MONITOR, default=options.get(CONF_MONITOR, MONITOR_OWN)): SelectSelector(
                    SelectSelectorConfig(
                        options=list(MONITOR_MODES),
                        translation_key=CONF_MONITOR,
                        mode=SelectSelectorMode.LIST,
                    )
                ),
                vol.Required(
                    CONF_TRANSPORT, default=options.get(CONF_TRANSPORT, DEFAULT_TRANSPORT)
                ): SelectSelector(
                    SelectSelectorConfig(options=list(TRANSPORTS), translation_key=CONF_TRANSPORT)
                ),
                vol.Optional(
                    CONF_RING_OUT_FROM, description={"suggested_value": options.get(CONF_RING_OUT_FROM)}
                ): _TEL,
                # Caller names from the user's personal contacts too (needs ReadContacts).
                vol.Required(
                    CONF_CONTACTS, default=options.get(CONF_CONTACTS, DEFAULT_CONTACTS)
                ): BooleanSelector(),
            }
        )
        return self.async_show_form(step_id="init", data_schema=schema, errors=errors)

    async def async_step_extensions(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Pick extensions from the account's user extensions (read with the running entry's client)."""
        errors: dict[str, str] = {}
        if user_input is not None:
            if user_input[CONF_EXTENSIONS]:
                return self.async_create_entry(
                    data={**self._choice, CONF_EXTENSIONS: user_input[CONF_EXTENSIONS]}
                )
            errors[CONF_EXTENSIONS] = "no_extensions"
        entry = self.config_entry
        if entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="not_loaded")
        # The running entry's client: its session is logged in already (a new one would use up one of
        # the few sessions RingCentral allows per user and app).
        client: RingCentralClient = entry.runtime_data.client
        try:
            extensions = await async_list_user_extensions(client)
        except RingCentralError as err:
            LOGGER.debug("Cannot list extensions: %s", err.message)
            return self.async_abort(reason="cannot_connect")
        # Extensions another loaded entry monitors are not offered (one entry per extension, claims.py).
        claims = async_get_claims(self.hass)
        titles = {other.entry_id: other.title for other in self.hass.config_entries.async_entries(DOMAIN)}
        elsewhere = {
            ext.id: titles.get(holder, holder)
            for ext in extensions
            if (holder := claims.holder(ext.id)) is not None and holder != entry.entry_id
        }
        choices = [
            SelectOptionDict(value=ext.id, label=f"{extension_name(ext)} ({ext.extension_number or ext.id})")
            for ext in sorted(extensions, key=lambda e: e.extension_number or "")
            if ext.id not in elsewhere
        ]
        known = {choice["value"] for choice in choices}
        current = [
            ext for ext in entry.options.get(CONF_EXTENSIONS, [entry.data[CONF_EXTENSION_ID]]) if ext in known
        ]
        schema = vol.Schema(
            {
                vol.Required(CONF_EXTENSIONS, default=current): SelectSelector(
                    SelectSelectorConfig(options=choices, multiple=True, mode=SelectSelectorMode.DROPDOWN)
                )
            }
        )
        named = {ext.id: extension_name(ext) for ext in extensions}
        return self.async_show_form(
            step_id="extensions",
            data_schema=schema,
            errors=errors,
            description_placeholders={
                "elsewhere": "; ".join(sorted(f"{named[ext]} ({title})" for ext, title in elsewhere.items()))
                or "—"
            },
        )
