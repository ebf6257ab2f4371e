"""Home Assistant-level chaos: the real integration in `hass` against the simulator, restarts included.

Each run sets up a config entry monitoring every user extension (the whole account or a selection),
plays a seeded plan with config entry reloads mid-call, and holds the entities and the
`ringcentral_event` bus events to the same promises as the library-level runs.
"""

from __future__ import annotations

import functools
import uuid
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed  # type: ignore[import-untyped]
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

import custom_components.ringcentral as integration
from custom_components.ringcentral import transports
from custom_components.ringcentral.aioringcentral.rest import RingCentralClient
from custom_components.ringcentral.aioringcentral.transport import Continuity
from custom_components.ringcentral.connection import Connection
from custom_components.ringcentral.const import (
    CONF_ACCOUNT_ID,
    CONF_CREDENTIALS_ID,
    CONF_EXTENSION_ID,
    CONF_EXTENSIONS,
    CONF_MONITOR,
    CONF_TRANSPORT,
    DOMAIN,
    EVENT_RINGCENTRAL,
    MONITOR_ACCOUNT,
    MONITOR_SELECTED,
)
from custom_components.ringcentral.coordinator import RingCentralCoordinator
from custom_components.ringcentral.resync import RESYNC_RETRY_DELAY, RESYNC_RETRY_MAX
from custom_components.ringcentral.transports import TransportTimings
from rcsim import SimConfig, Simulator

from .conftest import HA_CI_SEEDS, replay_hint, seeds
from .message_ha import HomeAssistantMessages
from .message_oracle import MessageLog
from .message_plan import with_messages
from .message_runner import MessageDriver
from .oracle import ObservedEvent, SimLog
from .pipeline import notifications_held, notifications_in_flight, websocket_caught_up
from .plan import TRANSPORTS, make_plan
from .runner import CATCH_UP_TIMEOUT, HTTP_TRANSPORT_TIME_SCALE, TIME_SCALE, wait_until

# The engine's settle window in Home Assistant is real time; the driver jumps HA's timers past it.
SETTLE_JUMP = timedelta(seconds=3.5)
# A setup that failed under injected faults is retried by HA later; jump past its retry delay.
SETUP_RETRY_JUMP = timedelta(seconds=90)


class HomeAssistantObserver:
    """Reads what Home Assistant shows for the monitored extensions and records the bus events."""

    def __init__(
        self, hass: HomeAssistant, sim: Simulator, entry: MockConfigEntry, users: list[str], log: SimLog
    ) -> None:
        self.hass = hass
        self.sim = sim
        self.entry = entry
        self.users = users
        self.log = log
        self.events: list[ObservedEvent] = []
        self.epoch = 0  # bumped by every restart
        self._unsub = hass.bus.async_listen(EVENT_RINGCENTRAL, self._on_event)

    def stop(self) -> None:
        self._unsub()

    @callback
    def _on_event(self, event: Event) -> None:
        data = event.data
        key = (str(data["extension_id"]), str(data["telephony_session_id"]), str(data["party_id"]))
        self.events.append(ObservedEvent(str(data["type"]), key, self.log.count, self.epoch))

    @property
    def coordinator(self) -> RingCentralCoordinator | None:
        if self.entry.state is not ConfigEntryState.LOADED:
            return None
        coordinator: RingCentralCoordinator = self.entry.runtime_data.coordinator
        return coordinator

    @property
    def connected(self) -> bool:
        coordinator = self.coordinator
        return coordinator is not None and coordinator.connected

    @property
    def settled(self) -> bool:
        coordinator = self.coordinator
        if coordinator is None or not coordinator.connected:
            return False
        resync = coordinator.resync.task
        return (resync is None or resync.done()) and coordinator.engine.next_deadline() is None

    def caught_up(self) -> bool:
        coordinator = self.coordinator
        if coordinator is None or not coordinator.connected:
            return True
        wsc = getattr(coordinator.push.transport, "_wsc", None)
        if wsc is not None:
            return websocket_caught_up(self.sim, wsc)
        # PubNub / WebHook (or WebSocket inside the fallback wrapper): every event about a monitored
        # extension was heard, unless the simulator still holds notifications back.
        return self.log.watermark() >= self.log.latest(self.users) or notifications_held(self.sim)

    def state(self) -> dict[str, dict[str, Any]]:
        registry = er.async_get(self.hass)
        shown: dict[str, dict[str, Any]] = {}
        for ext_id in self.users:
            sensor = registry.async_get_entity_id("sensor", DOMAIN, f"{ext_id}_call_status")
            on_call = registry.async_get_entity_id("binary_sensor", DOMAIN, f"{ext_id}_on_call")
            state = self.hass.states.get(sensor) if sensor else None
            light = self.hass.states.get(on_call) if on_call else None
            if state is None or light is None:
                shown[ext_id] = {"telephony_status": None}
                continue
            attributes = state.attributes
            shown[ext_id] = {
                "telephony_status": state.state,
                "presence_status": attributes.get("presence_status"),
                "user_status": attributes.get("user_status"),
                "dnd_status": attributes.get("dnd_status"),
                "calls": sorted(
                    (c["telephony_session_id"], c["party_id"], c["status"])
                    for c in attributes.get("active_calls", [])
                ),
                "on_call": {"on": True, "off": False}.get(light.state, light.state),
            }
        return shown

    def instrument(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Tell the simulator log when continuity breaks and when a resync restores it.

        Wraps the transport callbacks (`Connection`) and what the coordinator's resync reports (every
        coordinator, also those a reload creates): a non-KEPT connection breaks continuity back to the
        newest event any coordinator had heard of, a successful resync after it ends the break.
        """
        log = self.log
        on_notification = Connection.on_notification
        on_connected = Connection.on_connected
        on_resynced = RingCentralCoordinator.async_resynced

        def notification(connection: Connection, raw: dict[str, Any]) -> None:
            body = raw.get("body")
            if isinstance(body, dict):
                log.heard(body)
            on_notification(connection, raw)

        def connected(connection: Connection, continuity: Continuity) -> None:
            if continuity is not Continuity.KEPT:
                log.break_starts()
                log.forgive()
            on_connected(connection, continuity)

        def resynced(coordinator: RingCentralCoordinator) -> None:
            # A resync read and applied everything: what it reports, before entities hear of it.
            if coordinator.connected:
                log.break_ends()
            on_resynced(coordinator)

        monkeypatch.setattr(Connection, "on_notification", notification)
        monkeypatch.setattr(Connection, "on_connected", connected)
        monkeypatch.setattr(RingCentralCoordinator, "async_resynced", resynced)

    async def nudge(self) -> None:
        """Run HA's timers that the run is waiting for: the engine's settle deadlines, resync and
        setup retries.

        Not while the simulator still delays or holds back a notification: its delay (simulated
        seconds, below the settle window) must reach the engine within the window, as it would on
        one clock; a jump of HA's clock past the window would give up on it first.
        """
        coordinator = self.coordinator
        if notifications_in_flight(self.sim):
            pass  # delivered in a few real milliseconds
        elif coordinator is not None and coordinator.engine.next_deadline() is not None:
            async_fire_time_changed(self.hass, dt_util.utcnow() + SETTLE_JUMP)
        elif coordinator is not None and coordinator.connected and coordinator.resync.retry_pending:
            # A failed resync is retried after a backoff of a minute or more of HA's real time.
            async_fire_time_changed(self.hass, dt_util.utcnow() + resync_retry_delay(coordinator))
        elif self.entry.state is ConfigEntryState.SETUP_RETRY:
            async_fire_time_changed(self.hass, dt_util.utcnow() + SETUP_RETRY_JUMP)
        await self.hass.async_block_till_done()


def resync_retry_delay(coordinator: RingCentralCoordinator) -> timedelta:
    """Just past the backoff the coordinator chose for its pending resync retry."""
    failures = max(coordinator.resync.failures - 1, 0)
    return timedelta(seconds=min(RESYNC_RETRY_DELAY * 2**failures, RESYNC_RETRY_MAX) + 1)


def config_entry(sim: Simulator, monitor: str, users: list[str], transport: str) -> MockConfigEntry:
    """An entry for the account's admin, as the config flow creates it, monitoring every user."""
    creds = sim.credentials()
    options: dict[str, Any] = {CONF_MONITOR: monitor, CONF_TRANSPORT: transport}
    if monitor == MONITOR_SELECTED:
        options[CONF_EXTENSIONS] = users
    return MockConfigEntry(
        domain=DOMAIN,
        title="Chaos",
        unique_id=f"{sim.state.account.id}_{creds['extension_id']}",
        data={
            **{key: creds[key] for key in ("server", "client_id", "client_secret", "jwt")},
            CONF_ACCOUNT_ID: sim.state.account.id,
            CONF_EXTENSION_ID: creds["extension_id"],
            CONF_CREDENTIALS_ID: uuid.uuid4().hex,
        },
        options=options,
    )


@pytest.mark.parametrize("seed", seeds(HA_CI_SEEDS, offset=1_000_000))
async def test_home_assistant_chaos(
    hass: HomeAssistant,
    seed: int,
    socket_enabled: None,
    monkeypatch: pytest.MonkeyPatch,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """A seeded run with restarts: entities equal the ground truth, bus events form valid histories."""
    plan = with_messages(make_plan(seed, reloads=True, transports=TRANSPORTS))
    scale = TIME_SCALE if plan.transport == "websocket" else HTTP_TRANSPORT_TIME_SCALE
    config = SimConfig(
        time_scale=scale, seed=seed, pubnub_long_poll_timeout=scale / 2, webhook_validation_timeout=scale
    )
    sim = Simulator(config, extensions=plan.extensions)
    # Status checks and retries on the client's (the simulator's) clock; PubNub reconnects in real time.
    monkeypatch.setattr(
        transports,
        "TIMINGS",
        TransportTimings(
            check_interval=5.0,
            retry_initial=1.0,
            retry_max=20.0,
            pubnub_reconnect_interval=0.05,
            pubnub_reconnect_max=0.2,
            pubnub_first_connect_timeout=10.0,
        ),
    )
    if plan.transport == "webhook":
        # Home Assistant's own webhook view on 127.0.0.1, as the external URL RingCentral POSTs to.
        assert await async_setup_component(hass, "webhook", {})
        # (The fixture is requested up front: an async fixture cannot be set up from inside the
        # running test, `request.getfixturevalue` would need a second event loop.)
        client = await hass_client_no_auth()
        await hass.config.async_update(external_url=f"http://127.0.0.1:{client.port}")
    log = SimLog()
    async with sim, aiohttp.ClientSession() as session:
        # RingCentral's own durations (token lifetimes, Retry-After, backoffs) pass on the simulator's
        # clock, as in the library tests; the HTTP traffic is real.
        clock = sim.state.clock
        monkeypatch.setattr(
            integration,
            "RingCentralClient",
            functools.partial(RingCentralClient, clock=clock.now, sleep=clock.sleep, request_timeout=5.0),
        )
        sim.state.account.add_extension("Support Queue", ext_type="Department")
        users = [e.id for e in sim.state.account.extensions.values() if e.type == "User"]
        log.attach(sim, users)
        monitor = MONITOR_ACCOUNT if plan.monitor == "account" else MONITOR_SELECTED
        entry = config_entry(sim, monitor, users, plan.transport)
        observer = HomeAssistantObserver(hass, sim, entry, users, log)
        observer.instrument(monkeypatch)
        messages_log = MessageLog()
        messages_log.attach(sim, users)
        messages = HomeAssistantMessages(hass, sim, entry, users, messages_log)
        messages.instrument(monkeypatch)
        messages.call_events = observer.events
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        messages.remember_last_reset()
        driver = MessageDriver(
            plan, sim, session, log, messages_log=messages_log, messages=messages, level="ha"
        )

        async def reload() -> None:
            log.break_starts()  # a restart hears nothing until its first resync after connecting
            observer.epoch += 1
            await hass.config_entries.async_reload(entry.entry_id)

        driver.reload = reload
        problems: list[str] = []
        try:
            await wait_until(lambda: observer.settled, CATCH_UP_TIMEOUT, "connected", between=observer.nudge)
            await driver.warm_up(observer)
            since = log.count
            await driver.execute(observer)
            problems += await driver.quiesce(observer)
            problems += driver.check(observer, users, since=since)
            problems += driver.check_messages()
        except TimeoutError as err:
            problems.append(str(err))
        finally:
            observer.stop()
            messages.stop()
            await hass.config_entries.async_unload(entry.entry_id)
            await hass.async_block_till_done()
            await sim.state.calls.close()
        if problems:
            pytest.fail(
                "\n".join([replay_hint("test_ha.py", seed), plan.describe(), *problems[:30]]), pytrace=False
            )
