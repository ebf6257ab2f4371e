"""Every way a call action can fail: bad input is a translated validation error and nothing is sent;
RingCentral's refusals are translated errors that say what happened and what to do; a missing app
permission turns just its features off, with a repair issue naming it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from homeassistant.const import ATTR_DEVICE_ID, ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir

from custom_components.ringcentral.const import DOMAIN, MONITOR_ACCOUNT
from rcsim import Simulator
from rcsim.faults import HttpFault

from .conftest import make_entry, setup_entry, wait_for
from .test_call_actions import act, connected_call, ready, sensor_of, status


def control_requests(sim: Simulator) -> int:
    """Call-control and RingOut requests the simulator served (any answer)."""
    return sum(
        1
        for e in sim.state.log
        if e["kind"] == "request"
        and e.get("method") in ("POST", "DELETE")
        and ("/telephony/sessions/" in str(e.get("path")) or "/ring-out" in str(e.get("path")))
    )


async def refused(
    hass: HomeAssistant,
    sim: Simulator,
    service: str,
    target: dict[str, Any],
    error: type[Exception],
    **data: Any,
) -> HomeAssistantError:
    """Call the action, expecting `error`; returns it."""
    with pytest.raises(error) as caught:
        await act(hass, service, target, **data)
    assert isinstance(caught.value, HomeAssistantError)
    assert caught.value.translation_domain == DOMAIN
    return caught.value


async def test_targets(hass: HomeAssistant, sim: Simulator) -> None:
    """None, several, or something that is not a monitored extension: nothing is sent."""
    me = await ready(hass, sim, monitor=MONITOR_ACCOUNT)
    other = next(ext_id for ext_id in sim.state.account.extensions if ext_id != me)
    await connected_call(hass, sim, me)

    assert (await refused(hass, sim, "hang_up", {}, ServiceValidationError)).translation_key == "no_target"
    both = {ATTR_ENTITY_ID: [sensor_of(hass, me), sensor_of(hass, other)]}
    error = await refused(hass, sim, "hang_up", both, ServiceValidationError)
    assert error.translation_key == "one_target"
    assert error.translation_placeholders == {"count": "2"}
    error = await refused(hass, sim, "hold", {ATTR_DEVICE_ID: "nope"}, ServiceValidationError)
    assert error.translation_key == "invalid_target"
    assert control_requests(sim) == 0


async def test_which_call(hass: HomeAssistant, sim: Simulator) -> None:
    """No call to act on, an unknown or ended call, a call in the wrong state: nothing is sent."""
    me = await ready(hass, sim)
    target = {ATTR_ENTITY_ID: sensor_of(hass, me)}
    error = await refused(hass, sim, "hang_up", target, ServiceValidationError)
    assert error.translation_key == "no_matching_call"
    assert error.translation_placeholders == {"action": "hang_up"}

    tsid = await connected_call(hass, sim, me)
    for service in ("resume", "reject"):
        error = await refused(hass, sim, service, target, ServiceValidationError)
        assert error.translation_key == "no_matching_call"
        error = await refused(hass, sim, service, target, ServiceValidationError, telephony_session_id=tsid)
        assert error.translation_key == "call_wrong_state"
        assert error.translation_placeholders == {"action": service, "status": "call_connected"}
    error = await refused(hass, sim, "hold", target, ServiceValidationError, telephony_session_id="s-gone")
    assert error.translation_key == "call_not_found"
    assert error.translation_placeholders == {"telephony_session_id": "s-gone"}
    assert control_requests(sim) == 0


@pytest.mark.parametrize(
    ("data", "key", "placeholders"),
    [
        ({}, "transfer_target", None),
        ({"phone_number": "+14155550123", "extension_number": "102"}, "transfer_target", None),
        ({"phone_number": "call me"}, "invalid_phone_number", {"field": "phone_number"}),
        ({"extension_number": "10 2a"}, "invalid_transfer_target", {"field": "extension_number"}),
        ({"voicemail": "../presence"}, "invalid_transfer_target", {"field": "voicemail"}),
    ],
)
async def test_transfer_input(
    hass: HomeAssistant, sim: Simulator, data: dict[str, str], key: str, placeholders: dict[str, str] | None
) -> None:
    me = await ready(hass, sim)
    await connected_call(hass, sim, me)
    error = await refused(
        hass, sim, "transfer", {ATTR_ENTITY_ID: sensor_of(hass, me)}, ServiceValidationError, **data
    )
    assert error.translation_key == key
    if placeholders is not None:
        assert error.translation_placeholders == placeholders
    assert control_requests(sim) == 0
    assert status(hass, me) == "call_connected"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"to": "tomorrow"}, "to"),
        ({"to": "+14155550123", "from": "1"}, "from"),
        ({"to": "+14155550123", "caller_id": "x"}, "caller_id"),
        ({"to": "101"}, "to"),
    ],
)
async def test_ring_out_numbers(
    hass: HomeAssistant, sim: Simulator, data: dict[str, str], field: str
) -> None:
    me = await ready(hass, sim)
    error = await refused(
        hass, sim, "ring_out", {ATTR_ENTITY_ID: sensor_of(hass, me)}, ServiceValidationError, **data
    )
    assert error.translation_key == "invalid_phone_number"
    assert error.translation_placeholders == {"field": field}
    assert control_requests(sim) == 0


async def test_ring_out_needs_a_number_to_ring_first(hass: HomeAssistant, sim: Simulator) -> None:
    """No number in the profile, none chosen in the options, none given: say where to give one."""
    ext = sim.state.account.add_extension("No Number")
    ext.phone_number = ""
    me = await ready(hass, sim, ext.id)
    error = await refused(
        hass,
        sim,
        "ring_out",
        {ATTR_ENTITY_ID: sensor_of(hass, me)},
        ServiceValidationError,
        to="+14155550123",
    )
    assert error.translation_key == "no_from_number"
    assert control_requests(sim) == 0


@pytest.mark.parametrize(
    ("missing", "service", "data"),
    [("CallControl", "hold", {}), ("RingOut", "ring_out", {"to": "+14155550123"})],
)
async def test_missing_permission_at_setup(
    hass: HomeAssistant, sim: Simulator, missing: str, service: str, data: dict[str, str]
) -> None:
    """Setup succeeds; the repair issue names the permission; the action refuses, sending nothing."""
    sim.state.app.permissions.discard(missing)
    entry = make_entry(sim)
    await setup_entry(hass, entry)
    me = str(entry.data["extension_id"])
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"control_permissions_{entry.entry_id}")
    assert issue is not None
    assert issue.translation_placeholders == {"title": entry.title, "permissions": missing}
    if service == "hold":
        await connected_call(hass, sim, me)

    error = await refused(
        hass, sim, service, {ATTR_ENTITY_ID: sensor_of(hass, me)}, HomeAssistantError, **data
    )

    assert not isinstance(error, ServiceValidationError)
    assert error.translation_key == "action_missing_permissions"
    assert error.translation_placeholders == {"permissions": missing}
    assert control_requests(sim) == 0
    # What needs other permissions still works.
    assert (
        hass.states.get(er.async_get(hass).async_get_entity_id("select", DOMAIN, f"{me}_user_status")).state
        == "available"
    )  # type: ignore[union-attr]
    assert await hass.config_entries.async_unload(entry.entry_id)
    # Granted again: the next setup clears the issue.
    sim.state.app.permissions.add(missing)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"control_permissions_{entry.entry_id}") is None


async def test_permission_refused_later(hass: HomeAssistant, sim: Simulator) -> None:
    """RingCentral refuses for a permission the token still lists: the error says which, a repair
    issue appears, and the next action refuses without sending anything."""
    me = await ready(hass, sim)
    await connected_call(hass, sim, me)
    sim.state.app.permissions.discard("CallControl")
    target = {ATTR_ENTITY_ID: sensor_of(hass, me)}

    error = await refused(hass, sim, "hold", target, HomeAssistantError)
    assert error.translation_key == "action_missing_permissions"
    assert error.translation_placeholders == {"permissions": "CallControl"}
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"control_permissions_{entry.entry_id}") is not None
    sent = control_requests(sim)
    error = await refused(hass, sim, "hang_up", target, HomeAssistantError)
    assert error.translation_key == "action_missing_permissions"
    assert control_requests(sim) == sent


@pytest.mark.parametrize(
    "case",
    [
        (404, None, "action_not_found", None),
        (409, None, "action_refused", {"status": "409", "code": "CMN-409"}),
        (422, None, "action_refused", {"status": "422", "code": "CMN-422"}),
        (429, 45.0, "action_rate_limited", {"retry_after": "45"}),
        (503, None, "action_unavailable", None),
    ],
)
async def test_refusals(
    hass: HomeAssistant, sim: Simulator, case: tuple[int, float | None, str, dict[str, str] | None]
) -> None:
    """The call is gone, not in a state for it, throttled, or RingCentral fails: the error says so,
    and the call stays as it is."""
    status_code, retry_after, key, placeholders = case
    me = await ready(hass, sim)
    await connected_call(hass, sim, me)
    sim.state.faults.http.append(
        HttpFault(path=re.compile(r"/hold$"), status=status_code, method="POST", retry_after=retry_after)
    )

    error = await refused(hass, sim, "hold", {ATTR_ENTITY_ID: sensor_of(hass, me)}, HomeAssistantError)

    assert not isinstance(error, ServiceValidationError)
    assert error.translation_key == key
    if placeholders is not None:
        assert error.translation_placeholders == placeholders
    assert status(hass, me) == "call_connected"
    assert sim.state.calls.ground_truth()[me]["telephonyStatus"] == "CallConnected"


async def test_ring_out_never_waits_for_the_rate_limit(hass: HomeAssistant, sim: Simulator) -> None:
    """Click-to-dial is Heavy (10 a minute at RingCentral): once the group is used up, the next one
    fails at once, sending nothing, instead of queueing in front of the watching side."""
    sim.state.config.rate_limits["Heavy"] = 1
    me = await ready(hass, sim)
    target = {ATTR_ENTITY_ID: sensor_of(hass, me)}
    await act(hass, "ring_out", target, to="+14155550123")
    sent = control_requests(sim)

    error = await refused(hass, sim, "ring_out", target, HomeAssistantError, to="+14155550124")

    assert error.translation_key == "action_rate_limited"
    assert control_requests(sim) == sent
    await wait_for(hass, lambda: status(hass, me) != "no_call")


async def test_rejected_credentials(hass: HomeAssistant, sim: Simulator) -> None:
    """The JWT no longer works: the action says to re-authenticate, and Home Assistant asks for it."""
    me = await ready(hass, sim)
    await connected_call(hass, sim, me)
    sim.state.account.extensions[me].jwt = "sim-jwt-replaced"
    for session in sim.state.auth.sessions_of(me):
        sim.state.auth.revoke(session)

    error = await refused(hass, sim, "hold", {ATTR_ENTITY_ID: sensor_of(hass, me)}, HomeAssistantError)

    assert error.translation_key == "action_authentication_error"
    await wait_for(
        hass,
        lambda: any(
            flow["context"]["source"] == "reauth" for flow in hass.config_entries.flow.async_progress()
        ),
    )
