"""Bugs the chaos suite found, each pinned by a small deterministic test.

Tests of bugs not fixed yet are `xfail(strict=True)`: the suite stays green, and turns red the moment
a fix lands so the marker is removed (docs/chaos.md lists each bug, its cause and the fix).
"""

from __future__ import annotations

import asyncio
import functools
import random
import re
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed  # type: ignore[import-untyped]

import custom_components.ringcentral as integration
from custom_components.ringcentral.aioringcentral import filters
from custom_components.ringcentral.aioringcentral.engine import CallStateEngine, EngineUpdate
from custom_components.ringcentral.aioringcentral.models import (
    Presence,
    SubscriptionInfo,
    parse_presence,
    parse_telephony_session,
)
from custom_components.ringcentral.aioringcentral.rest import RingCentralClient
from custom_components.ringcentral.aioringcentral.transport import Continuity
from custom_components.ringcentral.aioringcentral.websocket import WebSocketTransport
from custom_components.ringcentral.const import (
    CONF_ACCOUNT_ID,
    CONF_CREDENTIALS_ID,
    CONF_EXTENSION_ID,
    CONF_MONITOR,
    CONF_TRANSPORT,
    DOMAIN,
    EVENT_RINGCENTRAL,
    MONITOR_OWN,
    TRANSPORT_WEBSOCKET,
)
from rcsim import SimConfig, Simulator
from rcsim.app import assemble
from rcsim.auth import AuthSession
from rcsim.events import SimEvent
from rcsim.faults import HttpFault, NotificationFaults
from rcsim.model import Extension, populate

from .oracle import SimLog
from .pipeline import MONITOR_SELECTED, LibraryHub
from .plan import make_plan
from .runner import TIME_SCALE, Driver, wait_until


@pytest.fixture
async def sim(socket_enabled: None) -> AsyncIterator[Simulator]:
    simulator = Simulator(SimConfig(time_scale=TIME_SCALE, seed=3), extensions=2)
    async with simulator:
        try:
            yield simulator
        finally:
            await simulator.state.calls.close()


def delivered(hub: Any) -> int:
    """Notifications the hub's transport has handed over so far."""
    return int(hub.push.diagnostics()["stats"]["notifications"])


def sim_client(sim: Simulator, session: aiohttp.ClientSession) -> RingCentralClient:
    creds = sim.credentials()
    clock = sim.state.clock
    return RingCentralClient(
        session,
        server=creds["server"],
        client_id=creds["client_id"],
        client_secret=creds["client_secret"],
        jwt=creds["jwt"],
        clock=clock.now,
        sleep=clock.sleep,
        request_timeout=5.0,
    )


async def setup_own_entry(
    hass: HomeAssistant, sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> tuple[MockConfigEntry, str]:
    """The integration set up for the admin's own extension, its client on the simulator's clock."""
    clock = sim.state.clock
    monkeypatch.setattr(
        integration,
        "RingCentralClient",
        functools.partial(RingCentralClient, clock=clock.now, sleep=clock.sleep, request_timeout=5.0),
    )
    creds = sim.credentials()
    me = creds["extension_id"]
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Regression",
        unique_id=f"{sim.state.account.id}_{me}",
        data={
            **{key: creds[key] for key in ("server", "client_id", "client_secret", "jwt")},
            CONF_ACCOUNT_ID: sim.state.account.id,
            CONF_EXTENSION_ID: me,
            CONF_CREDENTIALS_ID: uuid.uuid4().hex,
        },
        options={CONF_MONITOR: MONITOR_OWN, CONF_TRANSPORT: TRANSPORT_WEBSOCKET},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry, me


async def test_revocation_racing_the_relogin_does_not_demand_new_credentials(sim: Simulator) -> None:
    """Tokens revoked again right after the client logged back in: the JWT is still valid, so the
    client must log in once more instead of reporting the credentials as refused."""
    auth = sim.state.auth
    login = auth.login
    raced: list[bool] = []

    def login_then_revoke_again(extension: Extension, client_id: str) -> AuthSession:
        session = login(extension, client_id)
        if not raced:  # the revocation lands between the login and the first use of its token
            raced.append(True)
            auth.revoke_all()
        return session

    async with aiohttp.ClientSession() as http:
        client = sim_client(sim, http)
        await client.get_extension_info()
        auth.revoke_all()
        sim.state.auth.login = login_then_revoke_again  # type: ignore[method-assign]
        info = await client.get_extension_info()
        assert raced
        assert info.id == sim.credentials()["extension_id"]
        await client.close(revoke=False)


async def test_failed_resync_is_retried_without_a_reconnect(
    hass: HomeAssistant, sim: Simulator, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A call hangs up while the socket is down and its recovery fails (the notification is lost);
    the resync that should repair it hits a burst of 503s. Once RingCentral answers again, the
    sensor must show no_call without waiting for the next reconnect."""
    entry, me = await setup_own_entry(hass, sim, monkeypatch)
    hub = entry.runtime_data.coordinator
    sensor = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{me}_call_status")
    assert sensor is not None

    def status() -> Any:
        state = hass.states.get(sensor)
        return None if state is None else state.state

    await wait_until(lambda: hub.connected, 10, "connected")
    tsid = sim.state.calls.start("inbound_answered", me, step=True)
    sim.state.calls.step(tsid)  # ringing
    await wait_until(lambda: status() == "ringing", 10, "ringing")

    sim.state.faults.http.append(HttpFault(path=re.compile(r"/presence"), status=503, remaining=None))
    sim.state.faults.fail_recoveries = 1
    sim.state.ws.drop_all()
    sim.state.calls.step(tsid)  # answered, while away
    sim.state.calls.step(tsid)  # hung up, while away: both notifications are lost with the session
    await wait_until(lambda: "Could not re-read call state" in caplog.text, 10, "resync failed")
    assert hub.connected
    assert status() == "ringing"  # stale, as expected while RingCentral fails

    sim.state.faults.clear()

    async def later() -> None:
        # A retry may wait for a backoff or Retry-After: run HA's timers a minute ahead, but only while
        # the retry waits for its timer. Firing them runs every due loop timer early, in-flight requests'
        # timeouts included, which would fail the very reads the retry makes.
        if hub.resync.retry_pending:
            async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=65))
        await hass.async_block_till_done()

    try:
        await wait_until(lambda: status() == "no_call", 5, "resynced", between=later)
    finally:
        assert await hass.config_entries.async_unload(entry.entry_id)


async def _ringing_call_in_the_flicker(
    hass: HomeAssistant, sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> tuple[MockConfigEntry, str, list[str], Callable[[], Any]]:
    """An entry for the admin's own extension whose ringing call presence now hides (the flicker):
    the entry, the call's session id, the bus event types so far, and the sensor's state."""
    entry, me = await setup_own_entry(hass, sim, monkeypatch)
    sensor = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{me}_call_status")
    assert sensor is not None
    types: list[str] = []
    hass.bus.async_listen(EVENT_RINGCENTRAL, callback(lambda event: types.append(event.data["type"])))

    def status() -> Any:
        state = hass.states.get(sensor)
        return None if state is None else state.state

    await wait_until(lambda: entry.runtime_data.coordinator.connected, 10, "connected")
    tsid = sim.state.calls.start("inbound_flicker", me, step=True)
    sim.state.calls.step(tsid)  # ringing
    await wait_until(lambda: status() == "ringing", 10, "ringing")
    heard = delivered(entry.runtime_data.coordinator)
    sim.state.calls.step(tsid)  # presence flickers to NoCall (intermediate)
    await wait_until(lambda: delivered(entry.runtime_data.coordinator) > heard, 10, "flicker delivered")
    return entry, tsid, types, status


async def test_resync_during_the_flicker_keeps_the_ringing_call(
    hass: HomeAssistant, sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The flicker (Ringing -> NoCall intermediate -> Ringing) overlaps a resync after a failed
    recovery. The call is alive (its telephony party is Proceeding), so the resync must not end it."""
    entry, tsid, types, status = await _ringing_call_in_the_flicker(hass, sim, monkeypatch)
    hub = entry.runtime_data.coordinator

    def presence_reads() -> int:
        return sum(1 for e in sim.state.log if e["kind"] == "request" and "/presence" in str(e.get("path")))

    reads = presence_reads()
    sim.state.faults.fail_recoveries = 1
    sim.state.ws.drop_all()
    await wait_until(
        lambda: presence_reads() > reads and hub.connected and hub.resync.task.done(), 10, "resynced"
    )
    try:
        assert types == ["ringing"], f"the resync ended a live call: {types}"
        sim.state.calls.step(tsid)  # presence shows it Ringing again
        await wait_until(lambda: status() == "ringing", 10, "ringing again")
    finally:
        assert await hass.config_entries.async_unload(entry.entry_id)


async def test_restart_during_the_flicker_does_not_announce_the_call_again(
    hass: HomeAssistant, sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HA restarts (config entry reload) while a ringing call flickers; after the restart the call
    rings on. It was announced before the restart, so no second `ringing` may fire."""
    entry, tsid, types, status = await _ringing_call_in_the_flicker(hass, sim, monkeypatch)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    await wait_until(lambda: entry.runtime_data.coordinator.connected, 10, "reconnected")
    sim.state.calls.step(tsid)  # ringing again
    try:
        await wait_until(lambda: status() == "ringing", 10, "ringing again")
        assert types == ["ringing"], f"the call was announced again after the restart: {types}"
    finally:
        assert await hass.config_entries.async_unload(entry.entry_id)


class ContinuityRecorder:
    """A transport listener that keeps the continuity of every connection."""

    def __init__(self) -> None:
        self.connected: list[Continuity] = []

    def on_notification(self, raw: dict[str, Any]) -> None:
        """Notifications do not matter here."""

    def on_connected(self, continuity: Continuity) -> None:
        self.connected.append(continuity)

    def on_disconnected(self, reason: str) -> None:
        """Neither do losses."""

    def on_subscription(self, info: SubscriptionInfo) -> None:
        """Nor subscriptions."""


async def test_failed_recovery_then_drop_while_subscribing_reports_lost(
    sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Recovery fails (notifications were lost), and the socket drops while the transport re-creates
    the subscription on the new session. Recovering that new session must still say LOST, or the
    caller never resyncs what the failed recovery lost."""
    subscriptions = sim.state.subscriptions
    handle_request = subscriptions.handle_request
    armed: list[bool] = []

    async def drop_while_subscribing(method: str, path: str, body: Any, session: Any, **kwargs: Any) -> Any:
        reply = await handle_request(method, path, body, session, **kwargs)
        if armed and method == "POST":
            armed.clear()
            sim.state.ws.drop_all()  # the answer never reaches the client
        return reply

    monkeypatch.setattr(subscriptions, "handle_request", drop_while_subscribing)
    recorder = ContinuityRecorder()
    async with aiohttp.ClientSession() as http:
        client = sim_client(sim, http)
        transport = WebSocketTransport(
            client,
            [filters.extension_presence()],
            recorder,
            backoff_initial=0.5,
            backoff_max=1.0,
            rng=random.Random(1),
        )
        task = asyncio.get_running_loop().create_task(transport.run())
        try:
            await wait_until(lambda: recorder.connected == [Continuity.NEW], 10, "connected")
            sim.state.faults.fail_recoveries = 1
            armed.append(True)
            sim.state.ws.drop_all()
            await wait_until(lambda: len(recorder.connected) > 1, 10, "reconnected")
            assert Continuity.LOST in recorder.connected[1:], recorder.connected
        finally:
            await transport.stop()
            await task
            await client.close(revoke=False)


def test_snapshot_ends_a_call_that_a_concurrent_push_left_out() -> None:
    """The call's hang-up notifications are lost; a resync starts; meanwhile a presence push (a user
    status change) arrives without the call. The snapshot must end the call."""
    state = assemble(SimConfig(seed=7))
    extensions = populate(state.account, 2)
    published: list[SimEvent] = []
    state.bus.subscribe(published.append)
    me = extensions[0].id
    engine = CallStateEngine()
    engine.set_monitored([e.id for e in extensions])
    clock = [datetime(2024, 5, 1, tzinfo=UTC)]

    def now(step: float = 0.1) -> datetime:
        clock[0] += timedelta(seconds=step)
        return clock[0]

    def feed() -> list[str]:
        events: list[str] = []
        for event in published:
            if event.kind == "presence":
                update = engine.apply_presence(parse_presence(event.body, detailed=True), now())
            else:
                update = engine.apply_telephony(parse_telephony_session(event.body), now())
            events += [e.type for e in update.events]
        published.clear()
        return events

    token = engine.begin_snapshot()
    engine.apply_snapshot(token, {me: parse_presence(state.calls.presence(me))}, {}, now())
    state.calls.set_presence(me, user_status="Busy")  # the presence stream has started
    state.calls.set_presence(me, user_status="Available")
    feed()
    tsid = state.calls.start("inbound_answered", me, step=True)
    state.calls.step(tsid)
    state.calls.step(tsid)
    assert feed() == ["ringing", "answered"]
    state.calls.step(tsid)  # hang up: these notifications are lost
    published.clear()

    token = engine.begin_snapshot()
    state.calls.set_presence(me, user_status="Busy")  # pushed while the snapshot's requests run
    feed()
    update = engine.apply_snapshot(
        token, {me: parse_presence(state.calls.presence(me))}, {tsid: None}, now(0.5)
    )
    later = engine.tick(now(10.0))
    assert [e.type for e in (*update.events, *later.events)] == ["ended"]
    assert engine.state(me).calls == ()


class InProcessFeed:
    """The simulator's call engine in process, its events fed to a `CallStateEngine` on a fake clock
    (or dropped, as a silent notification loss would)."""

    def __init__(self) -> None:
        self.state = assemble(SimConfig(seed=7))
        extensions = populate(self.state.account, 2)
        self.published: list[SimEvent] = []
        self.state.bus.subscribe(self.published.append)
        self.me = extensions[0].id
        self.engine = CallStateEngine()
        self.engine.set_monitored([e.id for e in extensions])
        self.clock = datetime(2024, 5, 1, tzinfo=UTC)
        self.lost: set[str] = set()
        token = self.engine.begin_snapshot()
        self.engine.apply_snapshot(token, {self.me: self.presence()}, {}, self.now())
        self.state.calls.set_presence(self.me, user_status="Busy")  # the presence stream has started
        self.state.calls.set_presence(self.me, user_status="Available")
        self.feed()

    def now(self, step: float = 0.1) -> datetime:
        self.clock += timedelta(seconds=step)
        return self.clock

    def presence(self) -> Presence:
        """What `GET .../presence` answers now."""
        return parse_presence(self.state.calls.presence(self.me))

    def feed(self, *, drop: frozenset[str] = frozenset()) -> list[str]:
        """Apply what was published (except the `drop` kinds: "presence", "telephony"); event types."""
        updates = []
        for event in self.published:
            if event.kind in drop:
                continue
            if event.kind == "presence":
                updates.append(
                    self.engine.apply_presence(parse_presence(event.body, detailed=True), self.now())
                )
            else:
                updates.append(self.engine.apply_telephony(parse_telephony_session(event.body), self.now()))
        self.published.clear()
        return self.take(updates)

    def settle(self) -> list[str]:
        """Run every engine deadline (gaps given up on, terminals settled); event types."""
        updates = []
        while (deadline := self.engine.next_deadline()) is not None:
            self.clock = max(self.clock, deadline)
            updates.append(self.engine.tick(self.clock))
        return self.take(updates)

    def take(self, updates: list[EngineUpdate]) -> list[str]:
        for update in updates:
            self.lost |= update.lost
        return [e.type for update in updates for e in update.events]

    def shown(self) -> list[str]:
        return [call.status for call in self.engine.state(self.me).calls]


def test_hang_up_lost_and_revealed_by_a_gap_asks_for_a_resync() -> None:
    """A connected call's hang-up notifications (telephony Disconnected, presence NoCall final) are
    lost; later presence events reveal the gap. Telephony's last word was Answered, so presence leaving
    the call out is no end (engine/settlement.py): the engine must report the loss, and the resync it
    asks for must end the call, once."""
    run = InProcessFeed()
    calls = run.state.calls
    tsid = calls.start("inbound_answered", run.me, step=True)
    calls.step(tsid)
    calls.step(tsid)
    assert run.feed() == ["ringing", "answered"]
    calls.step(tsid)  # hang up: every notification of it is lost
    run.published.clear()
    calls.set_presence(run.me, user_status="Busy")  # later traffic: its sequence jumps
    calls.set_presence(run.me, user_status="Available")
    assert run.feed() + run.settle() == []
    assert run.lost == {run.me}, "a presence gap given up on must ask for a resync"
    assert run.shown() == ["call_connected"]  # stale until then: telephony still says Answered

    token = run.engine.begin_snapshot()
    update = run.engine.apply_snapshot(
        token, {run.me: run.presence()}, {tsid: None}, run.now()
    )  # the session is gone (404)
    assert [e.type for e in update.events] + run.settle() == ["ended"]
    assert run.shown() == []


def test_presence_final_ends_a_call_only_telephony_had_shown() -> None:
    """A ringing call whose presence Ringing was lost (telephony's Proceeding arrived), then its
    telephony Disconnected was lost: presence's explicit NoCall (final) must end it, not be ignored
    because presence had never listed the call."""
    run = InProcessFeed()
    calls = run.state.calls
    tsid = calls.start("inbound_missed", run.me, step=True)
    calls.step(tsid)  # ringing
    assert run.feed(drop=frozenset({"presence"})) == ["ringing"]
    calls.step(tsid)  # the caller gives up
    assert run.feed(drop=frozenset({"telephony"})) + run.settle() == ["missed"]
    assert run.shown() == []


async def test_hub_resyncs_when_a_presence_gap_reveals_lost_notifications(
    hass: HomeAssistant, sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The platform silently drops a connected call's hang-up notifications; the socket stays up, so
    nothing says LOST. The next presence events reveal the gap: the hub must re-read the state from
    REST, and the sensor must show the call ended (once), not connected for good."""
    entry, me = await setup_own_entry(hass, sim, monkeypatch)
    hub = entry.runtime_data.coordinator
    sensor = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{me}_call_status")
    assert sensor is not None
    types: list[str] = []

    @callback
    def record(event: Event) -> None:  # on the loop, so in the order fired
        types.append(event.data["type"])

    hass.bus.async_listen(EVENT_RINGCENTRAL, record)

    def status() -> Any:
        state = hass.states.get(sensor)
        return None if state is None else state.state

    await wait_until(lambda: hub.connected, 10, "connected")
    calls = sim.state.calls
    calls.set_presence(me, user_status="Busy")  # the presence stream has started
    tsid = calls.start("inbound_answered", me, step=True)
    calls.step(tsid)
    calls.step(tsid)
    await wait_until(lambda: status() == "call_connected", 10, "connected call")
    sim.state.faults.notifications.drop = 1.0
    calls.step(tsid)  # hang up: every notification of it is dropped
    sim.state.faults.clear()
    heard = delivered(hub)
    calls.set_presence(me, user_status="Available")  # later traffic: its sequence jumps
    calls.set_presence(me, user_status="Busy")
    await wait_until(lambda: delivered(hub) >= heard + 2, 10, "later presence delivered")

    async def later() -> None:
        # The engine waits its settle time (real time in HA) for the gap to fill: jump past it. Not while
        # a resync runs: firing HA's timers runs every due loop timer early, which would time out its reads.
        task = hub.resync.task
        if task is None or task.done():
            async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=5))
        await hass.async_block_till_done()

    try:
        await wait_until(lambda: status() == "no_call", 10, "resynced after the gap", between=later)
        assert types == ["ringing", "answered", "ended"]
    finally:
        assert await hass.config_entries.async_unload(entry.entry_id)


def test_flicker_right_after_a_snapshot_keeps_the_ringing_call() -> None:
    """A restart's (or any resync's) snapshot lists a ringing call and reads its session; then the
    presence flicker hides it before any telephony notification arrived. The party still rings, so
    the call must stay shown: the session read with the snapshot is telephony's word on it."""
    state = assemble(SimConfig(seed=7))
    extensions = populate(state.account, 2)
    published: list[SimEvent] = []
    state.bus.subscribe(published.append)
    me = extensions[0].id
    clock = [datetime(2024, 5, 1, tzinfo=UTC)]

    def now() -> datetime:
        clock[0] += timedelta(seconds=0.1)
        return clock[0]

    tsid = state.calls.start("inbound_flicker", me, step=True)
    state.calls.step(tsid)  # ringing, before the (restarted) engine exists
    published.clear()
    engine = CallStateEngine()  # as after a Home Assistant restart
    engine.set_monitored([e.id for e in extensions])
    token = engine.begin_snapshot()
    session = parse_telephony_session(state.calls.telephony_session(tsid))
    engine.apply_snapshot(token, {me: parse_presence(state.calls.presence(me))}, {tsid: session}, now())
    assert [c.status for c in engine.state(me).calls] == ["ringing"]

    state.calls.step(tsid)  # presence flickers to NoCall (intermediate); the party is still Proceeding
    assert [e.kind for e in published] == ["presence"]
    update = engine.apply_presence(parse_presence(published[0].body, detailed=True), now())
    assert update.events == ()
    assert [c.status for c in engine.state(me).calls] == ["ringing"], "the flicker hid a ringing call"


async def test_restart_in_the_flicker_with_unreadable_sessions_does_not_announce_the_call_again(
    hass: HomeAssistant, sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As the test above, but the restarted entry cannot read the session (502s): presence still
    hides the call, so it is missing from the baseline. The call was announced before the restart,
    so when presence shows it again no second `ringing` may fire."""
    entry, tsid, types, status = await _ringing_call_in_the_flicker(hass, sim, monkeypatch)
    sim.state.faults.http.append(
        HttpFault(path=re.compile(r"/telephony/sessions/"), status=502, remaining=None)
    )
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    hub = entry.runtime_data.coordinator
    await wait_until(lambda: hub.connected and hub.resync.task.done(), 10, "reconnected and resynced")
    sim.state.faults.clear()
    sim.state.calls.step(tsid)  # ringing again
    try:
        await wait_until(lambda: status() == "ringing", 10, "ringing again")
        assert types == ["ringing"], f"the call was announced again after the restart: {types}"
    finally:
        assert await hass.config_entries.async_unload(entry.entry_id)


def test_a_call_whose_end_arrives_first_still_ends_once() -> None:
    """Right after a snapshot (a restart or a reconnect: the engine does not know where each stream
    is), a call's notifications arrive newest first. Presence's final NoCall starts the stream, so
    the older presences are stale; its telephony updates arrive after its end. The party was on the
    call (it rang and was answered), so the call must still end with exactly one terminal event."""
    state = assemble(SimConfig(seed=7))
    extensions = populate(state.account, 2)
    published: list[SimEvent] = []
    state.bus.subscribe(published.append)
    me = extensions[0].id
    engine = CallStateEngine()  # as after a Home Assistant restart
    engine.set_monitored([e.id for e in extensions])
    clock = [datetime(2024, 5, 1, tzinfo=UTC)]

    def now(step: float = 0.1) -> datetime:
        clock[0] += timedelta(seconds=step)
        return clock[0]

    engine.apply_snapshot(engine.begin_snapshot(), {me: parse_presence(state.calls.presence(me))}, {}, now())
    tsid = state.calls.start("inbound_answered", me, step=True)
    for _ in range(3):
        state.calls.step(tsid)  # rings, answered, hung up
    assert {e.kind for e in published} == {"presence", "telephony"}
    events: list[str] = []
    for event in reversed(published):
        if event.kind == "presence":
            update = engine.apply_presence(parse_presence(event.body, detailed=True), now())
        else:
            update = engine.apply_telephony(parse_telephony_session(event.body), now())
        events += [e.type for e in update.events]
    events += [e.type for e in engine.tick(now(5.0)).events]
    assert events == ["ended"], f"a call that rang and was answered ended with {events}"
    assert engine.state(me).calls == ()
    assert engine.next_deadline() is None


async def test_restart_while_a_call_end_settles_still_fires_it(
    hass: HomeAssistant, sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Presence says a call is over (NoCall final) but telephony's hang-up is lost: the engine waits
    the settle time for it. Home Assistant restarts within that time; the `ended` event must still
    fire (the restarted entry no longer knows the call)."""
    entry, me = await setup_own_entry(hass, sim, monkeypatch)
    types: list[str] = []
    hass.bus.async_listen(EVENT_RINGCENTRAL, callback(lambda event: types.append(event.data["type"])))
    hub = entry.runtime_data.coordinator
    await wait_until(lambda: hub.connected, 10, "connected")
    tsid = sim.state.calls.start("inbound_answered", me, step=True)
    sim.state.calls.step(tsid)  # ringing
    sim.state.calls.step(tsid)  # answered
    await wait_until(lambda: types == ["ringing", "answered"], 10, "answered")
    heard = delivered(hub)
    # The hang-up's telephony notification (published first) is lost; presence's final arrives.
    sim.state.faults.notifications = NotificationFaults(drop=1.0, remaining=1)
    sim.state.calls.step(tsid)
    await wait_until(lambda: delivered(hub) > heard, 10, "presence final delivered")
    assert hub.engine.next_deadline() is not None  # the end waits for telephony's word
    try:
        assert await hass.config_entries.async_reload(entry.entry_id)
        await hass.async_block_till_done()
        await wait_until(lambda: entry.runtime_data.coordinator.connected, 10, "reconnected")
        assert types == ["ringing", "answered", "ended"], f"the restart swallowed the call's end: {types}"
    finally:
        assert await hass.config_entries.async_unload(entry.entry_id)


class _EngineFeed:
    """A pure engine fed the simulator's own notification bodies, on a clock a test moves by hand;
    deadlines run the way a hub runs them (`tick` at each `next_deadline`)."""

    def __init__(self, extensions: int = 2) -> None:
        self.state = assemble(SimConfig(seed=7))
        self.extensions = populate(self.state.account, extensions)
        self.published: list[SimEvent] = []
        self.state.bus.subscribe(self.published.append)
        self.me = self.extensions[0].id
        self.engine = CallStateEngine()
        self.engine.set_monitored([e.id for e in self.extensions])
        self.clock = datetime(2024, 5, 1, tzinfo=UTC)

    def now(self, step: float = 0.1) -> datetime:
        self.clock += timedelta(seconds=step)
        return self.clock

    def take(self) -> list[SimEvent]:
        """What the simulator published since the last call (not delivered yet)."""
        events, self.published[:] = list(self.published), []
        return events

    def deliver(self, events: list[SimEvent]) -> list[str]:
        types: list[str] = []
        for event in events:
            if event.kind == "presence":
                update = self.engine.apply_presence(parse_presence(event.body, detailed=True), self.now())
            else:
                update = self.engine.apply_telephony(parse_telephony_session(event.body), self.now())
            types += [e.type for e in update.events]
        return types

    def run_deadlines(self) -> list[str]:
        types: list[str] = []
        while (deadline := self.engine.next_deadline()) is not None:
            self.clock = max(self.clock, deadline)
            types += [e.type for e in self.engine.tick(self.clock).events]
        return types

    def snapshot(self, tsids: tuple[str, ...] = ()) -> list[str]:
        """A resync as the hub does it: every extension's REST presence, then the given sessions."""
        token = self.engine.begin_snapshot()
        presences = {e.id: parse_presence(self.state.calls.presence(e.id)) for e in self.extensions}
        sessions = {}
        for tsid in tsids:
            body = self.state.calls.telephony_session(tsid)
            sessions[tsid] = None if body is None else parse_telephony_session(body)
        update = self.engine.apply_snapshot(token, presences, sessions, self.now())
        return [e.type for e in update.events]


def test_presence_reordered_right_after_a_resync_still_tells_the_call() -> None:
    """After a resync (notifications were lost, so the presence stream has a gap), a short call's
    notifications arrive with each step overtaking the one before: its hang-up first. The first
    presence after the resync must not make the earlier ones stale, and the telephony hang-up heard
    first must not end the call before the held-back presences tell its story."""
    feed = _EngineFeed()
    me = feed.me
    feed.snapshot()
    feed.state.calls.set_presence(me, user_status="Busy")  # the presence stream has started
    feed.state.calls.set_presence(me, user_status="Available")
    feed.deliver(feed.take())
    feed.state.calls.set_presence(me, user_status="Busy")  # lost while the connection was down
    feed.take()
    assert feed.snapshot() == []
    tsid = feed.state.calls.start("inbound_answered", me, step=True)
    steps = []
    for _ in range(3):  # ring, answer, hang up
        feed.state.calls.step(tsid)
        steps.append(feed.take())
    types = feed.deliver([event for step in reversed(steps) for event in step])
    types += feed.run_deadlines()
    assert types == ["ringing", "answered", "ended"]
    assert feed.engine.state(me).calls == ()


def test_resync_session_keeps_a_listed_ringing_call_through_the_flicker() -> None:
    """A ringing call's notifications were lost; the resync finds it in REST presence and reads its
    session (Proceeding). When presence then flickers (NoCall, intermediate), the session is
    telephony's latest word that the party rings on: the call stays shown (engine/display.py)."""
    feed = _EngineFeed()
    me = feed.me
    feed.snapshot()
    tsid = feed.state.calls.start("inbound_flicker", me, step=True)
    feed.state.calls.step(tsid)  # ringing: these notifications are lost
    feed.take()
    assert feed.snapshot((tsid,)) == ["ringing"]
    feed.state.calls.step(tsid)  # presence flickers to NoCall (intermediate); telephony rings on
    assert feed.deliver(feed.take()) == []
    assert feed.run_deadlines() == []
    state = feed.engine.state(me)
    assert (state.telephony_status, [c.status for c in state.calls]) == ("ringing", ["ringing"])


async def test_flicker_truth_expects_only_calls_telephony_told_the_observer_about(sim: Simulator) -> None:
    """The oracle's flicker exception (a call presence hides is expected ringing while its party rings
    on) needs telephony's word to have reached the observer: a call whose notifications were all
    lost and which REST presence hides cannot be known, so the truth is what presence shows."""
    log = SimLog()
    users = [e.id for e in sim.state.account.extensions.values() if e.type == "User"]
    log.attach(sim, users)
    published: list[SimEvent] = []
    sim.state.bus.subscribe(published.append)
    async with aiohttp.ClientSession() as session:
        driver = Driver(make_plan(1), sim, session, log)
        calls = {}
        for ext_id in users:
            calls[ext_id] = sim.state.calls.start("inbound_flicker", ext_id, step=True)
            sim.state.calls.step(calls[ext_id])  # ringing: never heard
            sim.state.calls.step(calls[ext_id])  # presence flickers to NoCall (intermediate)
        assert [driver.truth()[ext_id]["activeCalls"] for ext_id in users] == [[], []]
        first, second = users
        client = sim_client(sim, session)
        try:  # what a resync would read
            assert await client.get_telephony_session(calls[first]) is not None
        finally:
            await client.close(revoke=False)
        log.heard(next(e.body for e in published if e.kind == "telephony" and e.extension_id == second))
        truth = driver.truth()
        assert [[c["telephonySessionId"] for c in truth[ext_id]["activeCalls"]] for ext_id in users] == [
            [calls[first]],
            [calls[second]],
        ]


def test_presences_a_gap_held_back_until_a_resync_started_are_older_than_it() -> None:
    """A presence waits behind a gap; a resync starts; the wait ends while its requests run, so the
    held-back presence (the call ringing) applies then. It arrived before the resync started, so
    REST's answer (the call connected meanwhile; its notifications were lost) is newer and wins."""
    feed = _EngineFeed()
    me = feed.me
    feed.snapshot()
    feed.state.calls.set_presence(me, user_status="Busy")  # the presence stream has started
    feed.state.calls.set_presence(me, user_status="Available")
    feed.deliver(feed.take())
    feed.state.calls.set_presence(me, user_status="Busy")  # delayed beyond the settle time
    feed.take()
    tsid = feed.state.calls.start("inbound_answered", me, step=True)
    feed.state.calls.step(tsid)  # ringing: only its presence arrives, behind the gap
    assert feed.deliver([e for e in feed.take() if e.kind == "presence"]) == []
    feed.state.calls.step(tsid)  # answered: lost
    feed.take()
    token = feed.engine.begin_snapshot()
    deadline = feed.engine.next_deadline()
    assert deadline is not None
    feed.clock = max(feed.clock, deadline)
    types = [e.type for e in feed.engine.tick(feed.clock).events]  # the wait ends mid-resync
    session = feed.state.calls.telephony_session(tsid)
    assert session is not None
    update = feed.engine.apply_snapshot(
        token,
        {e.id: parse_presence(feed.state.calls.presence(e.id)) for e in feed.extensions},
        {tsid: parse_telephony_session(session)},
        feed.now(),
    )
    types += [e.type for e in update.events] + feed.run_deadlines()
    assert types == ["ringing", "answered"]
    assert [c.status for c in feed.engine.state(me).calls] == ["call_connected"]


async def test_library_resync_reads_the_session_of_a_call_only_a_resync_had_listed(sim: Simulator) -> None:
    """The library-level pipeline must read the sessions of every call the engine tracks, as hub.py
    does: a ringing call whose notifications were all lost is known only from a resync's REST
    presence; a second resync during the flicker (REST presence leaves it out) without its session
    ended it (a false `missed`, and the call remembered as ended while it rang on)."""
    log = SimLog()
    me = next(e.id for e in sim.state.account.extensions.values() if e.type == "User")
    log.attach(sim, [me])
    async with aiohttp.ClientSession() as session:
        hub = LibraryHub(sim, session, [me], monitor=MONITOR_SELECTED, log=log, seed=1)
        try:
            await hub.resync()  # the baseline: no call yet
            tsid = sim.state.calls.start("inbound_flicker", me, step=True)
            sim.state.calls.step(tsid)  # ringing: never heard (the transport is not running)
            await hub.resync()
            assert [e.type for e in hub.events] == ["ringing"]
            sim.state.calls.step(tsid)  # presence flickers to NoCall (intermediate); the party rings on
            await hub.resync()
            assert [e.type for e in hub.events] == ["ringing"], "the resync ended a live call"
            assert [c[2] for c in hub.state()[me]["calls"]] == ["ringing"]
        finally:
            await hub.stop()


@pytest.mark.parametrize(("session_read", "expected"), [("failed", []), ("gone", ["missed"])])
def test_a_session_the_snapshot_could_not_read_does_not_end_the_call(
    session_read: str, expected: list[str]
) -> None:
    """A ringing call in the flicker: REST presence hides it, so only its session can say it still
    rings. A session that could not be read (5xx, 429) is no answer: the call stays, only a session
    that is gone (404) ends it."""
    run = InProcessFeed()
    calls = run.state.calls
    tsid = calls.start("inbound_flicker", run.me, step=True)
    calls.step(tsid)  # ringing
    assert run.feed() == ["ringing"]
    calls.step(tsid)  # presence flickers to NoCall (intermediate); the party still rings
    assert run.feed() == []
    token = run.engine.begin_snapshot()
    sessions: dict[str, Any] = {} if session_read == "failed" else {tsid: None}
    update = run.engine.apply_snapshot(token, {run.me: run.presence()}, sessions, run.now())
    assert [e.type for e in update.events] + run.settle() == expected
    assert run.shown() == ([] if expected else ["ringing"])


def test_telephony_sent_before_a_resync_does_not_move_the_call_back() -> None:
    """A call's notifications are held back (reordered, delayed) while a resync reads it parked; its
    parked presence arrived first, behind the gap, so the older presences are stale after the resync.
    The telephony updates then arrive after the resync, the answer first: REST has no sequence, so
    they cannot be shown newer than its read, and must not move the call back to connected (a
    `resumed` that never happened, then stuck connected while it is parked: seed 20194)."""
    feed = _EngineFeed()
    me = feed.me
    feed.snapshot()
    feed.state.calls.set_presence(me, user_status="Busy")  # the presence stream has started
    feed.state.calls.set_presence(me, user_status="Available")
    feed.deliver(feed.take())
    tsid = feed.state.calls.start("park_pickup", me, step=True)
    steps = []
    for _ in range(3):  # ring, answer, park: all held back
        feed.state.calls.step(tsid)
        steps.append(feed.take())
    assert feed.deliver([e for e in steps[2] if e.kind == "presence"]) == []  # waits behind the gap
    assert feed.snapshot((tsid,)) == ["parked"]
    telephony = {
        party["status"]["code"]: e
        for step in steps
        for e in step
        if e.kind != "presence"
        for party in e.body["parties"]
        if party.get("extensionId") == me
    }
    late = [telephony["Answered"], telephony["Proceeding"], telephony["Parked"]]
    late += [e for step in steps[:2] for e in step if e.kind == "presence"]  # stale after the resync
    assert feed.deliver(late) + feed.run_deadlines() == []
    state = feed.engine.state(me)
    assert (state.telephony_status, [c.status for c in state.calls]) == ("parked_call", ["parked_call"])


def test_notifications_sent_before_a_resync_do_not_repeat_its_step() -> None:
    """A call's notifications are held back while a resync reads it parked (which announces
    `parked`); then they all arrive, in order: ringing, answered, parked. Presence, in order after
    the resync, retells the call from ringing, and its `parked` must not fire a second time: a step
    the lifecycle table does not allow from parked is absorbed (fresh seed 70128: `parked, parked,
    ended`)."""
    feed = _EngineFeed()
    me = feed.me
    feed.snapshot()
    feed.state.calls.set_presence(me, user_status="Busy")  # the presence stream has started
    feed.state.calls.set_presence(me, user_status="Available")
    feed.deliver(feed.take())
    other = feed.extensions[1].id
    tsid = feed.state.calls.start("park_pickup", me, other_extension_id=other, step=True)
    held = []
    for _ in range(3):  # ring, answer, park: all held back
        feed.state.calls.step(tsid)
        held += feed.take()
    assert feed.snapshot((tsid,)) == ["parked"]
    assert feed.deliver(held) + feed.run_deadlines() == []
    assert feed.engine.absorbed == {"parked->parked": 1}
    while feed.state.calls.step(tsid):  # the other extension picks it up: over for this party
        pass
    mine = [
        event.type
        for item in feed.take()
        for event in (
            feed.engine.apply_presence(parse_presence(item.body, detailed=True), feed.now())
            if item.kind == "presence"
            else feed.engine.apply_telephony(parse_telephony_session(item.body), feed.now())
        ).events
        if event.extension_id == me
    ]
    assert mine == ["ended"]


def test_a_restart_hands_over_where_each_calls_history_stands() -> None:
    """A call is answered, then the integration restarts while it is put on hold; the restarted
    engine finds it held and then sees it resumed. Its events across the restart must stay a path
    of the lifecycle: `on_hold` before `resumed`, not a `resumed` after `answered` (fresh seed
    1020090: the new engine took the held call as a silent baseline)."""
    feed = _EngineFeed()
    me = feed.me
    feed.snapshot()
    feed.state.calls.set_presence(me, user_status="Busy")  # the presence stream has started
    feed.state.calls.set_presence(me, user_status="Available")
    feed.deliver(feed.take())
    tsid = feed.state.calls.start("hold_resume", me, step=True)
    feed.state.calls.step(tsid)
    feed.state.calls.step(tsid)
    assert feed.deliver(feed.take()) == ["ringing", "answered"]
    saved = feed.engine.announced_calls()
    (party,) = [key[2] for key in saved if key[1] == tsid]
    assert saved == [(me, tsid, party, "connected")]

    feed.engine = CallStateEngine()  # the restart: what happens meanwhile is not heard
    feed.engine.set_monitored([e.id for e in feed.extensions])
    feed.engine.restore_announced(saved)
    feed.state.calls.step(tsid)  # put on hold
    feed.take()
    assert feed.snapshot((tsid,)) == ["on_hold"]
    feed.state.calls.step(tsid)  # resumed
    assert feed.deliver(feed.take()) + feed.run_deadlines() == ["resumed"]


def test_calls_saved_without_their_history_start_from_a_silent_baseline() -> None:
    """Entries of three ids (saved before calls carried where their history stood): no second start
    event, and the call moves on from where the restarted engine finds it."""
    feed = _EngineFeed()
    me = feed.me
    tsid = feed.state.calls.start("hold_resume", me, step=True)
    for _ in range(3):  # ringing, answered, held: announced by an earlier engine
        feed.state.calls.step(tsid)
    feed.take()
    party = next(iter(feed.state.calls.ground_truth()[me]["activeCalls"]))["partyId"]
    feed.engine.restore_announced([(me, tsid, party)])
    assert feed.snapshot((tsid,)) == []
    feed.state.calls.step(tsid)  # resumed
    assert feed.deliver(feed.take()) + feed.run_deadlines() == ["resumed"]
