"""`ringcentral.send_sms`: delivered to the simulator with the message id as the response; bad input
is refused before anything is sent; RingCentral's refusals are translated errors."""

from __future__ import annotations

import re
from typing import Any

import pytest
from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ringcentral.const import DOMAIN, MONITOR_ACCOUNT
from rcsim import Simulator
from rcsim.faults import HttpFault

from .conftest import make_entry, setup_entry, wait_for
from .recorder import entity_id

SMS_PATH = r"/extension/\d+/sms$"


async def _entry(hass: HomeAssistant, sim: Simulator, **options: Any) -> tuple[MockConfigEntry, str, str]:
    """A loaded entry, its extension id and that extension's device id."""
    entry = make_entry(sim, **options)
    await setup_entry(hass, entry)
    await wait_for(hass, lambda: entry.runtime_data.coordinator.connected)
    me = str(entry.data["extension_id"])
    return entry, me, _device(hass, me)


def _device(hass: HomeAssistant, extension_id: str) -> str:
    registered = er.async_get(hass).async_get(entity_id(hass, "sensor", f"{extension_id}_call_status"))
    assert registered is not None
    assert registered.device_id is not None
    return registered.device_id


async def _send(hass: HomeAssistant, device: str | list[str], **data: Any) -> Any:
    return await hass.services.async_call(
        DOMAIN, "send_sms", data, target={ATTR_DEVICE_ID: device}, blocking=True, return_response=True
    )


def _sent(sim: Simulator) -> int:
    """SMS requests the simulator answered."""
    return sum(
        1
        for entry in sim.state.log
        if entry.get("kind") == "request" and re.search(SMS_PATH, str(entry.get("path", "")))
    )


async def test_send_sms_delivers_and_answers_the_id(hass: HomeAssistant, sim: Simulator) -> None:
    entry, me, device = await _entry(hass, sim)
    ext = sim.state.account.extensions[me]

    # YAML reads an unquoted +16505550177 as the number 16505550177: still the same number.
    response = await _send(hass, device, to=16505550177, message="Dinner at 8?")

    [message] = [m for m in sim.state.messages.messages(me) if m.direction == "Outbound"]
    assert response == {"message_id": message.id, "status": message.message_status}
    assert message.subject == "Dinner at 8?"
    assert message.from_.phone_number == ext.phone_number  # the extension's SmsSender number
    assert [a.phone_number for a in message.to] == ["+16505550177"]

    # To a colleague's direct number, through an entity of the sending extension: it arrives there.
    other = next(e for e in sim.state.account.extensions.values() if e.id != me)
    call_status = entity_id(hass, "sensor", f"{me}_call_status")
    await hass.services.async_call(
        DOMAIN,
        "send_sms",
        {"to": [other.phone_number], "message": "Meeting moved"},
        target={"entity_id": call_status},
        blocking=True,
    )
    assert [m.subject for m in sim.state.messages.messages(other.id)] == ["Meeting moved"]
    assert await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.parametrize(
    ("data", "key", "placeholders"),
    [
        ({"message": "hi"}, "sms_no_number", None),
        ({"to": [], "message": "hi"}, "sms_no_number", None),
        ({"to": "6505550177x", "message": "hi"}, "sms_invalid_number", {"number": "6505550177x"}),
        ({"to": ["+16505550177", "555"], "message": "hi"}, "sms_invalid_number", {"number": "555"}),
        ({"to": "447911123456", "message": "hi"}, "sms_invalid_number", {"number": "447911123456"}),
        ({"to": "+16505550177"}, "sms_empty", None),
        ({"to": "+16505550177", "message": "  \n "}, "sms_empty", None),
        ({"to": "+16505550177", "message": "x" * 1001}, "sms_too_long", {"length": "1001", "limit": "1000"}),
        # More recipients than RingCentral takes: the library refuses it before sending.
        (
            {"to": [f"+1650555{n:04d}" for n in range(11)], "message": "hi"},
            "sms_invalid",
            {"error": "to may hold at most 10 numbers"},
        ),
    ],
)
async def test_bad_input_is_refused_before_sending(
    hass: HomeAssistant, sim: Simulator, data: dict[str, Any], key: str, placeholders: dict[str, str] | None
) -> None:
    entry, _, device = await _entry(hass, sim)
    with pytest.raises(ServiceValidationError) as caught:
        await _send(hass, device, **data)
    assert caught.value.translation_domain == DOMAIN
    assert caught.value.translation_key == key
    if placeholders is not None:
        assert caught.value.translation_placeholders == placeholders
    assert _sent(sim) == 0
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_one_sending_extension(hass: HomeAssistant, sim: Simulator) -> None:
    entry, me, device = await _entry(hass, sim, monitor=MONITOR_ACCOUNT)
    other = _device(hass, next(ext_id for ext_id in sim.state.account.extensions if ext_id != me))
    with pytest.raises(ServiceValidationError) as caught:
        await _send(hass, [device, other], to="+16505550177", message="hi")
    assert caught.value.translation_key == "sms_one_extension"
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(
            DOMAIN, "send_sms", {"to": "+16505550177", "message": "hi"}, blocking=True, return_response=True
        )
    assert caught.value.translation_key == "no_target"
    assert _sent(sim) == 0
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_missing_sms_permission(hass: HomeAssistant, sim: Simulator) -> None:
    """403 for lack of the SMS permission: a translated error and a repair issue, gone once an SMS
    goes through."""
    entry, _, device = await _entry(hass, sim)
    sim.state.app.permissions.discard("SMS")
    with pytest.raises(HomeAssistantError) as caught:
        await _send(hass, device, to="+16505550177", message="hi")
    assert caught.value.translation_key == "sms_missing_permission"
    assert caught.value.translation_placeholders == {"permissions": "SMS"}
    issue_id = f"sms_permission_{entry.entry_id}"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders == {"title": entry.title, "permission": "SMS"}

    sim.state.app.permissions.add("SMS")
    await _send(hass, device, to="+16505550177", message="hi")
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_a_number_that_cannot_send_sms(hass: HomeAssistant, sim: Simulator) -> None:
    """The sending number loses SmsSender: RingCentral refuses (403 MSG-367); the numbers are read
    again, and with none able to send, the error says so."""
    entry, me, device = await _entry(hass, sim)
    number = sim.state.account.extensions[me].phone_number
    await _send(hass, device, to="+16505550177", message="first")  # finds and keeps the sender
    sim.state.numbers.set_features(number, ("CallerId",))

    with pytest.raises(HomeAssistantError) as caught:
        await _send(hass, device, to="+16505550177", message="second")
    assert caught.value.translation_key == "sms_refused"
    assert "MSG-367" in caught.value.translation_placeholders["error"]
    with pytest.raises(HomeAssistantError) as caught:
        await _send(hass, device, to="+16505550177", message="third")
    assert caught.value.translation_key == "sms_no_sender"
    assert caught.value.translation_placeholders == {"extension": sim.state.account.extensions[me].name}
    assert await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.parametrize(
    ("fault", "key", "placeholders"),
    [
        (HttpFault(re.compile(SMS_PATH), 429, retry_after=30), "sms_rate_limited", {"retry_after": "30"}),
        (HttpFault(re.compile(SMS_PATH), 503), "sms_failed", None),
    ],
)
async def test_platform_failures(
    hass: HomeAssistant, sim: Simulator, fault: HttpFault, key: str, placeholders: dict[str, str] | None
) -> None:
    """429 with Retry-After and a server error: translated errors; the SMS is not sent twice."""
    entry, _, device = await _entry(hass, sim)
    sim.state.faults.http.append(fault)
    with pytest.raises(HomeAssistantError) as caught:
        await _send(hass, device, to="+16505550177", message="hi")
    assert caught.value.translation_key == key
    if placeholders is not None:
        assert caught.value.translation_placeholders == placeholders
    assert _sent(sim) == 1
    assert await hass.config_entries.async_unload(entry.entry_id)
