"""Service actions, registered once in `async_setup` (not per entry) so they exist, and fail clearly,
even while no entry is loaded.

Actions target extension devices (or their entities); `async_resolve_extensions` turns such a target
into the loaded entries and extension ids to act on, `async_resolve_extension` into exactly one.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import voluptuous as vol
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_DEVICE_ID, ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er

from . import call_actions
from .aioringcentral.directory import normalize_number
from .compat import device_config_entry_ids
from .const import DOMAIN

if TYPE_CHECKING:
    from .coordinator import RingCentralConfigEntry


@dataclass(frozen=True, slots=True)
class ExtensionTarget:
    """One monitored extension an action acts on, and the loaded entry that monitors it."""

    entry: RingCentralConfigEntry
    extension_id: str


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions."""
    # Call control and click-to-dial (issue 15).
    for name, action in call_actions.ACTIONS.items():
        hass.services.async_register(
            DOMAIN,
            name,
            _with_one_extension(action.handler),
            schema=action.schema,
            supports_response=action.supports_response,
        )
    # Messages (issue 16).
    _async_setup_sms_services(hass)


def _with_one_extension(
    handler: call_actions.Handler,
) -> Callable[[ServiceCall], Coroutine[Any, Any, ServiceResponse]]:
    """A service handler that resolves the call's target to one extension and hands it on."""

    async def _async_handle(call: ServiceCall) -> ServiceResponse:
        return await handler(async_resolve_extension(call.hass, call), call)

    return _async_handle


@callback
def async_resolve_extension(hass: HomeAssistant, call: ServiceCall) -> ExtensionTarget:
    """The one extension a call targets; `ServiceValidationError` for none or several."""
    targets = async_resolve_extensions(hass, call)
    if len(targets) != 1:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="one_target",
            translation_placeholders={"count": str(len(targets))},
        )
    return targets[0]


@callback
def async_resolve_extensions(hass: HomeAssistant, call: ServiceCall) -> list[ExtensionTarget]:
    """The extensions a call targets, by device or entity id, each once.

    Raises `ServiceValidationError` when there is no target, when a target is not a monitored
    RingCentral extension (the account device, say), or when its entry is not loaded.
    """
    device_ids: list[str] = list(cv.ensure_list(call.data.get(ATTR_DEVICE_ID)))
    entity_registry = er.async_get(hass)
    for entity_id in cv.ensure_list(call.data.get(ATTR_ENTITY_ID)):
        entity = entity_registry.async_get(entity_id)
        if entity is None or entity.platform != DOMAIN or entity.device_id is None:
            raise _invalid_target(entity_id)
        device_ids.append(entity.device_id)
    if not device_ids:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="no_target")
    targets = {}
    for device_id in device_ids:
        target = _async_resolve_device(hass, device_id)
        targets[(target.entry.entry_id, target.extension_id)] = target
    return list(targets.values())


@callback
def _async_resolve_device(hass: HomeAssistant, device_id: str) -> ExtensionTarget:
    device = dr.async_get(hass).async_get(device_id)
    if device is None:
        raise _invalid_target(device_id)
    entries: list[RingCentralConfigEntry] = [
        entry
        for entry_id in sorted(device_config_entry_ids(device))
        if (entry := hass.config_entries.async_get_entry(entry_id)) is not None and entry.domain == DOMAIN
    ]
    if not entries:
        raise _invalid_target(device_id)
    loaded = [entry for entry in entries if entry.state is ConfigEntryState.LOADED]
    if not loaded:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_loaded",
            translation_placeholders={"title": entries[0].title},
        )
    for entry in loaded:
        monitored = entry.runtime_data.coordinator.extensions
        for domain, key in device.identifiers:
            if domain == DOMAIN and key in monitored:
                return ExtensionTarget(entry, key)
    raise _invalid_target(device_id)


def _invalid_target(target: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="invalid_target",
        translation_placeholders={"target": target},
    )


# --- send_sms (messages, issue 16) ------------------------------------------------------------------

SERVICE_SEND_SMS = "send_sms"
ATTR_TO = "to"
ATTR_MESSAGE = "message"
# RingCentral's limit for one SMS text.
SMS_MAX_LENGTH = 1000


# `to` and `message` are checked by the action itself, so that bad input gets a translated error.
SEND_SMS_SCHEMA = vol.Schema(
    {
        **cv.TARGET_SERVICE_FIELDS,
        vol.Optional(ATTR_TO, default=[]): vol.All(cv.ensure_list, [cv.string]),
        vol.Optional(ATTR_MESSAGE, default=""): cv.string,
    }
)


@callback
def _async_setup_sms_services(hass: HomeAssistant) -> None:
    async def _async_send_sms(call: ServiceCall) -> ServiceResponse:
        to = [sms_number(number) for number in call.data[ATTR_TO]]
        if not to:
            raise ServiceValidationError(translation_domain=DOMAIN, translation_key="sms_no_number")
        text = call.data[ATTR_MESSAGE]
        if not text.strip():
            raise ServiceValidationError(translation_domain=DOMAIN, translation_key="sms_empty")
        if len(text) > SMS_MAX_LENGTH:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="sms_too_long",
                translation_placeholders={"length": str(len(text)), "limit": str(SMS_MAX_LENGTH)},
            )
        targets = async_resolve_extensions(hass, call)
        if len(targets) != 1:
            raise ServiceValidationError(translation_domain=DOMAIN, translation_key="sms_one_extension")
        target = targets[0]
        result = await target.entry.runtime_data.messages.sms.async_send(target.extension_id, to, text)
        return {"message_id": result.message_id, "status": result.status}

    hass.services.async_register(
        DOMAIN,
        SERVICE_SEND_SMS,
        _async_send_sms,
        schema=SEND_SMS_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )


def sms_number(raw: str) -> str:
    """A number as E.164 (`+16505550100`; separators, `00` and North American national numbers are
    fine, as YAML's `+1650…` read as a number is); `ServiceValidationError` otherwise."""
    number = normalize_number(raw)
    if number is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="sms_invalid_number",
            translation_placeholders={"number": raw},
        )
    return number
