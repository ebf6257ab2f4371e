"""RingCentral's WebSocket notification transport, built to survive disconnects.

One connection cycle: a fresh single-use wstoken → connect (with `&wsc=` when the last session can
still be recovered) → the server's `ConnectionDetails` → one subscription holding every filter
(skipped when the session was recovered: it kept its subscription) → notifications.

Loss is normal (idle and absolute timeouts, `Error` frames, network errors, a heartbeat nobody
answers). After one, the transport reconnects with exponential backoff and jitter (reset once a
connection has been healthy for `healthy_after`), recovers the session within `recoveryTimeout`
and says what happened (`Continuity`). A failed recovery re-creates the subscription.

Decisions (where RingCentral's documentation leaves room):
- Heartbeats go out when nothing was received *or* nothing was sent for `heartbeat_interval`
  (whether the gateway's idle timer counts client or server traffic is not documented; covering
  both costs at most one small frame a minute). Any frame received within `heartbeat_timeout`
  after a heartbeat proves the connection alive; silence means it is lost.
- Notifications are deduplicated by `uuid` (bounded LRU), so a replay that repeats an already
  delivered notification never reaches the listener twice. Only notifications of the current
  subscription are delivered.
- After a new subscription the listener hears `on_subscription`, then `on_connected(NEW|LOST)`,
  then notifications: anything that arrived while subscribing is held until after the resync signal.
  Only a session that carried an announced subscription can be KEPT: a loss stays pending until the
  listener has heard it, even when the connection drops again while subscribing.
- `run()` raises what retrying cannot fix (credentials, permissions, a refused subscription);
  everything else is retried forever.
- Timing (`heartbeat_*`, `backoff_*`, `healthy_after`) uses the client's clock and sleep, as
  RingCentral's own durations do; `connect_timeout` and `request_timeout` are real seconds.
- URLs with tokens are never logged and never put in errors.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

import aiohttp
from yarl import URL

from .errors import (
    ApiError,
    InvalidCredentialsError,
    MissingPermissionsError,
    ParseError,
    RingCentralError,
    TemporarilyUnavailableError,
)
from .jsonload import load_json
from .models import DisabledFilter, SubscriptionInfo
from .requester import Response, error_from_response
from .rest import RingCentralClient
from .transport import (
    Continuity,
    Delivery,
    TransportListener,
    TransportStats,
    check_filters,
    describe_error,
    disabled_as_dicts,
    jittered_backoff,
    warn_disabled,
)

_LOGGER = logging.getLogger(__name__)

SUBSCRIPTION_PATH: Final = "/restapi/v1.0/subscription"
DEFAULT_RECOVERY_TIMEOUT: Final = 180.0
_CLOSED_TYPES: Final = (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED)


class _ConnectionLostError(TemporarilyUnavailableError):
    """The socket went away while a request over it waited for its answer."""


@dataclass
class _Wsc:
    """The session-recovery token and the sequence it came with."""

    token: str = field(repr=False)
    sequence: int


class WebSocketTransport:
    """Keeps one WebSocket subscription alive and feeds its notifications to a listener."""

    def __init__(
        self,
        client: RingCentralClient,
        filters: Iterable[str],
        listener: TransportListener,
        *,
        heartbeat_interval: float = 60.0,
        heartbeat_timeout: float = 15.0,
        backoff_initial: float = 1.0,
        backoff_max: float = 60.0,
        healthy_after: float = 60.0,
        connect_timeout: float = 30.0,
        request_timeout: float = 30.0,
        dedupe_size: int = 4096,
        rng: random.Random | None = None,
    ) -> None:
        self.filters = check_filters(filters)
        for name, value in (
            ("heartbeat_interval", heartbeat_interval),
            ("heartbeat_timeout", heartbeat_timeout),
            ("backoff_initial", backoff_initial),
            ("connect_timeout", connect_timeout),
            ("request_timeout", request_timeout),
        ):
            if not value > 0:
                raise ValueError(f"{name} must be positive")
        if backoff_max < backoff_initial:
            raise ValueError("backoff_max must be at least backoff_initial")
        self._client = client
        self.heartbeat_interval = heartbeat_interval
        self.heartbeat_timeout = heartbeat_timeout
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.healthy_after = healthy_after
        self.connect_timeout = connect_timeout
        self.request_timeout = request_timeout
        self._rng = rng or random.Random()
        self.subscription: SubscriptionInfo | None = None
        self.connection_details: dict[str, Any] = {}
        self.stats = TransportStats()
        self._delivery = Delivery(listener, self.stats, dedupe_size)
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._wsc: _Wsc | None = None
        self._recovery_timeout = DEFAULT_RECOVERY_TIMEOUT
        self._lost_at: float | None = None
        self._pending: dict[str, asyncio.Future[tuple[int, Any]]] = {}
        self._hold: list[dict[str, Any]] | None = None
        self._ready = False
        self._ever_connected = False
        self._loss: str | None = None
        self._last_received = 0.0
        self._last_sent = 0.0
        self._heartbeat_sent_at: float | None = None
        self._attempt = 0
        self._running = False
        self._stop_requested: asyncio.Event | None = None
        self._done: asyncio.Event | None = None

    # -- public state ---------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        """Connected and subscribed: notifications flow."""
        return self._ready

    @property
    def disabled_filters(self) -> tuple[DisabledFilter, ...]:
        """Filters RingCentral refused in the current subscription, with its reasons."""
        return self.subscription.disabled_filters if self.subscription else ()

    def diagnostics(self) -> dict[str, Any]:
        """Secret-free state for diagnostics."""
        return {
            "connected": self._ready,
            "subscription_id": self.subscription.id if self.subscription else None,
            "event_filters": list(self.subscription.event_filters) if self.subscription else [],
            "disabled_filters": disabled_as_dicts(self.disabled_filters),
            "recovery_timeout": self._recovery_timeout,
            "stats": self.stats.as_dict(),
        }

    # -- lifecycle ------------------------------------------------------------------------------

    async def run(self) -> None:
        """Connect and deliver until `stop()`; see `transport.Transport.run`."""
        if self._running:
            raise RuntimeError("WebSocketTransport.run() is already running")
        self._running = True
        self._stop_requested = asyncio.Event()
        self._done = asyncio.Event()
        loop = asyncio.get_running_loop()
        work = loop.create_task(self._loop(), name="ringcentral-websocket")
        stopper = loop.create_task(self._stop_requested.wait())
        try:
            await asyncio.wait({work, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (work, stopper):
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await stopper
            try:
                await work
            except asyncio.CancelledError:
                current = asyncio.current_task()
                if current is not None and current.cancelling():
                    raise  # we were cancelled ourselves, not by stop()
            finally:
                await self._close_socket()
                self._ready = False
                self._running = False
                self._done.set()

    async def stop(self) -> None:
        """Delete the subscription, close the socket, and make `run()` return."""
        if self._stop_requested is None or self._done is None:
            return
        if self._stop_requested.is_set():
            await self._done.wait()
            return
        ws, subscription = self._ws, self.subscription
        if ws is not None and not ws.closed and subscription is not None and self._ready:
            try:
                status, _ = await asyncio.wait_for(
                    self._request(ws, "DELETE", f"{SUBSCRIPTION_PATH}/{subscription.id}"),
                    timeout=min(self.request_timeout, 5.0),
                )
            except (RingCentralError, TimeoutError, aiohttp.ClientError, ConnectionError) as err:
                _LOGGER.debug("Could not delete the subscription on stop: %s", describe_error(err))
            else:
                _LOGGER.debug("Subscription deleted on stop (HTTP %d)", status)
                if status in (200, 204, 404):
                    self.subscription = None
        self._stop_requested.set()
        await self._done.wait()

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

    # -- frames ---------------------------------------------------------------------------------

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> str:
        try:
            while True:
                message = await ws.receive()
                if message.type == aiohttp.WSMsgType.TEXT:
                    self._last_received = self._client.clock()
                    self.stats.last_message_at = self._last_received
                    self._on_text(message.data)
                    if self._loss is not None:
                        return self._loss
                elif message.type in _CLOSED_TYPES:
                    return f"closed by the server (code {ws.close_code})"
                elif message.type == aiohttp.WSMsgType.ERROR:
                    return f"network error ({type(ws.exception()).__name__})"
                else:
                    self.stats.malformed_frames += 1
        finally:
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(_ConnectionLostError("WebSocket connection lost"))

    def _on_text(self, text: str) -> None:
        header, body = _split_frame(text)
        if header is None:
            self.stats.malformed_frames += 1
            _LOGGER.warning("Ignoring a malformed WebSocket frame (%d characters)", len(text))
            return
        self._track_wsc(header)
        kind = header.get("type")
        message_id = header.get("messageId")
        if kind == "ServerNotification":
            if isinstance(body, dict):
                self._deliver(body)
            else:
                self.stats.malformed_frames += 1
                _LOGGER.warning("Ignoring a ServerNotification without a JSON object body")
        elif (
            kind in ("ClientRequest", "Error") and isinstance(message_id, str) and message_id in self._pending
        ):
            status = header.get("status")
            future = self._pending[message_id]
            if not future.done():
                future.set_result((status if isinstance(status, int) else 400, body))
        elif kind == "Error":
            code = body.get("errorCode") if isinstance(body, dict) else None
            _LOGGER.debug("RingCentral WebSocket error %s", code)
            self._loss = f"server error {code or '(no error code)'}"
        elif kind == "ConnectionDetails" and isinstance(body, dict):
            self.connection_details = body
        elif kind not in ("Heartbeat", "ClientRequest"):
            _LOGGER.debug("Ignoring a WebSocket frame of type %r", kind)

    def _track_wsc(self, header: dict[str, Any], *, force: bool = False) -> None:
        wsc = header.get("wsc")
        if not isinstance(wsc, dict):
            return
        token, sequence = wsc.get("token"), wsc.get("sequence")
        if not isinstance(token, str) or not token or not isinstance(sequence, int):
            return
        if force or self._wsc is None or sequence > self._wsc.sequence:
            self._wsc = _Wsc(token, sequence)

    def _deliver(self, raw: dict[str, Any]) -> None:
        if self._hold is not None:
            self._hold.append(raw)
            return
        self._delivery.deliver(raw, self.subscription)

    # -- sending --------------------------------------------------------------------------------

    async def _send(self, ws: aiohttp.ClientWebSocketResponse, frame: list[dict[str, Any]]) -> None:
        await ws.send_str(json.dumps(frame, separators=(",", ":")))
        self._last_sent = self._client.clock()

    async def _request(
        self, ws: aiohttp.ClientWebSocketResponse, method: str, path: str, body: Any = None
    ) -> tuple[int, Any]:
        """A `ClientRequest` over the socket; returns (status, body) of its answer."""
        message_id = str(uuid.uuid4())
        future: asyncio.Future[tuple[int, Any]] = asyncio.get_running_loop().create_future()
        self._pending[message_id] = future
        header = {"type": "ClientRequest", "messageId": message_id, "method": method, "path": path}
        try:
            await self._send(ws, [header] if body is None else [header, body])
            async with asyncio.timeout(self.request_timeout):
                return await future
        finally:
            del self._pending[message_id]

    async def _heartbeat(self, ws: aiohttp.ClientWebSocketResponse) -> str:
        """Send heartbeats on quiet connections; returns when one goes unanswered or cannot be sent."""
        clock, sleep = self._client.clock, self._client.sleep
        while True:
            now = clock()
            sent_at = self._heartbeat_sent_at
            if sent_at is not None and self._last_received < sent_at:
                if now - sent_at >= self.heartbeat_timeout:
                    return "heartbeat not answered"
                # Look again when the answer is overdue, or at the next heartbeat if that is sooner
                # (the answer usually arrives at once, and the cadence must not slip).
                overdue = sent_at + self.heartbeat_timeout
                wake = (
                    min(overdue, sent_at + self.heartbeat_interval)
                    if now < sent_at + self.heartbeat_interval
                    else overdue
                )
            else:
                quiet_since = min(self._last_received, self._last_sent)
                if now - quiet_since >= self.heartbeat_interval:
                    try:
                        await self._send(ws, [{"type": "Heartbeat", "messageId": str(uuid.uuid4())}])
                    except (aiohttp.ClientError, ConnectionError, RuntimeError) as err:
                        return f"heartbeat could not be sent ({type(err).__name__})"
                    self._heartbeat_sent_at = clock()
                    self.stats.heartbeats_sent += 1
                    continue
                self._heartbeat_sent_at = None
                wake = quiet_since + self.heartbeat_interval
            await sleep(max(wake - now, self.heartbeat_interval / 100))

    async def _close_socket(self) -> None:
        ws, self._ws = self._ws, None
        if ws is not None and not ws.closed:
            with contextlib.suppress(aiohttp.ClientError, ConnectionError, TimeoutError, RuntimeError):
                await ws.close()

    def backoff_delay(self, attempt: int) -> float:
        """Seconds to wait before reconnect `attempt` (1, 2, …); see `transport.jittered_backoff`."""
        return jittered_backoff(attempt, self.backoff_initial, self.backoff_max, self._rng)


def _connection_details(message: aiohttp.WSMessage) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and body of the `ConnectionDetails` frame every connection must start with."""
    if message.type != aiohttp.WSMsgType.TEXT:
        raise TemporarilyUnavailableError(f"WebSocket closed before ConnectionDetails ({message.type.name})")
    header, body = _split_frame(message.data)
    if header is None:
        raise TemporarilyUnavailableError("WebSocket's first frame was malformed")
    if header.get("type") == "Error":
        code = body.get("errorCode") if isinstance(body, dict) else None
        raise TemporarilyUnavailableError(f"WebSocket refused the connection ({code or 'no error code'})")
    if header.get("type") != "ConnectionDetails":
        raise TemporarilyUnavailableError(f"WebSocket's first frame was {header.get('type')!r}")
    return header, body if isinstance(body, dict) else {}


def _split_frame(text: str) -> tuple[dict[str, Any] | None, Any]:
    """`[header]` or `[header, body]`; (None, None) when the frame has another shape."""
    try:
        frame = load_json(text, "WebSocket frame")
    except ParseError:
        return None, None
    if not isinstance(frame, list) or not 1 <= len(frame) <= 2 or not isinstance(frame[0], dict):
        return None, None
    return frame[0], frame[1] if len(frame) == 2 else None


def _reply_error(status: int, body: Any, what: str) -> RingCentralError:
    if status == 401:
        return TemporarilyUnavailableError(f"{what}: the WebSocket session's token was refused")
    raw = json.dumps(body).encode() if body is not None else b""
    return error_from_response(Response(status, {}, "application/json", raw), what)


def _is_fatal(err: BaseException) -> bool:
    """Errors retrying cannot fix: the user or the app's configuration must change."""
    if isinstance(err, InvalidCredentialsError | MissingPermissionsError):
        return True
    return isinstance(err, ApiError) and err.status in (400, 403)
