"""WebSocketTransport against the simulator's gateway: subscribe, heartbeats, recovery, faults, shutdown."""

from __future__ import annotations

import logging
import random
from typing import Any

import pytest

from custom_components.ringcentral.aioringcentral import filters
from custom_components.ringcentral.aioringcentral.errors import ApiError, MissingPermissionsError
from custom_components.ringcentral.aioringcentral.transport import Continuity
from custom_components.ringcentral.aioringcentral.websocket import WebSocketTransport
from rcsim import SimConfig, Simulator
from tests.waiting import wait_for

from .conftest import (
    ClientFactory,
    Recorder,
    SimFactory,
    TransportRunner,
    publish_presence,
    ready,
    server_subscriptions,
)

KEPT, LOST, NEW = Continuity.KEPT, Continuity.LOST, Continuity.NEW


@pytest.fixture
async def ws_sim(make_sim: SimFactory) -> Simulator:
    """20x speed: RingCentral's seconds pass twenty times faster than the test's."""
    return await make_sim(SimConfig(time_scale=20.0), extensions=3)


async def test_subscribe_and_receive(
    ws_sim: Simulator, make_client: ClientFactory, run_transport: TransportRunner
) -> None:
    ext_id = next(iter(ws_sim.state.account.extensions))
    recorder = Recorder()
    wanted = [filters.extension_presence(), filters.account_telephony_sessions()]
    transport = run_transport(make_client(ws_sim), wanted, recorder)
    await ready(transport, recorder)

    publish_presence(ws_sim, ext_id, range(3))
    tsid = ws_sim.state.calls.start("inbound_answered", ext_id, step=True)
    ws_sim.state.calls.step(tsid)
    await wait_for(lambda: any("telephony" in n["event"] for n in recorder.notifications))

    assert recorder.events[:2] == ["subscription", "connected:new"]
    assert transport.subscription is not None
    assert transport.subscription.transport_type == "WebSocket"
    assert len(transport.subscription.event_filters) == 2
    assert transport.disabled_filters == ()
    assert recorder.sequences()[:3] == [0, 1, 2]
    assert {n["subscriptionId"] for n in recorder.notifications} == {transport.subscription.id}
    assert transport.stats.notifications == len(recorder.notifications)
    assert transport.stats.last_message_at is not None


async def test_disabled_filters_are_reported(
    ws_sim: Simulator, make_client: ClientFactory, run_transport: TransportRunner
) -> None:
    user = list(ws_sim.state.account.extensions)[1]  # not an admin
    recorder = Recorder()
    wanted = [filters.extension_presence(), filters.account_telephony_sessions()]
    transport = run_transport(make_client(ws_sim, extension_id=user), wanted, recorder)
    await ready(transport, recorder)

    refused = transport.disabled_filters
    # RingCentral echoes filters with `~` expanded to ids.
    account_id = ws_sim.state.account.id
    assert [d.filter for d in refused] == [f"/restapi/v1.0/account/{account_id}/telephony/sessions"]
    assert refused[0].reason == "AccessDenied"
    assert recorder.subscriptions[0].disabled_filters == refused
    assert transport.diagnostics()["disabled_filters"][0]["reason"] == "AccessDenied"


async def test_heartbeats_keep_an_idle_connection_alive(
    make_sim: SimFactory, make_client: ClientFactory, run_transport: TransportRunner
) -> None:
    sim = await make_sim(SimConfig(time_scale=20.0, ws_idle_timeout=10.0))
    recorder = Recorder()
    transport = run_transport(
        make_client(sim), [filters.extension_presence()], recorder, heartbeat_interval=2.0
    )
    await ready(transport, recorder)
    started = sim.state.clock.now()

    # Four idle timeouts pass without a single notification.
    await wait_for(lambda: sim.state.clock.now() > started + 40.0)

    assert recorder.disconnected == []
    assert transport.stats.connects == 1
    assert transport.stats.heartbeats_sent >= 10
    assert sim.state.ws.connections == 1


async def test_without_heartbeats_the_idle_timeout_drops_and_recovery_follows(
    make_sim: SimFactory, make_client: ClientFactory, run_transport: TransportRunner
) -> None:
    sim = await make_sim(SimConfig(time_scale=20.0, ws_idle_timeout=10.0))
    recorder = Recorder()
    transport = run_transport(
        make_client(sim), [filters.extension_presence()], recorder, heartbeat_interval=1000.0
    )

    await ready(transport, recorder, count=2)

    assert recorder.disconnected[0] == "server error WSG-902"
    assert recorder.connected[:2] == [NEW, KEPT]


@pytest.mark.parametrize("error_code", ["WSG-903", None])
async def test_drop_recovers_with_replay(
    ws_sim: Simulator, make_client: ClientFactory, run_transport: TransportRunner, error_code: str | None
) -> None:
    ext_id = next(iter(ws_sim.state.account.extensions))
    recorder = Recorder()
    transport = run_transport(make_client(ws_sim), [filters.extension_presence()], recorder)
    await ready(transport, recorder)
    publish_presence(ws_sim, ext_id, range(5))
    await wait_for(lambda: len(recorder.notifications) == 5)
    first_subscription = transport.subscription

    ws_sim.state.ws.drop_all(error_code)
    publish_presence(ws_sim, ext_id, range(5, 10))  # while nobody is connected
    await ready(transport, recorder, count=2)
    publish_presence(ws_sim, ext_id, range(10, 12))
    await wait_for(lambda: len(recorder.notifications) >= 12)

    assert recorder.sequences() == list(range(12))
    assert recorder.connected == [NEW, KEPT]
    assert len(recorder.disconnected) == 1
    assert transport.subscription == first_subscription
    assert transport.stats.recoveries_ok == 1
    assert transport.stats.subscriptions_created == 1
    assert transport.stats.duplicates_dropped == 0


async def test_failed_recovery_resubscribes_and_asks_for_resync(
    ws_sim: Simulator, make_client: ClientFactory, run_transport: TransportRunner
) -> None:
    ext_id = next(iter(ws_sim.state.account.extensions))
    recorder = Recorder()
    transport = run_transport(make_client(ws_sim), [filters.extension_presence()], recorder)
    await ready(transport, recorder)
    old = transport.subscription
    assert old is not None
    ws_sim.state.faults.fail_recoveries = 1

    ws_sim.state.ws.drop_all("WSG-903")
    await ready(transport, recorder, count=2)
    publish_presence(ws_sim, ext_id, [42])
    await wait_for(lambda: len(recorder.notifications) == 1)

    assert recorder.connected == [NEW, LOST]
    assert [c.needs_resync for c in (NEW, KEPT, LOST)] == [True, False, True]
    assert recorder.events[-3:] == ["subscription", "connected:lost", "notification"]
    assert transport.subscription is not None
    assert transport.subscription.id != old.id
    assert [s.id for s in recorder.subscriptions] == [old.id, transport.subscription.id]
    assert transport.stats.recoveries_failed == 1
    assert recorder.notifications[0]["subscriptionId"] == transport.subscription.id
    assert [s["id"] for s in server_subscriptions(ws_sim, active_only=True)] == [transport.subscription.id]


async def test_drop_while_resubscribing_after_a_failed_recovery_still_reports_the_loss(
    ws_sim: Simulator,
    make_client: ClientFactory,
    run_transport: TransportRunner,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The re-subscription after a failed recovery is answered on a socket that is gone: the new
    session is recovered next, but it never carried an announced subscription, so it is LOST (the
    listener resyncs) and notifications flow on a subscription the transport knows."""
    ext_id = next(iter(ws_sim.state.account.extensions))
    manager = ws_sim.state.subscriptions
    handle_request = manager.handle_request
    armed = [True]

    async def drop_after_subscribing(method: str, path: str, body: Any, session: Any, **kwargs: Any) -> Any:
        reply = await handle_request(method, path, body, session, **kwargs)
        if method == "POST" and armed and ws_sim.state.faults.fail_recoveries == 0:
            armed.clear()
            ws_sim.state.ws.drop_all()
        return reply

    recorder = Recorder()
    transport = run_transport(make_client(ws_sim), [filters.extension_presence()], recorder)
    await ready(transport, recorder)
    old = transport.subscription
    assert old is not None
    monkeypatch.setattr(manager, "handle_request", drop_after_subscribing)
    ws_sim.state.faults.fail_recoveries = 1

    ws_sim.state.ws.drop_all()
    await ready(transport, recorder, count=2)
    publish_presence(ws_sim, ext_id, [7])
    await wait_for(lambda: len(recorder.notifications) == 1)

    assert not armed  # the drop happened while subscribing
    assert recorder.connected == [NEW, LOST]
    assert transport.stats.recoveries_failed == 1
    assert transport.stats.recoveries_ok == 1  # the half-subscribed session was recovered
    assert transport.subscription is not None
    assert transport.subscription.id != old.id
    assert recorder.notifications[0]["subscriptionId"] == transport.subscription.id


async def test_too_late_for_recovery_resubscribes(
    make_sim: SimFactory, make_client: ClientFactory, run_transport: TransportRunner
) -> None:
    sim = await make_sim(SimConfig(time_scale=20.0, ws_recovery_timeout=5.0))
    recorder = Recorder()
    # The first retry comes after the 5 s recovery window, so no recovery is attempted.
    transport = run_transport(
        make_client(sim), [filters.extension_presence()], recorder, backoff_initial=20.0, backoff_max=20.0
    )
    await ready(transport, recorder)

    sim.state.ws.drop_all()
    await ready(transport, recorder, count=2)

    assert recorder.connected == [NEW, LOST]
    assert transport.stats.recoveries_ok == transport.stats.recoveries_failed == 0
    assert transport.stats.subscriptions_created == 2


async def test_refused_connections_are_retried_until_accepted(
    make_sim: SimFactory, make_client: ClientFactory, run_transport: TransportRunner
) -> None:
    # WebSocket tokens that expire at once: the gateway answers every connect with an Error frame.
    sim = await make_sim(SimConfig(time_scale=20.0, wstoken_ttl=0))
    recorder = Recorder()
    transport = run_transport(make_client(sim), [filters.extension_presence()], recorder, backoff_max=0.1)

    def rejections() -> int:
        return sum(1 for e in sim.state.log if e["kind"] == "websocket" and e.get("action") == "rejected")

    await wait_for(lambda: rejections() >= 3)
    assert recorder.connected == []
    sim.state.config.wstoken_ttl = 60
    await ready(transport, recorder)

    assert recorder.connected == [NEW]
    assert transport.stats.connects == 1
    assert transport.stats.last_disconnect_reason == "WebSocket refused the connection (OAU-213)"
    await wait_for(lambda: sim.state.ws.connections == 1)


async def test_unanswered_heartbeat_reconnects(
    ws_sim: Simulator,
    make_client: ClientFactory,
    run_transport: TransportRunner,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gateway = ws_sim.state.ws
    real_on_text = gateway._on_text

    async def deaf_to_heartbeats(conn: Any, text: str) -> None:
        # A gateway that has silently stopped answering (a half-open connection).
        if '"Heartbeat"' not in text:
            await real_on_text(conn, text)

    monkeypatch.setattr(gateway, "_on_text", deaf_to_heartbeats)
    recorder = Recorder()
    transport = run_transport(
        make_client(ws_sim),
        [filters.extension_presence()],
        recorder,
        heartbeat_interval=2.0,
        heartbeat_timeout=2.0,
    )

    await ready(transport, recorder, count=2)

    assert recorder.disconnected[0] == "heartbeat not answered"
    assert recorder.connected[:2] == [NEW, KEPT]


async def test_malformed_frames_are_survived(
    ws_sim: Simulator, make_client: ClientFactory, run_transport: TransportRunner
) -> None:
    ext_id = next(iter(ws_sim.state.account.extensions))
    recorder = Recorder()
    transport = run_transport(make_client(ws_sim), [filters.extension_presence()], recorder)
    await ready(transport, recorder)

    ws_sim.state.ws.send_malformed()
    publish_presence(ws_sim, ext_id, [1])
    await wait_for(lambda: len(recorder.notifications) == 1)

    assert transport.stats.malformed_frames == 2
    assert transport.stats.connects == 1
    assert recorder.disconnected == []


async def test_json_nested_too_deeply_is_a_malformed_frame(
    ws_sim: Simulator, make_client: ClientFactory, run_transport: TransportRunner
) -> None:
    """Regression: `json.loads` raises RecursionError (not ValueError) for `[[[[…`, which used to
    escape the receive loop and end `run()`."""
    ext_id = next(iter(ws_sim.state.account.extensions))
    recorder = Recorder()
    transport = run_transport(make_client(ws_sim), [filters.extension_presence()], recorder)
    await ready(transport, recorder)

    assert ws_sim.state.ws.send_malformed(["[" * 100_000]) == 1
    publish_presence(ws_sim, ext_id, [1])
    await wait_for(lambda: len(recorder.notifications) == 1)

    assert transport.stats.malformed_frames == 1
    assert transport.stats.connects == 1
    assert recorder.disconnected == []


async def test_listener_exceptions_are_survived(
    ws_sim: Simulator,
    make_client: ClientFactory,
    run_transport: TransportRunner,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ext_id = next(iter(ws_sim.state.account.extensions))
    recorder = Recorder()
    recorder.fail_notifications = 2
    transport = run_transport(make_client(ws_sim), [filters.extension_presence()], recorder)
    await ready(transport, recorder)

    publish_presence(ws_sim, ext_id, range(4))
    await wait_for(lambda: len(recorder.notifications) == 4)

    assert recorder.sequences() == [0, 1, 2, 3]
    assert transport.stats.callback_errors == 2
    assert transport.stats.connects == 1
    assert "listener bug" in caplog.text


async def test_server_duplicates_reach_the_listener_once(
    ws_sim: Simulator, make_client: ClientFactory, run_transport: TransportRunner
) -> None:
    ext_id = next(iter(ws_sim.state.account.extensions))
    recorder = Recorder()
    transport = run_transport(make_client(ws_sim), [filters.extension_presence()], recorder)
    await ready(transport, recorder)
    ws_sim.state.faults.notifications.duplicate = 1.0
    ws_sim.state.faults.notifications.remaining = 5

    publish_presence(ws_sim, ext_id, range(6))
    await wait_for(lambda: transport.stats.duplicates_dropped == 5 and len(recorder.notifications) == 6)

    assert recorder.sequences() == list(range(6))


async def test_revoked_session_reconnects_with_new_tokens(
    ws_sim: Simulator, make_client: ClientFactory, run_transport: TransportRunner
) -> None:
    client = make_client(ws_sim)
    recorder = Recorder()
    transport = run_transport(client, [filters.extension_presence()], recorder)
    await ready(transport, recorder)

    ws_sim.state.auth.revoke_all()  # e.g. a sixth session pushed ours out
    await ready(transport, recorder, count=2)

    assert recorder.disconnected[0].startswith("server error OAU-")
    # The WebSocket session ended with the auth session: nothing to recover, resync instead.
    assert recorder.connected == [NEW, LOST]
    assert client.auth.logins == 2


async def test_stop_deletes_the_subscription_and_closes(
    ws_sim: Simulator, make_client: ClientFactory, run_transport: TransportRunner
) -> None:
    recorder = Recorder()
    transport = run_transport(make_client(ws_sim), [filters.extension_presence()], recorder)
    await ready(transport, recorder)
    assert len(server_subscriptions(ws_sim, active_only=True)) == 1

    await transport.stop()

    assert server_subscriptions(ws_sim, active_only=True) == []
    assert transport.subscription is None
    assert not transport.connected
    await wait_for(lambda: ws_sim.state.ws.connections == 0)
    assert recorder.disconnected == []


async def test_refused_subscription_ends_run(ws_sim: Simulator, make_client: ClientFactory) -> None:
    transport = WebSocketTransport(make_client(ws_sim), ["/restapi/v1.0/glitter"], Recorder())

    with pytest.raises(ApiError) as caught:
        await transport.run()

    assert caught.value.error_code == "SUB-508"
    assert ws_sim.state.ws.connections == 0


async def test_missing_websocket_permission_ends_run(ws_sim: Simulator, make_client: ClientFactory) -> None:
    ws_sim.state.app.permissions.discard("WebSocketsSubscriptions")
    transport = WebSocketTransport(make_client(ws_sim), [filters.extension_presence()], Recorder())

    with pytest.raises(MissingPermissionsError) as caught:
        await transport.run()

    assert caught.value.permissions == ("WebSocketsSubscriptions",)


async def test_no_token_reaches_the_log(
    ws_sim: Simulator,
    make_client: ClientFactory,
    run_transport: TransportRunner,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    ext_id = next(iter(ws_sim.state.account.extensions))
    recorder = Recorder()
    transport = run_transport(make_client(ws_sim), [filters.extension_presence()], recorder)
    await ready(transport, recorder)
    wsc = transport._wsc.token if transport._wsc else "unset"
    ws_sim.state.ws.drop_all()
    await ready(transport, recorder, count=2)
    publish_presence(ws_sim, ext_id, [1])
    await wait_for(lambda: len(recorder.notifications) == 1)
    await transport.stop()

    logged = caplog.text + " ".join(repr(r.args) for r in caplog.records)
    # Simulator tokens carry these prefixes; the wsc token is checked by value.
    for marker in ("sim-ws-", "sim-at-", "sim-rt-", "sim-jwt-", "sim-client-secret", wsc):
        assert marker not in logged
    assert "WebSocket connected" in caplog.text  # the log was captured at all


def test_backoff_grows_to_its_bound_with_jitter(ws_sim: Simulator, make_client: ClientFactory) -> None:
    transport = WebSocketTransport(
        make_client(ws_sim),
        [filters.extension_presence()],
        Recorder(),
        backoff_initial=1.0,
        backoff_max=30.0,
        rng=random.Random(3),
    )

    delays = [transport.backoff_delay(attempt) for attempt in range(1, 12)]

    ceilings = [min(30.0, 2.0 ** (a - 1)) for a in range(1, 12)]
    assert all(c / 2 <= d <= c for d, c in zip(delays, ceilings, strict=True))
    assert len(set(delays)) == len(delays)  # jittered


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"filters": []}, "filters"),
        ({"heartbeat_interval": 0}, "heartbeat_interval"),
        ({"backoff_initial": 2.0, "backoff_max": 1.0}, "backoff_max"),
        ({"dedupe_size": 0}, "dedupe_size"),
    ],
)
def test_bad_options_are_refused(
    ws_sim: Simulator, make_client: ClientFactory, kwargs: dict[str, Any], message: str
) -> None:
    options: dict[str, Any] = {"filters": [filters.extension_presence()], **kwargs}
    wanted = options.pop("filters")
    with pytest.raises(ValueError, match=message):
        WebSocketTransport(make_client(ws_sim), wanted, Recorder(), **options)
