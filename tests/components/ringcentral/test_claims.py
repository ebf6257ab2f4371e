"""Two entries, one extension: an extension is monitored by one entry only (claims.py).

Two users of one account (each monitoring the whole account, or an admin's account-wide entry beside a
user's own) would otherwise register the same devices and unique ids twice. The entry that has an
extension keeps it; the other skips it with a repair issue naming the first, does not offer it in its
options, and takes it over when the first lets it go.
"""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ringcentral.const import (
    CONF_EXTENSIONS,
    CONF_MONITOR,
    DOMAIN,
    ISSUE_MONITORED_ELSEWHERE,
    MONITOR_ACCOUNT,
    MONITOR_SELECTED,
)
from rcsim import Simulator

from .conftest import extension_ids, make_entry, setup_entry, wait_for


def _call_status_entities(hass: HomeAssistant) -> dict[str, str | None]:
    """unique id → config entry id of every call-status sensor the integration registered."""
    registry = er.async_get(hass)
    return {
        entity.unique_id: entity.config_entry_id
        for entity in registry.entities.values()
        if entity.platform == DOMAIN and entity.unique_id.endswith("_call_status")
    }


def _issue(hass: HomeAssistant, entry: MockConfigEntry) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, f"{ISSUE_MONITORED_ELSEWHERE}_{entry.entry_id}")


def _two_admins(sim: Simulator) -> tuple[str, str, str]:
    first, second, third = extension_ids(sim)
    sim.state.account.extensions[second].admin = True
    return first, second, third


async def test_an_extension_another_entry_monitors_is_skipped_with_a_repair(
    hass: HomeAssistant, sim: Simulator
) -> None:
    admin, user, _ = extension_ids(sim)
    account_wide = make_entry(sim, admin, **{CONF_MONITOR: MONITOR_ACCOUNT})
    await setup_entry(hass, account_wide)
    own = make_entry(sim, user)
    await setup_entry(hass, own)

    assert own.state is ConfigEntryState.LOADED
    entities = _call_status_entities(hass)
    # Every extension once, all of them the account-wide entry's.
    assert entities == {f"{ext}_call_status": account_wide.entry_id for ext in extension_ids(sim)}
    assert own.runtime_data.coordinator.extensions == {}
    issue = _issue(hass, own)
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert account_wide.title in issue.translation_placeholders["extensions"]
    assert sim.state.account.extensions[user].name in issue.translation_placeholders["extensions"]
    assert _issue(hass, account_wide) is None


async def test_the_skipped_extension_is_taken_over_when_the_other_entry_unloads(
    hass: HomeAssistant, sim: Simulator
) -> None:
    admin, user, _ = extension_ids(sim)
    account_wide = make_entry(sim, admin, **{CONF_MONITOR: MONITOR_ACCOUNT})
    await setup_entry(hass, account_wide)
    own = make_entry(sim, user)
    await setup_entry(hass, own)

    assert await hass.config_entries.async_unload(account_wide.entry_id)
    await wait_for(hass, lambda: _call_status_entities(hass).get(f"{user}_call_status") == own.entry_id)
    await wait_for(hass, lambda: _issue(hass, own) is None)
    assert list(own.runtime_data.coordinator.extensions) == [user]
    assert hass.states.get(
        f"sensor.{sim.state.account.extensions[user].name.lower().replace(' ', '_')}_call_status"
    )

    # Back again, the account-wide entry now skips the extension the other entry has.
    assert await hass.config_entries.async_setup(account_wide.entry_id)
    await hass.async_block_till_done()
    assert user not in account_wide.runtime_data.coordinator.extensions
    assert _issue(hass, account_wide) is not None
    assert _call_status_entities(hass)[f"{user}_call_status"] == own.entry_id


async def test_entries_set_up_together_follow_their_order_not_timing(
    hass: HomeAssistant, sim: Simulator
) -> None:
    first, second, third = _two_admins(sim)
    # Both monitor the whole account; the one added first gets every extension, whichever REST answer
    # arrives first while Home Assistant sets both up at once.
    earlier = make_entry(sim, second, **{CONF_MONITOR: MONITOR_ACCOUNT})
    later = make_entry(sim, first, **{CONF_MONITOR: MONITOR_ACCOUNT})
    earlier.add_to_hass(hass)
    later.add_to_hass(hass)
    assert await async_setup_component(hass, DOMAIN, {})
    await hass.async_block_till_done()

    assert earlier.state is ConfigEntryState.LOADED
    assert later.state is ConfigEntryState.LOADED
    assert _call_status_entities(hass) == {
        f"{ext}_call_status": earlier.entry_id for ext in (first, second, third)
    }
    assert later.runtime_data.coordinator.extensions == {}
    assert _issue(hass, later) is not None


async def test_options_do_not_offer_what_another_entry_monitors(hass: HomeAssistant, sim: Simulator) -> None:
    first, second, third = _two_admins(sim)
    chosen = make_entry(sim, first, **{CONF_MONITOR: MONITOR_SELECTED, CONF_EXTENSIONS: [first, third]})
    await setup_entry(hass, chosen)
    other = make_entry(sim, second, **{CONF_MONITOR: MONITOR_ACCOUNT})
    await setup_entry(hass, other)
    assert set(other.runtime_data.coordinator.extensions) == {second}

    result = await hass.config_entries.options.async_init(other.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_MONITOR: MONITOR_SELECTED, "transport": "websocket"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "extensions"
    offered = {option["value"] for option in _selector_options(result)}
    assert offered == {second}
    names = result["description_placeholders"]["elsewhere"]
    for ext in (first, third):
        assert sim.state.account.extensions[ext].name in names
    assert chosen.title in names


def _selector_options(result: dict) -> list[dict]:  # type: ignore[type-arg]
    schema = result["data_schema"].schema
    selector = next(value for key, value in schema.items() if str(key) == CONF_EXTENSIONS)
    return list(selector.config["options"])
