"""Do-not-disturb and user-status selects: each option round-trips to the simulator and back by push,
a later change on the phone wins, and older notifications never flick the select back."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from homeassistant.components.select import ATTR_OPTION, ATTR_OPTIONS, SERVICE_SELECT_OPTION
from homeassistant.components.select import DOMAIN as SELECT_DOMAIN
from homeassistant.const import ATTR_ENTITY_ID, EVENT_STATE_CHANGED, STATE_UNAVAILABLE
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.ringcentral.const import (
    DND_OPTIONS,
    DOMAIN,
    MONITOR_ACCOUNT,
    MONITOR_SELECTED,
    USER_STATUS_OPTIONS,
)
from custom_components.ringcentral.presence_edits import CONFIRM_TIMEOUT, camel
from rcsim import Simulator
from rcsim.faults import HttpFault, NotificationFaults

from .conftest import extension_ids, make_entry, settled, setup_entry, wait_for
from .recorder import entity_id

SELECTS = {"do_not_disturb": ("dnd_status", DND_OPTIONS), "user_status": ("user_status", USER_STATUS_OPTIONS)}


def presence_puts(sim: Simulator) -> int:
    """Presence PUTs the simulator served (any answer)."""
    return sum(
        1
        for e in sim.state.log
        if e["kind"] == "request" and e.get("method") == "PUT" and str(e.get("path")).endswith("/presence")
    )


class StateLog:
    """Every state the given entities are written with, in order."""

    def __init__(self, hass: HomeAssistant, *entity_ids: str) -> None:
        self.states: dict[str, list[str]] = {e: [] for e in entity_ids}
        self.dnd_attribute: list[str | None] = []
        self._unsub = hass.bus.async_listen(EVENT_STATE_CHANGED, self._changed)

    @callback
    def _changed(self, event: Event) -> None:
        new = event.data["new_state"]
        if new is None:
            return
        if event.data["entity_id"] in self.states:
            self.states[event.data["entity_id"]].append(new.state)
        dnd = new.attributes.get("dnd_status")
        if event.data["entity_id"].startswith("sensor.") and dnd and self.dnd_attribute[-1:] != [dnd]:
            self.dnd_attribute.append(dnd)

    def stop(self) -> None:
        self._unsub()


async def select(hass: HomeAssistant, entity: str, option: str) -> None:
    await hass.services.async_call(
        SELECT_DOMAIN, SERVICE_SELECT_OPTION, {ATTR_ENTITY_ID: entity, ATTR_OPTION: option}, blocking=True
    )


async def test_each_user_extension_has_both_selects(hass: HomeAssistant, sim: Simulator) -> None:
    entry = make_entry(sim, monitor=MONITOR_ACCOUNT)
    await setup_entry(hass, entry)
    for ext_id in extension_ids(sim):
        dnd = hass.states.get(entity_id(hass, "select", f"{ext_id}_do_not_disturb"))
        user = hass.states.get(entity_id(hass, "select", f"{ext_id}_user_status"))
        assert dnd.state == "take_all_calls"
        assert dnd.attributes[ATTR_OPTIONS] == list(DND_OPTIONS)
        assert user.state == "available"
        assert user.attributes[ATTR_OPTIONS] == list(USER_STATUS_OPTIONS)
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_no_selects_without_presence(hass: HomeAssistant, sim: Simulator) -> None:
    """An extension that is not a regular user (here a digital user) has no presence to set."""
    other = sim.state.account.add_extension("Lobby Phone", ext_type="DigitalUser")
    entry = make_entry(sim, other.id)
    await setup_entry(hass, entry)
    assert entity_id(hass, "sensor", f"{other.id}_call_status")
    registry = er.async_get(hass)
    assert registry.async_get_entity_id("select", DOMAIN, f"{other.id}_do_not_disturb") is None
    assert registry.async_get_entity_id("select", DOMAIN, f"{other.id}_user_status") is None
    assert await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.parametrize(
    ("key", "option"),
    [("do_not_disturb", option) for option in DND_OPTIONS]
    + [("user_status", option) for option in USER_STATUS_OPTIONS],
)
async def test_option_round_trips(hass: HomeAssistant, sim: Simulator, key: str, option: str) -> None:
    """Selecting shows the answer at once, RingCentral has it, its notification confirms it (the
    sensor's attribute agrees throughout), and a later change on the phone wins."""
    entry = make_entry(sim)
    await setup_entry(hass, entry)
    await wait_for(hass, lambda: entry.runtime_data.coordinator.connected)
    me = entry.data["extension_id"]
    field, options = SELECTS[key]
    entity = entity_id(hass, "select", f"{me}_{key}")
    sensor = entity_id(hass, "sensor", f"{me}_call_status")
    before = hass.states.get(entity).state
    if option == before:  # make every option a change
        other = next(o for o in options if o != option)
        await select(hass, entity, other)
        await wait_for(hass, lambda: not entry.runtime_data.coordinator.control.edits.active)
        before = other
    log = StateLog(hass, entity)

    await select(hass, entity, option)

    # At once: the answer is shown, by the select and the sensor's attribute alike.
    assert hass.states.get(entity).state == option
    assert hass.states.get(sensor).attributes[field] == option
    truth = sim.state.account.extensions[me]
    assert getattr(truth, field) == camel(option)
    # Then the notification: the engine itself shows it (nothing is laid over it any more).
    await wait_for(hass, lambda: not entry.runtime_data.coordinator.control.edits.active)
    assert hass.states.get(entity).state == option

    # A change on the phone afterwards wins.
    later = next(o for o in options if o not in (option, before))
    sim.state.calls.set_presence(me, **{field: camel(later)})
    await wait_for(hass, lambda: hass.states.get(entity).state == later)
    assert hass.states.get(sensor).attributes[field] == later
    log.stop()
    assert log.states[entity] == [option, later]
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_an_older_notification_after_the_answer_does_not_flick_back(
    hass: HomeAssistant, sim: Simulator
) -> None:
    """A notification sent before the PUT but delivered after its answer (and after a newer one, so
    the engine waits for the gap) never shows its old value; the newer state then stands."""
    entry = make_entry(sim)
    await setup_entry(hass, entry)
    coordinator = entry.runtime_data.coordinator
    await wait_for(hass, lambda: coordinator.connected)
    me = entry.data["extension_id"]
    entity = entity_id(hass, "select", f"{me}_do_not_disturb")
    faults = sim.state.faults
    # Notification n (DND still TakeAllCalls, user Busy) is held back until the next one goes out.
    faults.notifications = NotificationFaults(reorder=1.0, delay=10_000, remaining=1)
    sim.state.calls.set_presence(me, user_status="Busy")
    # The PUT's own notification n+1 is lost.
    faults.notifications = NotificationFaults(drop=1.0, remaining=1)
    log = StateLog(hass, entity)

    await select(hass, entity, "do_not_accept_any_calls")
    assert hass.states.get(entity).state == "do_not_accept_any_calls"

    # n+2 (DND on, user Available) goes out, then n right after it: the engine applies n (old DND)
    # and waits for n+1, which never comes, then applies n+2.
    sim.state.calls.set_presence(me, user_status="Available")
    await wait_for(
        hass,
        lambda: (
            not coordinator.control.edits.active
            and hass.states.get(entity_id(hass, "sensor", f"{me}_call_status")).attributes["user_status"]
            == "available"
        ),
        advance=timedelta(seconds=4),
    )
    log.stop()
    assert hass.states.get(entity).state == "do_not_accept_any_calls"
    assert log.states[entity] == ["do_not_accept_any_calls"]
    assert "take_all_calls" not in log.dnd_attribute
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_an_unconfirmed_change_is_re_read(hass: HomeAssistant, sim: Simulator) -> None:
    """No notification confirms the PUT (it was lost): the select keeps the answer, and presence is
    re-read from REST after a while; what it says stands."""
    entry = make_entry(sim)
    await setup_entry(hass, entry)
    coordinator = entry.runtime_data.coordinator
    await wait_for(hass, lambda: coordinator.connected)
    me = entry.data["extension_id"]
    entity = entity_id(hass, "select", f"{me}_user_status")
    sim.state.faults.notifications = NotificationFaults(drop=1.0, remaining=1)
    reads = sum(1 for e in sim.state.log if e["kind"] == "request" and e.get("method") == "GET")

    await select(hass, entity, "busy")
    assert coordinator.control.edits.active

    # Once past the wait (not again and again: the resync's own requests must not time out early).
    async_fire_time_changed(hass, dt_util.utcnow() + CONFIRM_TIMEOUT + timedelta(seconds=1))
    await wait_for(hass, lambda: not coordinator.control.edits.active)
    assert hass.states.get(entity).state == "busy"
    assert sum(1 for e in sim.state.log if e["kind"] == "request" and e.get("method") == "GET") > reads
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_without_edit_presence_the_selects_are_unavailable(hass: HomeAssistant, sim: Simulator) -> None:
    """A missing EditPresence turns just the selects off, with a repair issue; setup succeeds and
    selecting sends nothing."""
    sim.state.app.permissions.discard("EditPresence")
    entry = make_entry(sim)
    await setup_entry(hass, entry)
    me = entry.data["extension_id"]
    entity = entity_id(hass, "select", f"{me}_do_not_disturb")
    assert hass.states.get(entity).state == STATE_UNAVAILABLE
    assert hass.states.get(entity_id(hass, "sensor", f"{me}_call_status")).state == "no_call"
    issue = ir_issue(hass, entry.entry_id)
    assert issue is not None
    assert issue.translation_placeholders["permissions"] == "EditPresence"

    await select(hass, entity, "do_not_accept_any_calls")

    assert presence_puts(sim) == 0
    assert await hass.config_entries.async_unload(entry.entry_id)


def ir_issue(hass: HomeAssistant, entry_id: str) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, f"control_permissions_{entry_id}")


async def test_a_permission_refused_later_turns_the_selects_off(hass: HomeAssistant, sim: Simulator) -> None:
    """The app lost EditPresence after the token was issued: RingCentral refuses, the select says what
    to do, a repair issue names the permission, and the selects turn unavailable."""
    entry = make_entry(sim)
    await setup_entry(hass, entry)
    me = entry.data["extension_id"]
    entity = entity_id(hass, "select", f"{me}_do_not_disturb")
    assert ir_issue(hass, entry.entry_id) is None
    sim.state.app.permissions.discard("EditPresence")

    with pytest.raises(HomeAssistantError) as caught:
        await select(hass, entity, "do_not_accept_any_calls")

    assert caught.value.translation_key == "action_missing_permissions"
    assert caught.value.translation_placeholders == {"permissions": "EditPresence"}
    issue = ir_issue(hass, entry.entry_id)
    assert issue is not None
    assert issue.translation_placeholders["permissions"] == "EditPresence"
    await hass.async_block_till_done()
    assert hass.states.get(entity).state == STATE_UNAVAILABLE
    assert hass.states.get(entity_id(hass, "select", f"{me}_user_status")).state == STATE_UNAVAILABLE
    assert hass.states.get(entity_id(hass, "sensor", f"{me}_call_status")).state == "no_call"
    assert await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.parametrize(
    "case",
    [
        # A 403 that names no permission: the one the select needs.
        (403, None, "action_missing_permissions", {"permissions": "EditPresence"}),
        (404, None, "action_not_found", None),
        (409, None, "action_refused", {"status": "409", "code": "CMN-409"}),
        (422, None, "action_refused", {"status": "422", "code": "CMN-422"}),
        (400, None, "action_failed", {"status": "400", "code": "CMN-101"}),
        (429, 30.0, "action_rate_limited", {"retry_after": "30"}),
        (503, None, "action_unavailable", None),
    ],
)
async def test_refusals_say_what_happened(
    hass: HomeAssistant, sim: Simulator, case: tuple[int, float | None, str, dict[str, str] | None]
) -> None:
    """RingCentral's refusals are translated errors; the select keeps showing what RingCentral has."""
    status, retry_after, key, placeholders = case
    entry = make_entry(sim)
    await setup_entry(hass, entry)
    me = entry.data["extension_id"]
    entity = entity_id(hass, "select", f"{me}_do_not_disturb")
    sim.state.faults.http.append(
        HttpFault(
            path=re.compile(r"/presence$"),
            status=status,
            method="PUT",
            remaining=None,
            retry_after=retry_after,
        )
    )

    with pytest.raises(HomeAssistantError) as caught:
        await select(hass, entity, "do_not_accept_any_calls")

    assert caught.value.translation_domain == DOMAIN
    assert caught.value.translation_key == key
    if placeholders is not None:
        assert caught.value.translation_placeholders == placeholders
    # (A missing permission turns the selects off.)
    assert hass.states.get(entity).state == (STATE_UNAVAILABLE if status == 403 else "take_all_calls")
    assert not entry.runtime_data.coordinator.control.edits.active
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_a_select_never_waits_for_the_rate_limit(hass: HomeAssistant, sim: Simulator) -> None:
    """With the Medium group used up, selecting fails at once, sending nothing, rather than queue in
    front of the watching side."""
    entry = make_entry(sim)
    await setup_entry(hass, entry)
    me = entry.data["extension_id"]
    entity = entity_id(hass, "select", f"{me}_user_status")
    # The company directory read at start (caller names) is a Medium request too: let it finish first.
    await wait_for(hass, lambda: settled(hass, entry))
    sim.state.config.rate_limits["Medium"] = 2
    await select(hass, entity, "busy")  # uses up the group
    sent = presence_puts(sim)

    with pytest.raises(HomeAssistantError) as caught:
        await select(hass, entity, "offline")

    assert caught.value.translation_key == "action_rate_limited"
    assert presence_puts(sim) == sent
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_selecting_what_is_shown_changes_nothing(hass: HomeAssistant, sim: Simulator) -> None:
    entry = make_entry(sim)
    await setup_entry(hass, entry)
    me = entry.data["extension_id"]
    entity = entity_id(hass, "select", f"{me}_do_not_disturb")
    log = StateLog(hass, entity)

    await select(hass, entity, "take_all_calls")

    assert presence_puts(sim) == 1
    assert not entry.runtime_data.coordinator.control.edits.active
    await hass.async_block_till_done()
    assert log.states[entity] == []
    log.stop()
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_a_change_on_the_phone_racing_the_confirmation_wins(
    hass: HomeAssistant, sim: Simulator
) -> None:
    """The PUT's notification arrives only after a newer change made on the phone (reordered): the
    engine applies both at once and shows the phone's value; the select follows it shortly after."""
    entry = make_entry(sim)
    await setup_entry(hass, entry)
    coordinator = entry.runtime_data.coordinator
    await wait_for(hass, lambda: coordinator.connected)
    me = entry.data["extension_id"]
    entity = entity_id(hass, "select", f"{me}_do_not_disturb")
    # The PUT's own notification is held back until the next one has gone out.
    sim.state.faults.notifications = NotificationFaults(reorder=1.0, delay=10_000, remaining=1)

    await select(hass, entity, "do_not_accept_any_calls")
    sim.state.calls.set_presence(me, dnd_status="TakeDepartmentCallsOnly")

    await wait_for(
        hass,
        lambda: hass.states.get(entity).state == "take_department_calls_only",
        advance=timedelta(seconds=6),
    )
    assert not coordinator.control.edits.active
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_an_unconfirmed_change_yields_to_what_rest_says(hass: HomeAssistant, sim: Simulator) -> None:
    """The PUT's notification is lost and the status changes again unseen: the re-read shows it."""
    entry = make_entry(sim)
    await setup_entry(hass, entry)
    coordinator = entry.runtime_data.coordinator
    await wait_for(hass, lambda: coordinator.connected)
    me = entry.data["extension_id"]
    entity = entity_id(hass, "select", f"{me}_user_status")
    sim.state.faults.notifications = NotificationFaults(drop=1.0, remaining=1)
    await select(hass, entity, "busy")
    sim.state.account.extensions[me].user_status = "Offline"  # changed without a notification

    async_fire_time_changed(hass, dt_util.utcnow() + CONFIRM_TIMEOUT + timedelta(seconds=1))

    await wait_for(hass, lambda: hass.states.get(entity).state == "offline")
    assert not coordinator.control.edits.active
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_another_users_presence_needs_an_admin(hass: HomeAssistant, sim: Simulator) -> None:
    """A user who is not an admin may watch a colleague but not set their presence: RingCentral
    refuses for a user permission; nothing is turned off (the app has what it needs)."""
    admin, user = list(sim.state.account.extensions)[:2]
    assert not sim.state.account.extensions[user].admin
    entry = make_entry(sim, user, monitor=MONITOR_SELECTED, extensions=[user, admin])
    await setup_entry(hass, entry)
    entity = entity_id(hass, "select", f"{admin}_do_not_disturb")

    with pytest.raises(HomeAssistantError) as caught:
        await select(hass, entity, "do_not_accept_any_calls")

    assert caught.value.translation_key == "action_user_permission"
    assert caught.value.translation_placeholders == {"permissions": "EditPresenceStatus"}
    assert ir_issue(hass, entry.entry_id) is None
    assert hass.states.get(entity).state == "take_all_calls"
    assert await hass.config_entries.async_unload(entry.entry_id)
