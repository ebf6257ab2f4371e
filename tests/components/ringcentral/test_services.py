"""How a future action finds its target: device or entity ids → loaded entry and extension id."""

from __future__ import annotations

import pytest
from homeassistant.const import ATTR_DEVICE_ID, ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er

from custom_components.ringcentral.const import DOMAIN, MONITOR_ACCOUNT
from custom_components.ringcentral.services import ExtensionTarget, async_resolve_extensions
from rcsim import Simulator

from .conftest import extension_ids, make_entry, setup_entry
from .recorder import entity_id


def _call(hass: HomeAssistant, **data: object) -> ServiceCall:
    return ServiceCall(hass, DOMAIN, "an_action", dict(data))


def _device_id(hass: HomeAssistant, platform: str, unique_id: str) -> str:
    entry = er.async_get(hass).async_get(entity_id(hass, platform, unique_id))
    assert entry is not None
    assert entry.device_id is not None
    return entry.device_id


def _refused(hass: HomeAssistant, **data: object) -> ServiceValidationError:
    with pytest.raises(ServiceValidationError) as caught:
        async_resolve_extensions(hass, _call(hass, **data))
    assert caught.value.translation_domain == DOMAIN
    return caught.value


async def test_devices_and_entities_resolve_to_their_extension(hass: HomeAssistant, sim: Simulator) -> None:
    """A device id and an entity id each name an extension of the loaded entry; each counts once."""
    entry = make_entry(sim, monitor=MONITOR_ACCOUNT)
    await setup_entry(hass, entry)
    first, second, _ = extension_ids(sim)
    device = _device_id(hass, "sensor", f"{first}_call_status")
    entity = entity_id(hass, "binary_sensor", f"{second}_on_call")
    same_as_device = entity_id(hass, "event", f"{first}_call")

    targets = async_resolve_extensions(
        hass, _call(hass, **{ATTR_DEVICE_ID: device, ATTR_ENTITY_ID: [entity, same_as_device]})
    )

    assert targets == [ExtensionTarget(entry, first), ExtensionTarget(entry, second)]
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_what_is_not_a_monitored_extension_is_refused(hass: HomeAssistant, sim: Simulator) -> None:
    """No target, an unknown id, or the account's device (not an extension): a translated error."""
    entry = make_entry(sim)
    await setup_entry(hass, entry)
    account_device = _device_id(hass, "binary_sensor", f"{entry.unique_id}_connected")

    assert _refused(hass).translation_key == "no_target"
    for data in (
        {ATTR_DEVICE_ID: "no-such-device"},
        {ATTR_ENTITY_ID: "sensor.no_such_sensor"},
        {ATTR_DEVICE_ID: account_device},
    ):
        error = _refused(hass, **data)
        assert error.translation_key == "invalid_target"
        assert error.translation_placeholders == {"target": next(iter(data.values()))}
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_an_extension_of_an_unloaded_entry_is_refused(hass: HomeAssistant, sim: Simulator) -> None:
    entry = make_entry(sim)
    await setup_entry(hass, entry)
    device = _device_id(hass, "sensor", f"{entry.data['extension_id']}_call_status")
    assert await hass.config_entries.async_unload(entry.entry_id)

    error = _refused(hass, **{ATTR_DEVICE_ID: [device]})

    assert error.translation_key == "entry_not_loaded"
    assert error.translation_placeholders == {"title": entry.title}
