"""Every notification transport end to end: WebSocket, PubNub (the real `pubnub` SDK talking to the
simulator's PubNub endpoint) and WebHook (the simulator POSTing to Home Assistant's own webhook view,
served on 127.0.0.1), with identical entity states and events, plus each transport's faults.

Timing: the client reads the wall clock while the simulator runs `TIME_SCALE` times faster, so
subscription lifetimes and the webhook timeout are set in the simulator to last as long in real time
as they do in production, and `transports.TIMINGS` is shortened (status checks every 0.2 s).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant, State
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.ringcentral import transports
from custom_components.ringcentral.const import (
    CONF_MONITOR,
    CONF_SERVER,
    CONF_TRANSPORT,
    CONF_WEBHOOK_ID,
    CONF_WEBHOOK_TOKEN,
    DOMAIN,
    MONITOR_ACCOUNT,
    MONITOR_OWN,
    TRANSPORT_PUBNUB,
    TRANSPORT_WEBHOOK,
    TRANSPORT_WEBSOCKET,
)
from custom_components.ringcentral.diagnostics import async_get_config_entry_diagnostics
from custom_components.ringcentral.transports import TransportTimings, simulator_host
from custom_components.ringcentral.webhook import webhook_possible
from rcsim import Simulator

from .conftest import TIME_SCALE, make_entry, setup_entry, wait_for
from .recorder import Recorder, entity_id
from .test_calls import SCENARIOS, barrier, users

ALL_TRANSPORTS = [TRANSPORT_WEBSOCKET, TRANSPORT_PUBNUB, TRANSPORT_WEBHOOK]
# What RingCentral calls each transport in a subscription's deliveryMode.
DELIVERY_TYPE = {TRANSPORT_WEBSOCKET: "WebSocket", TRANSPORT_PUBNUB: "PubNub", TRANSPORT_WEBHOOK: "WebHook"}
MATRIX = ["inbound_answered", "inbound_missed", "hold_resume", "concurrent_calls", "internal_call"]


@pytest.fixture(autouse=True)
def fast_transports(monkeypatch: pytest.MonkeyPatch) -> None:
    """Status checks and retries in fractions of a second instead of minutes."""
    monkeypatch.setattr(
        transports,
        "TIMINGS",
        TransportTimings(
            check_interval=0.2,
            retry_initial=0.05,
            retry_max=0.5,
            pubnub_reconnect_interval=0.05,
            pubnub_reconnect_max=0.2,
            pubnub_first_connect_timeout=10.0,
        ),
    )


@pytest.fixture
def rc(sim: Simulator) -> Simulator:
    """The simulator with production lifetimes in real seconds (the client reads the wall clock)."""
    sim.config.pubnub_expires_in = int(900 * TIME_SCALE)
    sim.config.webhook_validation_timeout = 3.0 * TIME_SCALE
    return sim


@pytest.fixture
async def ha_url(hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator) -> str:
    """Serve Home Assistant's HTTP app on 127.0.0.1 and make it the external URL (plain http is only
    accepted because the entries talk to the loopback simulator; see `transports.simulator_host`)."""
    assert await async_setup_component(hass, "webhook", {})
    client = await hass_client_no_auth()
    url = f"http://127.0.0.1:{client.port}"
    await hass.config.async_update(external_url=url)
    return url


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def sim_subscriptions(http: aiohttp.ClientSession, sim: Simulator) -> list[dict[str, Any]]:
    """Live subscriptions, as the simulator's control API reports them."""
    async with http.get(f"{sim.url}/sim/state") as response:
        assert response.status == 200
        state = await response.json()
    return list(state["subscriptions"])


async def start(hass: HomeAssistant, sim: Simulator, transport: str, **options: Any) -> MockConfigEntry:
    entry = make_entry(sim, **{CONF_MONITOR: MONITOR_ACCOUNT, CONF_TRANSPORT: transport, **options})
    await setup_entry(hass, entry)
    await wait_for(hass, lambda: entry.runtime_data.coordinator.connected)
    return entry


def state_of(hass: HomeAssistant, entity: str) -> State:
    state = hass.states.get(entity)
    assert state is not None, entity
    return state


def transport_state(entry: MockConfigEntry) -> dict[str, Any]:
    state: dict[str, Any] = entry.runtime_data.coordinator.push.diagnostics()
    return state


async def run_scenario(hass: HomeAssistant, sim: Simulator, scenario: str) -> dict[str, tuple[Any, ...]]:
    """Run a scenario across extensions 0-2; what each extension's entities and the bus showed."""
    ids = users(sim)
    recorder = Recorder(hass, ids)
    needs_other = SCENARIOS[scenario][0]
    sim.state.calls.start(scenario, ids[0], other_extension_id=ids[1] if needs_other else None)
    await sim.state.calls.drain()
    await barrier(hass, sim, ids[0])
    recorder.stop()
    shown: dict[str, tuple[Any, ...]] = {}
    for ext_id in ids:
        record = recorder[ext_id]
        # A state write for the barrier shows the idle state on a quiet extension; ignore it.
        statuses = [] if record.statuses == ["no_call"] else record.statuses
        shown[ext_id] = (statuses, record.on_call, record.entity_events, record.bus_types)
    return shown


def expected(sim: Simulator, scenario: str) -> dict[str, tuple[Any, ...]]:
    return {
        ext_id: (expect.statuses, expect.on_call, expect.events, expect.events)
        for ext_id, expect in zip(users(sim), SCENARIOS[scenario][1], strict=True)
    }


# --- the scenario matrix --------------------------------------------------------------------------


@pytest.mark.parametrize("transport", ALL_TRANSPORTS)
@pytest.mark.parametrize("scenario", MATRIX)
async def test_scenario_over_each_transport(
    hass: HomeAssistant,
    *,
    rc: Simulator,
    ha_url: str,
    http: aiohttp.ClientSession,
    scenario: str,
    transport: str,
) -> None:
    """Each transport shows exactly the states and events the scenario table expects (so all three
    show the same), and the notifications really came over that transport."""
    entry = await start(hass, rc, transport)

    shown = await run_scenario(hass, rc, scenario)

    assert shown == expected(rc, scenario)
    [subscription] = await sim_subscriptions(http, rc)
    assert subscription["deliveryMode"]["transportType"] == DELIVERY_TYPE[transport]
    state = transport_state(entry)
    assert state["stats"]["notifications"] > 0
    if transport != TRANSPORT_WEBSOCKET:
        assert (state["configured"], state["active"]) == (transport, transport)
    for ext_id in users(rc):
        assert state_of(hass, entity_id(hass, "sensor", f"{ext_id}_call_status")).state == "no_call"
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert await sim_subscriptions(http, rc) == []  # unloading deleted the subscription


async def test_switching_transports_reloads_and_deletes_the_old_subscription(
    hass: HomeAssistant, rc: Simulator, ha_url: str, http: aiohttp.ClientSession
) -> None:
    """The options flow switches websocket → pubnub → webhook → websocket: each switch reloads the
    entry, deletes the previous subscription, and the same call looks the same over each."""
    entry = await start(hass, rc, TRANSPORT_WEBSOCKET)
    seen: list[dict[str, tuple[Any, ...]]] = [await run_scenario(hass, rc, "inbound_answered")]
    [previous] = await sim_subscriptions(http, rc)

    for transport in (TRANSPORT_PUBNUB, TRANSPORT_WEBHOOK, TRANSPORT_WEBSOCKET):
        flow = await hass.config_entries.options.async_init(entry.entry_id)
        result = await hass.config_entries.options.async_configure(
            flow["flow_id"], {CONF_MONITOR: MONITOR_ACCOUNT, CONF_TRANSPORT: transport}
        )
        assert result["type"] is FlowResultType.CREATE_ENTRY
        await hass.async_block_till_done()
        assert entry.state is ConfigEntryState.LOADED
        await wait_for(hass, lambda: entry.runtime_data.coordinator.connected)
        [current] = await sim_subscriptions(http, rc)
        assert current["id"] != previous["id"]
        assert current["deliveryMode"]["transportType"] == DELIVERY_TYPE[transport]
        seen.append(await run_scenario(hass, rc, "inbound_answered"))
        previous = current

    assert all(shown == expected(rc, "inbound_answered") for shown in seen)
    assert await hass.config_entries.async_unload(entry.entry_id)


# --- faults of the REST-managed transports --------------------------------------------------------


async def _answered(hass: HomeAssistant, sim: Simulator, extension_id: str) -> str:
    sensor = entity_id(hass, "sensor", f"{extension_id}_call_status")
    tsid = sim.state.calls.start("inbound_answered", extension_id, step=True)
    sim.state.calls.step(tsid)
    sim.state.calls.step(tsid)
    await wait_for(hass, lambda: state_of(hass, sensor).state == "call_connected")
    return tsid


@pytest.mark.parametrize("fault", ["expire", "blacklist"])
@pytest.mark.parametrize("transport", [TRANSPORT_PUBNUB, TRANSPORT_WEBHOOK])
async def test_lost_subscription_is_recreated_and_state_resynced(
    hass: HomeAssistant,
    *,
    rc: Simulator,
    ha_url: str,
    http: aiohttp.ClientSession,
    transport: str,
    fault: str,
) -> None:
    """The subscription expires without renewal, or RingCentral blacklists it; the call ends while
    nothing is delivered. The transport finds out, re-creates the subscription, and the resync ends
    the call in HA exactly once."""
    entry = await start(hass, rc, transport)
    me = users(rc)[0]
    recorder = Recorder(hass, [me])
    tsid = await _answered(hass, rc, me)
    [first] = await sim_subscriptions(http, rc)

    if fault == "expire":
        assert rc.state.subscriptions.expire(first["id"]) == 1
    else:
        assert rc.state.subscriptions.blacklist(first["id"]) == 1
    rc.state.calls.step(tsid)  # hang up: not delivered by the dead subscription
    sensor = entity_id(hass, "sensor", f"{me}_call_status")
    await wait_for(hass, lambda: state_of(hass, sensor).state == "no_call")
    await wait_for(hass, lambda: entry.runtime_data.coordinator.connected)

    [second] = await sim_subscriptions(http, rc)
    assert second["id"] != first["id"]
    assert second["deliveryMode"]["transportType"] == DELIVERY_TYPE[transport]
    assert transport_state(entry)["stats"]["subscriptions_created"] == 2
    assert recorder[me].bus_types == ["ringing", "answered", "ended"]
    assert recorder[me].on_call == [STATE_ON, STATE_OFF]
    # The new subscription delivers.
    shown = await run_scenario(hass, rc, "inbound_missed")
    assert shown == expected(rc, "inbound_missed")
    recorder.stop()
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_pubnub_follows_rotated_channel_and_key(
    hass: HomeAssistant, sim: Simulator, http: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Renewals hand out a new PubNub channel and encryption key each time; calls keep showing, with
    no re-created subscription and no lost notifications."""
    # Real time here, so the subscription renews within a second: 2 s lifetime, renewed 1.5 s early.
    sim.state.clock.set_time_scale(1.0)
    sim.config.pubnub_expires_in = 2
    sim.config.pubnub_long_poll_timeout = 5.0
    sim.config.pubnub_rotate_on_renew = True
    monkeypatch.setattr(
        transports,
        "TIMINGS",
        TransportTimings(check_interval=60.0, retry_initial=0.05, retry_max=0.5, pubnub_renew_margin=1.5),
    )
    entry = await start(hass, sim, TRANSPORT_PUBNUB, **{CONF_MONITOR: MONITOR_OWN})
    me = entry.data["extension_id"]
    [first] = await sim_subscriptions(http, sim)

    def current() -> dict[str, Any]:
        [live] = sim.state.subscriptions.describe()
        return live

    await wait_for(hass, lambda: current()["deliveryMode"]["address"] != first["deliveryMode"]["address"])
    recorder = Recorder(hass, [me])
    tsid = await _answered(hass, sim, me)
    sim.state.calls.step(tsid)
    sensor = entity_id(hass, "sensor", f"{me}_call_status")
    await wait_for(hass, lambda: state_of(hass, sensor).state == "no_call")

    [latest] = await sim_subscriptions(http, sim)
    assert latest["id"] == first["id"]
    assert latest["deliveryMode"]["address"] != first["deliveryMode"]["address"]
    assert latest["deliveryMode"]["encryptionKey"] != first["deliveryMode"]["encryptionKey"]
    assert recorder[me].bus_types == ["ringing", "answered", "ended"]
    stats = transport_state(entry)["stats"]
    assert stats["subscriptions_created"] == 1
    assert stats["reconnects"] == 0
    assert stats["malformed_frames"] == 0
    recorder.stop()
    assert await hass.config_entries.async_unload(entry.entry_id)


# --- WebHook: forged deliveries, restarts, no address ---------------------------------------------


async def test_forged_webhook_deliveries_are_rejected(
    hass: HomeAssistant, rc: Simulator, ha_url: str, http: aiohttp.ClientSession
) -> None:
    """Requests to HA's webhook without the subscription's verification token change nothing."""
    entry = await start(hass, rc, TRANSPORT_WEBHOOK)
    me = users(rc)[0]
    recorder = Recorder(hass, [me])
    [subscription] = await sim_subscriptions(http, rc)
    address = subscription["deliveryMode"]["address"]
    assert address.startswith(f"{ha_url}/api/webhook/")
    forged = {
        "uuid": "forged-1",
        "event": f"/restapi/v1.0/account/~/extension/{me}/presence?detailedTelephonyState=true",
        "timestamp": "2030-01-01T00:00:00.000Z",
        "subscriptionId": subscription["id"],
        "ownerId": me,
        "body": {"extensionId": me, "telephonyStatus": "Ringing", "sequence": 10**9, "activeCalls": []},
    }
    answers = []
    for headers in ({}, {"Verification-Token": "guessed"}, {"Validation-Token": "guessed"}):
        async with http.post(address, json=forged, headers=headers) as response:
            answers.append(response.status)
    async with http.get(address) as response:
        answers.append(response.status)

    await barrier(hass, rc, me)  # a real notification after the forged ones: they were all handled
    assert answers == [401, 401, 401, 405]
    assert transport_state(entry)["rejected_deliveries"] == 3
    sensor = state_of(hass, entity_id(hass, "sensor", f"{me}_call_status"))
    assert sensor.state == "no_call"
    assert recorder[me].statuses in ([], ["no_call"])
    assert recorder[me].bus_events == []
    recorder.stop()
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_webhook_id_and_token_survive_a_restart(
    hass: HomeAssistant, rc: Simulator, ha_url: str, http: aiohttp.ClientSession
) -> None:
    entry = await start(hass, rc, TRANSPORT_WEBHOOK)
    webhook_id, token = entry.data[CONF_WEBHOOK_ID], entry.data[CONF_WEBHOOK_TOKEN]
    [before] = await sim_subscriptions(http, rc)

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    await wait_for(hass, lambda: entry.runtime_data.coordinator.connected)

    [after] = await sim_subscriptions(http, rc)
    assert after["id"] != before["id"]
    assert after["deliveryMode"]["address"] == before["deliveryMode"]["address"]
    assert after["deliveryMode"]["address"].endswith(f"/api/webhook/{webhook_id}")
    assert (entry.data[CONF_WEBHOOK_ID], entry.data[CONF_WEBHOOK_TOKEN]) == (webhook_id, token)
    assert await run_scenario(hass, rc, "inbound_missed") == expected(rc, "inbound_missed")
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_webhook_without_a_reachable_address_falls_back(
    hass: HomeAssistant, rc: Simulator, http: aiohttp.ClientSession
) -> None:
    """No external URL the simulator accepts: WebSocket carries the notifications, a repair issue
    says why, and switching the option to WebSocket clears it."""
    entry = await start(hass, rc, TRANSPORT_WEBHOOK)

    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"webhook_unavailable_{entry.entry_id}")
    assert issue is not None
    assert issue.translation_key == "webhook_unavailable"
    state = transport_state(entry)
    assert (state["configured"], state["active"]) == (TRANSPORT_WEBHOOK, TRANSPORT_WEBSOCKET)
    [subscription] = await sim_subscriptions(http, rc)
    assert subscription["deliveryMode"]["transportType"] == "WebSocket"
    assert await run_scenario(hass, rc, "inbound_answered") == expected(rc, "inbound_answered")

    flow = await hass.config_entries.options.async_init(entry.entry_id)
    await hass.config_entries.options.async_configure(
        flow["flow_id"], {CONF_MONITOR: MONITOR_ACCOUNT, CONF_TRANSPORT: TRANSPORT_WEBSOCKET}
    )
    await hass.async_block_till_done()
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"webhook_unavailable_{entry.entry_id}") is None
    assert await hass.config_entries.async_unload(entry.entry_id)


# --- PubNub refused --------------------------------------------------------------------------------


async def test_pubnub_refused_falls_back_to_websocket_with_a_repair_issue(
    hass: HomeAssistant, rc: Simulator, http: aiohttp.ClientSession
) -> None:
    """RingCentral refuses PubNub (the app lacks the permission): WebSocket takes over at once, a
    repair issue explains it, and it disappears once PubNub works again."""
    rc.state.app.permissions.discard("SubscriptionPubNub")
    entry = await start(hass, rc, TRANSPORT_PUBNUB)
    issue_id = f"pubnub_unavailable_{entry.entry_id}"

    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "pubnub_unavailable"
    assert issue.severity is ir.IssueSeverity.WARNING
    placeholders = issue.translation_placeholders or {}
    assert "SubscriptionPubNub" in placeholders["reason"]
    assert placeholders["error_code"]
    secrets = (entry.data["client_secret"], entry.data["jwt"])
    assert not any(secret in json.dumps(placeholders) for secret in secrets)
    state = transport_state(entry)
    assert (state["configured"], state["active"]) == (TRANSPORT_PUBNUB, TRANSPORT_WEBSOCKET)
    assert "SubscriptionPubNub" in state["fallback_reason"]
    [subscription] = await sim_subscriptions(http, rc)
    assert subscription["deliveryMode"]["transportType"] == "WebSocket"
    assert await run_scenario(hass, rc, "hold_resume") == expected(rc, "hold_resume")

    rc.state.app.permissions.add("SubscriptionPubNub")
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    await wait_for(hass, lambda: entry.runtime_data.coordinator.connected)

    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    assert transport_state(entry)["active"] == TRANSPORT_PUBNUB
    [subscription] = await sim_subscriptions(http, rc)
    assert subscription["deliveryMode"]["transportType"] == "PubNub"
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_refused_pubnub_issue_goes_when_the_option_changes(hass: HomeAssistant, rc: Simulator) -> None:
    rc.state.app.permissions.discard("SubscriptionPubNub")
    entry = await start(hass, rc, TRANSPORT_PUBNUB)
    issue_id = f"pubnub_unavailable_{entry.entry_id}"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None

    flow = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        flow["flow_id"], {CONF_MONITOR: MONITOR_ACCOUNT, CONF_TRANSPORT: TRANSPORT_WEBSOCKET}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()

    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    assert entry.state is ConfigEntryState.LOADED
    assert await hass.config_entries.async_unload(entry.entry_id)


# --- options flow, diagnostics, simulator mode ---------------------------------------------------


async def test_options_flow_refuses_webhook_without_an_https_address(hass: HomeAssistant) -> None:
    """With a real RingCentral server, a webhook needs an external https URL (or Home Assistant Cloud)."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id="1_2",
        data={CONF_SERVER: "https://platform.ringcentral.com", "extension_id": "2"},
        options={CONF_MONITOR: MONITOR_OWN, CONF_TRANSPORT: TRANSPORT_WEBSOCKET},
    )
    entry.add_to_hass(hass)
    await hass.config.async_update(external_url="http://ha.example.com:8123")

    flow = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        flow["flow_id"], {CONF_MONITOR: MONITOR_OWN, CONF_TRANSPORT: TRANSPORT_WEBHOOK}
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_TRANSPORT: "webhook_needs_https"}
    assert entry.options[CONF_TRANSPORT] == TRANSPORT_WEBSOCKET
    hass.config_entries.options.async_abort(result["flow_id"])


@pytest.mark.parametrize(
    ("external_url", "plain_http", "possible"),
    [
        (None, False, False),
        ("http://ha.example.com", False, False),
        ("https://203.0.113.7", False, False),  # RingCentral needs a certificate for a name
        ("https://ha.example.com", False, True),
        ("https://ha.example.com:8443", False, True),
        ("http://127.0.0.1:8123", True, True),  # simulator mode only
    ],
)
async def test_webhook_possible(
    hass: HomeAssistant, external_url: str | None, plain_http: bool, possible: bool
) -> None:
    await hass.config.async_update(external_url=external_url, internal_url=None)
    assert webhook_possible(hass, allow_plain_http=plain_http) is possible


@pytest.mark.parametrize(
    ("server", "host"),
    [
        ("https://platform.ringcentral.com", None),
        ("https://127.0.0.1:8443", None),
        ("http://platform.ringcentral.com", None),
        ("http://10.0.0.5:8080", None),
        ("http://127.0.0.1", "127.0.0.1:80"),
        ("http://[::1]:40123", "[::1]:40123"),
        ("http://127.0.0.1:40123", "127.0.0.1:40123"),
        ("http://127.0.0.1:40123/", "127.0.0.1:40123"),
        ("not a url", None),
    ],
)
def test_simulator_host(server: str, host: str | None) -> None:
    assert simulator_host(server) == host


@pytest.mark.parametrize("transport", [TRANSPORT_PUBNUB, TRANSPORT_WEBHOOK])
async def test_diagnostics_show_the_transport_without_secrets(
    hass: HomeAssistant, rc: Simulator, ha_url: str, transport: str
) -> None:
    entry = await start(hass, rc, transport)

    diagnostics = await async_get_config_entry_diagnostics(hass, entry)

    state = diagnostics["hub"]["transport_state"]
    assert (state["configured"], state["active"], state["connected"]) == (transport, transport, True)
    assert state["subscription_id"]
    assert state["stats"]["subscriptions_created"] == 1
    text = json.dumps(diagnostics)
    subscription = rc.state.subscriptions.describe()[0]
    hidden = [entry.data["client_secret"], entry.data["jwt"], str(subscription["deliveryMode"]["address"])]
    if transport == TRANSPORT_WEBHOOK:
        hidden += [entry.data[CONF_WEBHOOK_ID], entry.data[CONF_WEBHOOK_TOKEN]]
    else:
        hidden.append(str(subscription["deliveryMode"]["encryptionKey"]))
    assert not [secret for secret in hidden if secret in text]
    assert await hass.config_entries.async_unload(entry.entry_id)
