"""WebSocket gateway: connection details, frames, subscriptions over the socket, timeouts, recovery."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from rcsim import SimConfig, Simulator
from rcsim.ws_gateway import ABSOLUTE_TIMEOUT, IDLE_TIMEOUT
from rcsim.ws_recovery import RECOVERY_EXPIRED, RECOVERY_REFUSED
from tests.waiting import wait_for

from .delivery_support import (
    ACCOUNT_SESSIONS,
    EXT_PRESENCE,
    WsClient,
    login,
    presence_event,
    rest,
    telephony_event,
    ws_connect,
    ws_token,
)


@pytest.fixture
def sim_config() -> SimConfig:
    return SimConfig(ws_recovery_buffer_size=3, ws_idle_timeout=600, ws_absolute_timeout=7200)


@pytest.fixture
async def token(simulator: Simulator, http: aiohttp.ClientSession) -> str:
    return await login(simulator, http)


@pytest.fixture
async def client(simulator: Simulator, http: aiohttp.ClientSession, token: str) -> AsyncIterator[WsClient]:
    ws = await ws_connect(simulator, http, token)
    yield ws
    await ws.close()


def admin_id(sim: Simulator) -> str:
    return next(iter(sim.state.account.extensions))


def is_type(kind: str) -> Any:
    return lambda f: isinstance(f, list) and f and f[0].get("type") == kind


def error_frames(client: WsClient) -> list[dict[str, Any]]:
    return [f[1] for f in client.of_type("Error")]


async def test_first_frame_is_connection_details(simulator: Simulator, client: WsClient) -> None:
    frame = await client.next_matching(is_type("ConnectionDetails"))
    assert client.frames[0] is frame
    header, body = frame
    assert header["status"] == 200
    assert header["wsc"]["sequence"] == 1
    assert header["wsc"]["token"]
    config = simulator.config
    assert body["recoveryBufferSize"] == config.ws_recovery_buffer_size
    assert body["recoveryTimeout"] == config.ws_recovery_timeout
    assert body["idleTimeout"] == config.ws_idle_timeout
    assert body["absoluteTimeout"] == config.ws_absolute_timeout
    assert body["maxConnectionsPerSession"] == config.ws_max_connections_per_session
    assert body["maxActiveRequests"] == config.ws_max_active_requests
    assert body["creationTime"].endswith("Z")
    assert "recoveryState" not in body
    assert simulator.state.ws.connections == 1


async def test_wstoken_uri_points_at_the_gateway(
    simulator: Simulator, http: aiohttp.ClientSession, token: str
) -> None:
    details = await ws_token(simulator, http, token)
    assert details["uri"] == simulator.url.replace("http://", "ws://") + "/ws"


async def test_subscribe_and_receive_notifications(simulator: Simulator, client: WsClient) -> None:
    ext = admin_id(simulator)
    account = simulator.state.account.id
    header, body = await client.request(
        "POST",
        "/restapi/v1.0/subscription/",
        {"eventFilters": [EXT_PRESENCE, ACCOUNT_SESSIONS], "deliveryMode": {"transportType": "WebSocket"}},
    )
    assert header["status"] == 200
    assert header["headers"]["WSG-SubscriptionId"] == body["id"]
    assert body["eventFilters"] == [
        f"/restapi/v1.0/account/{account}/extension/{ext}/presence?detailedTelephonyState=true&sipData=true",
        f"/restapi/v1.0/account/{account}/telephony/sessions",
    ]
    assert body["deliveryMode"]["transportType"] == "WebSocket"
    assert body["status"] == "Active"
    assert body["disabledFilters"] == []

    simulator.state.bus.publish(presence_event(ext, sequence=7))
    simulator.state.bus.publish(telephony_event(ext, sequence=8))
    await wait_for(lambda: len(client.notifications()) == 2)
    presence, telephony = client.notifications()
    assert presence["subscriptionId"] == body["id"]
    assert presence["ownerId"] == ext
    assert presence["event"] == body["eventFilters"][0]
    assert presence["body"]["sequence"] == 7
    assert presence["body"]["activeCalls"][0]["sipData"]["toTag"] == "a"
    assert telephony["event"] == body["eventFilters"][1]
    assert telephony["body"]["parties"][0]["status"]["code"] == "Proceeding"
    assert presence["uuid"] != telephony["uuid"]
    # Every server frame carries the session's wsc with an increasing sequence.
    sequences = [f[0]["wsc"]["sequence"] for f in client.frames]
    assert sequences == sorted(sequences)
    assert len(set(sequences)) == len(sequences)
    assert {f[0]["wsc"]["token"] for f in client.frames} == {client.frames[0][0]["wsc"]["token"]}
    logged = [e for e in simulator.state.log if e["kind"] == "notification"]
    assert [e["uuid"] for e in logged] == [presence["uuid"], telephony["uuid"]]
    assert logged[0]["transport"] == "WebSocket"


async def test_notifications_only_for_matching_extension(simulator: Simulator, client: WsClient) -> None:
    first, second = list(simulator.state.account.extensions)[:2]
    await client.subscribe("/restapi/v1.0/account/~/extension/~/presence")
    simulator.state.bus.publish(presence_event(second, sequence=1))
    simulator.state.bus.publish(presence_event(first, sequence=2))
    await wait_for(lambda: len(client.notifications()) == 1)
    (note,) = client.notifications()
    assert note["body"]["extensionId"] == first
    # A filter without detailedTelephonyState gets no activeCalls.
    assert "activeCalls" not in note["body"]


async def test_second_subscription_replaces_first(
    simulator: Simulator, http: aiohttp.ClientSession, token: str, client: WsClient
) -> None:
    first = await client.subscribe(EXT_PRESENCE)
    second = await client.subscribe(ACCOUNT_SESSIONS)
    assert first["id"] != second["id"]
    header, body = await client.request("GET", f"/restapi/v1.0/subscription/{first['id']}")
    assert header["status"] == 404
    assert body["errorCode"] == "SUB-507"
    status, listed = await rest(simulator, http, token, "GET", "/restapi/v1.0/subscription")
    assert status == 200
    assert [r["id"] for r in listed["records"]] == [second["id"]]
    simulator.state.bus.publish(telephony_event(admin_id(simulator)))
    await wait_for(lambda: len(client.notifications()) == 1)
    assert client.notifications()[0]["subscriptionId"] == second["id"]


async def test_update_and_delete_over_the_socket(simulator: Simulator, client: WsClient) -> None:
    info = await client.subscribe(EXT_PRESENCE)
    path = f"/restapi/v1.0/subscription/{info['id']}"
    header, body = await client.request("PUT", path, {"eventFilters": [ACCOUNT_SESSIONS]})
    assert header["status"] == 200
    assert body["eventFilters"] == [f"/restapi/v1.0/account/{simulator.state.account.id}/telephony/sessions"]
    header, body = await client.request("DELETE", path)
    assert header["status"] == 204
    assert body is None
    header, body = await client.request("GET", path)
    assert header["status"] == 404


async def test_heartbeat_is_answered(client: WsClient) -> None:
    await client.send([{"type": "Heartbeat", "messageId": "hb-1"}])
    frame = await client.next_matching(lambda f: is_type("Heartbeat")(f) and f[0]["messageId"] == "hb-1")
    assert frame[0]["status"] == 200
    assert frame[0]["wsc"]["sequence"] > 1


@pytest.mark.parametrize(
    "raw",
    ["not json", '{"type": "Heartbeat"}', "[]", '[{"type": "Bogus", "messageId": "x"}]', "[1, 2, 3]"],
)
async def test_bad_client_frames_get_an_error_and_the_socket_survives(client: WsClient, raw: str) -> None:
    await client.ws.send_str(raw)
    frame = await client.next_matching(is_type("Error"))
    assert frame[1]["errorCode"].startswith("WSG-")
    assert frame[1]["message"]
    await client.send([{"type": "Heartbeat", "messageId": "after"}])
    await client.next_matching(lambda f: is_type("Heartbeat")(f) and f[0]["messageId"] == "after")


async def test_client_request_to_unknown_path(client: WsClient) -> None:
    header, body = await client.request("GET", "/restapi/v1.0/account/~/extension/~")
    assert header["status"] == 404
    assert body["errorCode"] == "CMN-102"


@pytest.mark.parametrize(("query", "code"), [({}, "OAU-123"), ({"access_token": "nope"}, "OAU-213")])
async def test_bad_token_gets_error_frame_then_close(
    simulator: Simulator, http: aiohttp.ClientSession, query: dict[str, str], code: str
) -> None:
    async with http.ws_connect(f"{simulator.url}/ws", params=query) as ws:
        message = await ws.receive(timeout=5)
        header, body = message.json()
        assert header["type"] == "Error"
        assert body["errorCode"] == code
        assert "nope" not in body["message"]
        closing = await ws.receive(timeout=5)
        assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)


async def test_ws_token_is_single_use(simulator: Simulator, http: aiohttp.ClientSession, token: str) -> None:
    details = await ws_token(simulator, http, token)
    params = {"access_token": details["ws_access_token"]}
    async with http.ws_connect(details["uri"], params=params) as first:
        assert (await first.receive(timeout=5)).json()[0]["type"] == "ConnectionDetails"
        async with http.ws_connect(details["uri"], params=params) as second:
            assert (await second.receive(timeout=5)).json()[1]["errorCode"] == "OAU-213"


async def test_server_sends_protocol_pings(
    simulator: Simulator, http: aiohttp.ClientSession, token: str
) -> None:
    simulator.config.ws_ping_interval = 0.01  # clamped to the gateway's real-time minimum
    details = await ws_token(simulator, http, token)
    async with http.ws_connect(
        details["uri"], params={"access_token": details["ws_access_token"]}, autoping=False
    ) as ws:
        kinds = []
        while aiohttp.WSMsgType.PING not in kinds:
            message = await ws.receive(timeout=5)
            kinds.append(message.type)
            if message.type == aiohttp.WSMsgType.PING:
                await ws.pong(message.data)


async def test_idle_timeout_counts_application_traffic_only(simulator: Simulator, client: WsClient) -> None:
    await client.next_matching(is_type("ConnectionDetails"))
    idle = simulator.config.ws_idle_timeout
    simulator.state.clock.advance(idle - 100)
    await client.send([{"type": "Heartbeat", "messageId": "keep"}])
    await client.next_matching(lambda f: is_type("Heartbeat")(f) and f[0]["messageId"] == "keep")
    simulator.state.clock.advance(200)  # past the first deadline, not past the heartbeat's
    simulator.state.ws.check_timeouts()
    assert simulator.state.ws.connections == 1
    simulator.state.clock.advance(idle)
    frame = await client.next_matching(is_type("Error"))
    assert frame[1]["errorCode"] == IDLE_TIMEOUT
    await wait_for(client.closed.is_set)


async def test_absolute_timeout(simulator: Simulator, client: WsClient) -> None:
    await client.next_matching(is_type("ConnectionDetails"))
    simulator.state.clock.advance(simulator.config.ws_absolute_timeout + 1)
    frame = await client.next_matching(is_type("Error"))
    assert frame[1]["errorCode"] == ABSOLUTE_TIMEOUT
    await wait_for(client.closed.is_set)


async def reconnect(sim: Simulator, http: aiohttp.ClientSession, token: str, wsc: str) -> WsClient:
    client = await ws_connect(sim, http, token, wsc=wsc)
    await client.next_matching(is_type("ConnectionDetails"))
    return client


@pytest.mark.parametrize("error_code", [None, "WSG-901"])
async def test_recovery_replays_missed_notifications_in_order(
    simulator: Simulator, http: aiohttp.ClientSession, token: str, client: WsClient, error_code: str | None
) -> None:
    info = await client.subscribe(EXT_PRESENCE)
    wsc = client.frames[0][0]["wsc"]["token"]
    last_sequence = client.frames[-1][0]["wsc"]["sequence"]
    assert simulator.state.ws.drop_all(error_code) == 1
    await wait_for(client.closed.is_set)
    if error_code is not None:
        assert error_frames(client)[-1]["errorCode"] == error_code
    await wait_for(lambda: simulator.state.ws.connections == 0)
    ext = admin_id(simulator)
    for sequence in (1, 2):
        simulator.state.bus.publish(presence_event(ext, sequence=sequence))
    again = await reconnect(simulator, http, token, wsc)
    try:
        details = again.frames[0]
        assert details[1]["recoveryState"] == "Successful"
        assert "recoveryErrorCode" not in details[1]
        assert details[0]["wsc"]["token"] == wsc
        assert details[0]["wsc"]["sequence"] > last_sequence
        await wait_for(lambda: len(again.notifications()) == 2)
        assert [n["body"]["sequence"] for n in again.notifications()] == [1, 2]
        # The subscription survived and keeps delivering.
        simulator.state.bus.publish(presence_event(ext, sequence=3))
        await wait_for(lambda: len(again.notifications()) == 3)
        assert again.notifications()[2]["subscriptionId"] == info["id"]
    finally:
        await again.close()


async def test_recovery_buffer_keeps_the_newest(
    simulator: Simulator, http: aiohttp.ClientSession, token: str, client: WsClient
) -> None:
    await client.subscribe(EXT_PRESENCE)
    wsc = client.frames[0][0]["wsc"]["token"]
    await client.close()
    await wait_for(lambda: simulator.state.ws.connections == 0)
    for sequence in range(1, 6):
        simulator.state.bus.publish(presence_event(admin_id(simulator), sequence=sequence))
    again = await reconnect(simulator, http, token, wsc)
    try:
        await wait_for(lambda: len(again.notifications()) == 3)
        assert [n["body"]["sequence"] for n in again.notifications()] == [3, 4, 5]
    finally:
        await again.close()


@pytest.mark.parametrize("cause", ["fault", "too_late", "unknown"])
async def test_failed_recovery_loses_the_subscription(
    simulator: Simulator, http: aiohttp.ClientSession, token: str, client: WsClient, cause: str
) -> None:
    info = await client.subscribe(EXT_PRESENCE)
    wsc = client.frames[0][0]["wsc"]["token"]
    simulator.state.ws.drop_all()
    await wait_for(lambda: simulator.state.ws.connections == 0)
    if cause == "fault":
        simulator.state.faults.fail_recoveries = 1
    elif cause == "too_late":
        simulator.state.clock.advance(simulator.config.ws_recovery_timeout + 1)
    else:
        wsc = "unknown-session"
    again = await reconnect(simulator, http, token, wsc)
    try:
        details = again.frames[0][1]
        assert details["recoveryState"] == "Failed"
        expected = RECOVERY_REFUSED if cause == "fault" else RECOVERY_EXPIRED
        assert details["recoveryErrorCode"] == expected
        assert again.frames[0][0]["wsc"]["token"] != wsc
        status, body = await rest(simulator, http, token, "GET", f"/restapi/v1.0/subscription/{info['id']}")
        if cause == "unknown":
            # A wsc naming no session leaves the real (still recoverable) session alone.
            assert status == 200
        else:
            assert status == 404
            assert body["errorCode"] == "SUB-507"
        simulator.state.bus.publish(presence_event(admin_id(simulator)))
        # Nothing is delivered to the new connection until it subscribes again.
        await again.subscribe(EXT_PRESENCE)
        simulator.state.bus.publish(presence_event(admin_id(simulator), sequence=9))
        await wait_for(lambda: len(again.notifications()) == 1)
        assert again.notifications()[0]["body"]["sequence"] == 9
    finally:
        await again.close()
    assert simulator.state.faults.fail_recoveries == 0


async def test_recovery_by_another_user_fails(
    simulator: Simulator, http: aiohttp.ClientSession, client: WsClient
) -> None:
    await client.subscribe(EXT_PRESENCE)
    wsc = client.frames[0][0]["wsc"]["token"]
    simulator.state.ws.drop_all()
    await wait_for(lambda: simulator.state.ws.connections == 0)
    other_token = await login(simulator, http, list(simulator.state.account.extensions)[1])
    again = await reconnect(simulator, http, other_token, wsc)
    try:
        assert again.frames[0][1]["recoveryState"] == "Failed"
        assert again.frames[0][1]["recoveryErrorCode"] == RECOVERY_REFUSED
    finally:
        await again.close()


async def test_send_malformed_reaches_every_connection(simulator: Simulator, client: WsClient) -> None:
    await client.next_matching(is_type("ConnectionDetails"))
    assert simulator.state.ws.send_malformed() == 1
    await client.next_matching(lambda f: isinstance(f, tuple) and f[0] == "raw")
    await client.next_matching(lambda f: isinstance(f, dict))
    await client.send([{"type": "Heartbeat", "messageId": "still-open"}])
    await client.next_matching(lambda f: is_type("Heartbeat")(f) and f[0]["messageId"] == "still-open")


async def test_revoked_session_closes_its_socket(
    simulator: Simulator, http: aiohttp.ClientSession, token: str, client: WsClient
) -> None:
    await client.subscribe(EXT_PRESENCE)
    wsc = client.frames[0][0]["wsc"]["token"]
    simulator.state.auth.revoke_all()
    await wait_for(client.closed.is_set)
    assert error_frames(client)[-1]["errorCode"] == "OAU-213"
    new_token = await login(simulator, http)
    again = await reconnect(simulator, http, new_token, wsc)
    try:
        assert again.frames[0][1]["recoveryState"] == "Failed"
    finally:
        await again.close()


async def test_control_api_drops_connections(
    simulator: Simulator, http: aiohttp.ClientSession, client: WsClient
) -> None:
    await client.next_matching(is_type("ConnectionDetails"))
    response = await http.post(
        f"{simulator.url}/sim/faults", json={"type": "drop_connections", "error_code": "WSG-902"}
    )
    assert response.status == 200, await response.text()
    await wait_for(client.closed.is_set)
    assert error_frames(client)[-1]["errorCode"] == "WSG-902"


@pytest.mark.usefixtures("socket_enabled")
async def test_shutdown_closes_sockets(http: aiohttp.ClientSession) -> None:
    sim = Simulator(SimConfig(), extensions=1)
    await sim.start()
    try:
        token = await login(sim, http)
        client = await ws_connect(sim, http, token)
        await client.next_matching(is_type("ConnectionDetails"))
    finally:
        await sim.stop()
    await wait_for(client.closed.is_set)
    await client.close()
