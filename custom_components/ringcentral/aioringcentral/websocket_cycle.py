"""`WebSocketTransport`'s connection cycle: wstoken, connect (recovering the last session while
`recoveryTimeout` allows), `ConnectionDetails`, the subscription and its announcement, then serving
frames until the connection is lost, and reconnecting with backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from typing import Any, Final

import aiohttp
from yarl import URL

from .errors import ApiError, InvalidCredentialsError, MissingPermissionsError, RingCentralError
from .models import SubscriptionInfo
from .transport import Continuity, describe_error, jittered_backoff, warn_disabled
from .websocket_frames import WebSocketFrames, _connection_details, _reply_error

_LOGGER = logging.getLogger(__name__)

SUBSCRIPTION_PATH: Final = "/restapi/v1.0/subscription"


class WebSocketCycle(WebSocketFrames):
    """Connections, one after another; part of `WebSocketTransport`, which sets the state below."""

    filters: tuple[str, ...]
    backoff_initial: float
    backoff_max: float
    healthy_after: float
    connect_timeout: float
    _rng: random.Random
    _ws: aiohttp.ClientWebSocketResponse | None
    _recovery_timeout: float
    _lost_at: float | None
    _ready: bool
    _ever_connected: bool
    _attempt: int

    # -- the reconnect loop ---------------------------------------------------------------------

    async def _loop(self) -> None:
        while True:
            reason, healthy = await self._cycle()
            self.stats.last_disconnect_reason = reason
            self._attempt = 1 if healthy else self._attempt + 1
            delay = self.backoff_delay(self._attempt)
            _LOGGER.debug("Reconnecting in %.2f s (attempt %d): %s", delay, self._attempt, reason)
            await self._client.sleep(delay)

    async def _cycle(self) -> tuple[str, bool]:
        """One connection, from wstoken to loss. Returns (reason, whether it had been healthy)."""
        recover = (
            self._wsc is not None
            and self._lost_at is not None
            and self._client.clock() - self._lost_at < self._recovery_timeout
        )
        try:
            ws, header, details = await self._open(recover)
        except (RingCentralError, aiohttp.ClientError, TimeoutError, OSError) as err:
            if _is_fatal(err):
                raise
            reason = describe_error(err)
            _LOGGER.debug("WebSocket connection failed: %s", reason)
            return reason, False
        connected_at = self._client.clock()
        try:
            reason = await self._serve(ws, header, details, recover)
        except (RingCentralError, aiohttp.ClientError, TimeoutError, OSError) as err:
            if _is_fatal(err):
                raise
            reason = describe_error(err)
        finally:
            was_ready = self._ready
            self._ready = False
            self._lost_at = self._client.clock()
            await self._close_socket()
        healthy = was_ready and self._client.clock() - connected_at >= self.healthy_after
        if was_ready:
            _LOGGER.debug("RingCentral WebSocket disconnected: %s", reason)
            self._delivery.call("on_disconnected", reason)
        return reason, healthy

    async def _open(
        self, recover: bool
    ) -> tuple[aiohttp.ClientWebSocketResponse, dict[str, Any], dict[str, Any]]:
        """wstoken, connect, and read `ConnectionDetails` (the first frame, before we send anything)."""
        wstoken = await self._client.get_wstoken()
        query = {"access_token": wstoken.token}
        if recover and self._wsc is not None:
            query["wsc"] = self._wsc.token
        url = URL(wstoken.uri).update_query(query)
        try:
            async with asyncio.timeout(self.connect_timeout):
                ws = await self._client.session.ws_connect(
                    url, autoping=True, heartbeat=None, timeout=aiohttp.ClientWSTimeout(ws_close=5.0)
                )
                self._ws = ws
                message = await ws.receive()
            header, body = _connection_details(message)
        except BaseException:
            await self._close_socket()  # whatever went wrong, no socket is left behind
            raise
        return ws, header, body

    async def _serve(
        self,
        ws: aiohttp.ClientWebSocketResponse,
        header: dict[str, Any],
        details: dict[str, Any],
        recover: bool,
    ) -> str:
        now = self._client.clock()
        self._last_received = self._last_sent = now
        self._heartbeat_sent_at = None
        self._loss = None
        self._wsc = None
        self._track_wsc(header, force=True)
        self.connection_details = details
        timeout = details.get("recoveryTimeout")
        if isinstance(timeout, int | float) and timeout > 0:
            self._recovery_timeout = float(timeout)
        state = details.get("recoveryState")
        recovered = recover and state == "Successful"
        if recover:
            if recovered:
                self.stats.recoveries_ok += 1
            else:
                self.stats.recoveries_failed += 1
                _LOGGER.debug("WebSocket session recovery failed (%s)", details.get("recoveryErrorCode"))
        self.stats.connects += 1
        if self._ever_connected:
            self.stats.reconnects += 1
        kept = recovered and self.subscription is not None and self._ever_connected
        # Until the listener has heard the continuity, notifications wait (the reader starts now).
        self._hold = None if kept else []
        loop = asyncio.get_running_loop()
        reader = loop.create_task(self._read(ws))
        heartbeat = loop.create_task(self._heartbeat(ws))
        try:
            if kept:
                self._announce(Continuity.KEPT)
            else:
                # The old subscription died with its session. Forget it before subscribing: if this
                # connection drops before the new one is announced, recovering this session must
                # not count as KEPT, or the loss would never reach the listener.
                self.subscription = None
                info = await self._subscribe(ws)
                self.subscription = info
                self.stats.subscriptions_created += 1
                warn_disabled(info)
                self._delivery.call("on_subscription", info)
                self._announce(Continuity.LOST if self._ever_connected else Continuity.NEW)
                held, self._hold = self._hold or [], None
                for raw in held:
                    self._deliver(raw)
            done, _ = await asyncio.wait({reader, heartbeat}, return_when=asyncio.FIRST_COMPLETED)
            return next(iter(done)).result()
        finally:
            self._hold = None
            for task in (reader, heartbeat):
                task.cancel()
            await asyncio.gather(reader, heartbeat, return_exceptions=True)

    def _announce(self, continuity: Continuity) -> None:
        self._ready = True
        self._ever_connected = True
        self._lost_at = None
        self.stats.connected_since = self._client.clock()
        _LOGGER.debug("RingCentral WebSocket connected (%s)", continuity.value)
        self._delivery.call("on_connected", continuity)

    async def _subscribe(self, ws: aiohttp.ClientWebSocketResponse) -> SubscriptionInfo:
        body = {"eventFilters": list(self.filters), "deliveryMode": {"transportType": "WebSocket"}}
        status, reply = await self._request(ws, "POST", SUBSCRIPTION_PATH + "/", body)
        if status == 200 and isinstance(reply, dict):
            return SubscriptionInfo.from_dict(reply)
        raise _reply_error(status, reply, "Subscription over WebSocket")

    async def _close_socket(self) -> None:
        ws, self._ws = self._ws, None
        if ws is not None and not ws.closed:
            with contextlib.suppress(aiohttp.ClientError, ConnectionError, TimeoutError, RuntimeError):
                await ws.close()

    def backoff_delay(self, attempt: int) -> float:
        """Seconds to wait before reconnect `attempt` (1, 2, …); see `transport.jittered_backoff`."""
        return jittered_backoff(attempt, self.backoff_initial, self.backoff_max, self._rng)


def _is_fatal(err: BaseException) -> bool:
    """Errors retrying cannot fix: the user or the app's configuration must change."""
    if isinstance(err, InvalidCredentialsError | MissingPermissionsError):
        return True
    return isinstance(err, ApiError) and err.status in (400, 403)
