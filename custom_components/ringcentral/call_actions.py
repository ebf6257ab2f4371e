"""Call actions (hang up, hold, resume, reject, transfer) and click-to-dial (RingOut).

Each targets one monitored extension (a device, or one of its entities) and acts on one of its calls:
the one given by `telephony_session_id`, or else its only call the action applies to. Bad input is a
`ServiceValidationError` and nothing is sent; RingCentral's refusals are translated errors
(`action_errors.py`). The sensors and events then follow from the notifications the action causes,
like for anything done on a phone. Requests are sent with `max_wait=0`: an action that would have to
wait for the rate limit fails at once instead of queueing in front of the watching side.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import voluptuous as vol
from homeassistant.const import ATTR_DEVICE_ID, ATTR_ENTITY_ID
from homeassistant.core import ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv

from .action_errors import action_error
from .aioringcentral.errors import RingCentralError
from .aioringcentral.rest import RingCentralClient
from .const import (
    ATTR_CALLER_ID,
    ATTR_EXTENSION_NUMBER,
    ATTR_FROM,
    ATTR_PHONE_NUMBER,
    ATTR_PLAY_PROMPT,
    ATTR_TELEPHONY_SESSION_ID,
    ATTR_TO,
    ATTR_VOICEMAIL,
    CONF_EXTENSION_ID,
    CONF_RING_OUT_FROM,
    DOMAIN,
    PERMISSION_CALL_CONTROL,
    PERMISSION_RING_OUT,
    SERVICE_HANG_UP,
    SERVICE_HOLD,
    SERVICE_REJECT,
    SERVICE_RESUME,
    SERVICE_RING_OUT,
    SERVICE_TRANSFER,
)
from .phone_numbers import normalise_phone_number
from .views import snake

if TYPE_CHECKING:
    from .services import ExtensionTarget

_EXTENSION_NUMBER: Final = re.compile(r"^[0-9]{1,10}$")
_ID: Final = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._!~-]{0,63}$")

_TARGET: Final[dict[vol.Marker, Any]] = {
    vol.Optional(ATTR_DEVICE_ID): vol.All(cv.ensure_list, [cv.string]),
    vol.Optional(ATTR_ENTITY_ID): cv.comp_entity_ids,
}
CALL_SCHEMA: Final = vol.Schema({**_TARGET, vol.Optional(ATTR_TELEPHONY_SESSION_ID): cv.string})
TRANSFER_SCHEMA: Final = CALL_SCHEMA.extend(
    {
        vol.Optional(ATTR_PHONE_NUMBER): cv.string,
        vol.Optional(ATTR_EXTENSION_NUMBER): cv.string,
        vol.Optional(ATTR_VOICEMAIL): cv.string,
    }
)
RING_OUT_SCHEMA: Final = vol.Schema(
    {
        **_TARGET,
        vol.Required(ATTR_TO): cv.string,
        vol.Optional(ATTR_FROM): cv.string,
        vol.Optional(ATTR_CALLER_ID): cv.string,
        vol.Optional(ATTR_PLAY_PROMPT): cv.boolean,
    }
)

type Send = Callable[[RingCentralClient, str, str, ServiceCall], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class CallAction:
    """An action on one call: the call states it applies to, and the request that performs it."""

    statuses: frozenset[str]
    send: Send
    inbound_only: bool = False


async def _hang_up(client: RingCentralClient, tsid: str, _party: str, _call: ServiceCall) -> None:
    await client.control.hang_up(tsid, max_wait=0)


async def _hold(client: RingCentralClient, tsid: str, party: str, _call: ServiceCall) -> None:
    await client.control.hold(tsid, party, max_wait=0)


async def _resume(client: RingCentralClient, tsid: str, party: str, _call: ServiceCall) -> None:
    await client.control.unhold(tsid, party, max_wait=0)


async def _reject(client: RingCentralClient, tsid: str, party: str, _call: ServiceCall) -> None:
    await client.control.reject(tsid, party, max_wait=0)


async def _transfer(client: RingCentralClient, tsid: str, party: str, call: ServiceCall) -> None:
    await client.control.transfer(tsid, party, **transfer_target(call.data), max_wait=0)


CALL_ACTIONS: Final[dict[str, CallAction]] = {
    SERVICE_HANG_UP: CallAction(frozenset({"ringing", "call_connected", "on_hold", "parked_call"}), _hang_up),
    SERVICE_HOLD: CallAction(frozenset({"call_connected"}), _hold),
    SERVICE_RESUME: CallAction(frozenset({"on_hold"}), _resume),
    SERVICE_REJECT: CallAction(frozenset({"ringing"}), _reject, inbound_only=True),
    SERVICE_TRANSFER: CallAction(frozenset({"call_connected", "on_hold"}), _transfer),
}


type Handler = Callable[[ExtensionTarget, ServiceCall], Awaitable[ServiceResponse]]


@dataclass(frozen=True, slots=True)
class Action:
    """How `services.py` registers an action of one extension."""

    schema: vol.Schema
    handler: Handler
    supports_response: SupportsResponse = SupportsResponse.NONE


def _call_handler(name: str, action: CallAction) -> Handler:
    async def _async_handle(target: ExtensionTarget, call: ServiceCall) -> ServiceResponse:
        coordinator = target.entry.runtime_data.coordinator
        if name == SERVICE_TRANSFER:
            transfer_target(call.data)  # validated before anything is sent
        tsid, party_id = _find_call(target, name, action, call.data.get(ATTR_TELEPHONY_SESSION_ID))
        _require(target, PERMISSION_CALL_CONTROL)
        try:
            await action.send(coordinator.client, tsid, party_id, call)
        except RingCentralError as err:
            raise action_error(coordinator, err, PERMISSION_CALL_CONTROL) from err
        return None

    return _async_handle


async def _async_ring_out(target: ExtensionTarget, call: ServiceCall) -> ServiceResponse:
    """Ring the extension's phone (or the chosen `from` number) first, then call `to`."""
    coordinator = target.entry.runtime_data.coordinator
    to = phone_number(call.data[ATTR_TO], ATTR_TO)
    from_ = call.data.get(ATTR_FROM) or _default_from(target)
    if from_ is None:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="no_from_number")
    from_ = phone_number(from_, ATTR_FROM)
    caller_id = call.data.get(ATTR_CALLER_ID)
    if caller_id is not None:
        caller_id = phone_number(caller_id, ATTR_CALLER_ID)
    _require(target, PERMISSION_RING_OUT)
    try:
        status = await coordinator.client.control.ring_out(
            target.extension_id,
            to=to,
            from_=from_,
            caller_id=caller_id,
            play_prompt=call.data.get(ATTR_PLAY_PROMPT),
            max_wait=0,
        )
    except RingCentralError as err:
        raise action_error(coordinator, err, PERMISSION_RING_OUT) from err
    return {
        "ring_out_id": status.id,
        "status": snake(status.call_status),
        "caller_status": snake(status.caller_status),
        "callee_status": snake(status.callee_status),
    }


ACTIONS: Final[dict[str, Action]] = {
    **{
        name: Action(
            TRANSFER_SCHEMA if name == SERVICE_TRANSFER else CALL_SCHEMA, _call_handler(name, action)
        )
        for name, action in CALL_ACTIONS.items()
    },
    SERVICE_RING_OUT: Action(RING_OUT_SCHEMA, _async_ring_out, SupportsResponse.OPTIONAL),
}


# --- input ---------------------------------------------------------------------------------------------


def _require(target: ExtensionTarget, permission: str) -> None:
    """Refuse clearly, sending nothing, when the app lacks the permission the action needs."""
    if not target.entry.runtime_data.coordinator.control.permitted(permission):
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="action_missing_permissions",
            translation_placeholders={"permissions": permission},
        )


def phone_number(value: str, field: str) -> str:
    """A phone number as RingCentral takes it; `ServiceValidationError` for anything else."""
    number = normalise_phone_number(value)
    if number is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_phone_number",
            translation_placeholders={"field": field},
        )
    return number


def transfer_target(data: Mapping[str, Any]) -> dict[str, str]:
    """The one transfer target given (`phone_number`, `extension_number` or `voicemail`)."""
    given = [key for key in (ATTR_PHONE_NUMBER, ATTR_EXTENSION_NUMBER, ATTR_VOICEMAIL) if data.get(key)]
    if len(given) != 1:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="transfer_target")
    key = given[0]
    value = str(data[key]).strip()
    if key == ATTR_PHONE_NUMBER:
        value = phone_number(value, key)
    elif not (_EXTENSION_NUMBER if key == ATTR_EXTENSION_NUMBER else _ID).match(value):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_transfer_target",
            translation_placeholders={"field": key},
        )
    return {key: value}


def _default_from(target: ExtensionTarget) -> str | None:
    """The number RingOut rings first: the one chosen in the options (for the user's own extension),
    else the extension's direct number."""
    entry = target.entry
    if target.extension_id == entry.data.get(CONF_EXTENSION_ID) and (
        chosen := entry.options.get(CONF_RING_OUT_FROM)
    ):
        return str(chosen)
    return entry.runtime_data.coordinator.direct_number(target.extension_id)


def _find_call(target: ExtensionTarget, name: str, action: CallAction, tsid: str | None) -> tuple[str, str]:
    """The (telephony session id, party id) of the call to act on."""
    view = target.entry.runtime_data.coordinator.view(target.extension_id)
    calls = [c for c in view.active_calls if c["telephony_session_id"] and c["party_id"]]
    if tsid is not None:
        same = [c for c in calls if c["telephony_session_id"] == tsid]
        if not same:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="call_not_found",
                translation_placeholders={"telephony_session_id": tsid},
            )
        calls = [c for c in same if _applies(action, c)]
        if not calls:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="call_wrong_state",
                translation_placeholders={"action": name, "status": str(same[0]["status"])},
            )
    else:
        calls = [c for c in calls if _applies(action, c)]
        if not calls:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="no_matching_call",
                translation_placeholders={"action": name},
            )
        if len(calls) > 1:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="several_calls",
                translation_placeholders={
                    "action": name,
                    "candidates": "; ".join(
                        f"{c['telephony_session_id']} ({c['status']}, {c['direction']})" for c in calls
                    ),
                },
            )
    return str(calls[0]["telephony_session_id"]), str(calls[0]["party_id"])


def _applies(action: CallAction, call: Mapping[str, Any]) -> bool:
    return call["status"] in action.statuses and not (action.inbound_only and call["direction"] != "inbound")
