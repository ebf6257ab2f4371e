"""The official RingCentral Python SDK (`ringcentral` 0.9.2) against the simulator.

The SDK is synchronous for REST (`requests`) and runs its WebSocket client on an event loop, so it gets
a thread with its own loop; the test waits on what the thread collected and joins it before ending.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import Any

import aiohttp
from ringcentral import SDK
from ringcentral.websocket import WebSocketEvents

from rcsim import Simulator
from tests.waiting import wait_for

from .delivery_support import ACCOUNT_SESSIONS, EXT_PRESENCE


class SdkThread(threading.Thread):
    """Logs in with the SDK, opens its WebSocket, subscribes, and collects notifications until stopped."""

    def __init__(self, credentials: dict[str, Any], filters: list[str]) -> None:
        super().__init__(name="ringcentral-sdk", daemon=True)
        self.credentials = credentials
        self.filters = filters
        self.subscription: list[Any] | None = None
        self.notifications: list[list[Any]] = []
        self.failure: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None

    def run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as err:  # reported to the test thread
            self.failure = err

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop_event = asyncio.Event()
        creds = self.credentials
        sdk = SDK(creds["client_id"], creds["client_secret"], creds["server"])
        platform = sdk.platform()
        platform.login(jwt=creds["jwt"])
        client = sdk.create_web_socket_client()
        pending: set[asyncio.Future[Any]] = set()

        def on_connected(ws_client: Any) -> None:
            pending.add(asyncio.ensure_future(ws_client.create_subscription(self.filters)))

        def on_subscribed(subscription: Any) -> None:
            self.subscription = subscription.get_subscription_info()

        client.on(WebSocketEvents.connectionCreated, on_connected)
        client.on(WebSocketEvents.subscriptionCreated, on_subscribed)
        client.on(WebSocketEvents.receiveSubscriptionNotification, self.notifications.append)
        connection = asyncio.ensure_future(client.create_new_connection())
        stopped = asyncio.ensure_future(self._stop_event.wait())
        await asyncio.wait([connection, stopped], return_when=asyncio.FIRST_COMPLETED)
        if connection.done():
            connection.result()  # the connection ended early: surface why
        await client.close_connection()
        # The SDK's receive loop ends by raising ConnectionClosed once the socket is closed.
        with contextlib.suppress(Exception):
            await connection
        await asyncio.gather(*pending, return_exceptions=True)
        platform.logout()

    def stop(self) -> None:
        if self._loop is not None and self._stop_event is not None:
            self._loop.call_soon_threadsafe(self._stop_event.set)

    def events(self, suffix: str) -> list[dict[str, Any]]:
        return [n[1] for n in list(self.notifications) if n[1]["event"].endswith(suffix)]


async def test_official_sdk_receives_call_notifications(
    simulator: Simulator, http: aiohttp.ClientSession
) -> None:
    admin = next(iter(simulator.state.account.extensions.values()))
    assert admin.admin
    account = simulator.state.account.id
    sdk = SdkThread(simulator.credentials(admin.id), [ACCOUNT_SESSIONS, EXT_PRESENCE])
    sdk.start()
    try:
        await wait_for(lambda: sdk.subscription is not None or sdk.failure is not None, within=15)
        assert sdk.failure is None, sdk.failure
        assert sdk.subscription is not None
        header, info = sdk.subscription
        assert header["headers"]["WSG-SubscriptionId"] == info["id"]
        assert info["eventFilters"] == [
            f"/restapi/v1.0/account/{account}/telephony/sessions",
            f"/restapi/v1.0/account/{account}/extension/{admin.id}/presence"
            "?detailedTelephonyState=true&sipData=true",
        ]
        assert info["disabledFilters"] == []

        response = await http.post(
            f"{simulator.url}/sim/calls",
            json={"scenario": "inbound_answered", "extension_id": admin.id, "speed": 100},
        )
        assert response.status in (200, 201), await response.text()
        tsid = (await response.json())["telephonySessionId"]

        await wait_for(lambda: sdk.events("/telephony/sessions") and sdk.events("sipData=true"), within=15)
        telephony = sdk.events("/telephony/sessions")[0]
        assert telephony["subscriptionId"] == info["id"]
        assert telephony["body"]["telephonySessionId"] == tsid
        presence = sdk.events("sipData=true")[0]
        assert presence["body"]["extensionId"] == admin.id
        assert presence["ownerId"] == admin.id
    finally:
        sdk.stop()
        await wait_for(lambda: not sdk.is_alive(), within=15)
        sdk.join()
    assert sdk.failure is None, sdk.failure
