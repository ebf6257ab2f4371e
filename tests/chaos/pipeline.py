"""The Home Assistant hub's data path without Home Assistant, for library-level chaos runs.

Transport → `parse_notification` → `CallStateEngine`, with a REST resync whenever the transport
reports `NEW` or `LOST` and a timer for the engine's deadlines, as `custom_components/ringcentral/hub.py`
does: a failed resync is retried (bug A), and a resync reads the sessions of the calls REST presence
lists and of every call the engine tracks (bug B), also those it learned of only from an earlier
resync, never from a notification.
Time is the simulator's clock, so settle windows and backoffs shrink with its `time_scale`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import aiohttp

from custom_components.ringcentral.aioringcentral import filters
from custom_components.ringcentral.aioringcentral.engine import CallStateEngine, EngineUpdate
from custom_components.ringcentral.aioringcentral.errors import ParseError, RateLimitedError, RingCentralError
from custom_components.ringcentral.aioringcentral.filters import FilterKind
from custom_components.ringcentral.aioringcentral.models import (
    Presence,
    SubscriptionInfo,
    TelephonySession,
    parse_notification,
)
from custom_components.ringcentral.aioringcentral.pubnub import PubNubTransport
from custom_components.ringcentral.aioringcentral.rest import RingCentralClient
from custom_components.ringcentral.aioringcentral.transport import Continuity
from custom_components.ringcentral.aioringcentral.webhook import WebhookTransport
from custom_components.ringcentral.aioringcentral.websocket import WebSocketTransport
from rcsim import Simulator

from .oracle import ObservedEvent, SimLog

if TYPE_CHECKING:
    from .message_feed import LibraryMessages

_LOGGER = logging.getLogger(__name__)

MONITOR_ACCOUNT = "account"
MONITOR_SELECTED = "selected"


def websocket_caught_up(sim: Simulator, wsc: Any) -> bool:
    """Whether a WebSocket transport whose last `wsc` header is `wsc` has read every frame its
    session sent (a session the gateway no longer has sends nothing)."""
    if wsc is None:
        return False
    session = getattr(sim.state.ws, "_sessions", {}).get(wsc.token)
    return session is None or int(wsc.sequence) >= session.sequence


def notifications_held(sim: Simulator) -> bool:
    """Whether notification faults are active or the simulator holds notifications back (reorder, delay)."""
    pipeline = getattr(sim.state.subscriptions, "_pipeline", None)
    return (
        sim.state.faults.notifications.active
        or bool(getattr(pipeline, "_held", None))
        or bool(getattr(pipeline, "_timers", None))
    )


def notifications_in_flight(sim: Simulator) -> bool:
    """Whether the simulator holds back (reorder) or delays a notification it already sent on its way."""
    pipeline = getattr(sim.state.subscriptions, "_pipeline", None)
    return bool(getattr(pipeline, "_held", None)) or bool(getattr(pipeline, "_timers", None))


class LibraryHub:
    """One monitored account (or a selection of extensions), fed by a WebSocket subscription."""

    def __init__(
        self,
        sim: Simulator,
        session: aiohttp.ClientSession,
        extension_ids: list[str],
        *,
        monitor: str,
        log: SimLog,
        seed: int,
        transport: str = "websocket",
        webhook_address: str | None = None,
        feed: LibraryMessages | None = None,
    ) -> None:
        creds = sim.credentials()
        clock = sim.state.clock
        self.sim = sim
        self.log = log
        self.monitor = monitor
        self.extension_ids = list(extension_ids)
        self.client = RingCentralClient(
            session,
            server=creds["server"],
            client_id=creds["client_id"],
            client_secret=creds["client_secret"],
            jwt=creds["jwt"],
            clock=clock.now,
            sleep=clock.sleep,
            request_timeout=5.0,
            rng=random.Random(seed),
        )
        self.engine = CallStateEngine()
        self.engine.set_monitored(self.extension_ids)
        if monitor == MONITOR_ACCOUNT:
            wanted = [filters.account_presence(), filters.account_telephony_sessions()]
        else:
            wanted = []
            for ext_id in self.extension_ids:
                wanted += [filters.extension_presence(ext_id), filters.extension_telephony_sessions(ext_id)]
        # A feed beside the call state (messages) adds its filters and hears its kinds, as in hub.py.
        self.feed = feed
        if feed is not None:
            wanted += feed.event_filters()
        self.transport_name = transport
        self.transport: WebSocketTransport | PubNubTransport | WebhookTransport
        if transport == "websocket":
            self.transport = WebSocketTransport(
                self.client,
                wanted,
                self,
                backoff_initial=1.0,
                backoff_max=20.0,
                connect_timeout=5.0,
                request_timeout=5.0,
                rng=random.Random(seed + 1),
            )
        elif transport == "pubnub":
            self.transport = PubNubTransport(
                self.client,
                wanted,
                self,
                origin=sim.url.removeprefix("http://"),
                ssl=False,
                check_interval=5.0,
                retry_initial=1.0,
                retry_max=20.0,
                reconnect_interval=0.05,
                reconnect_max=0.2,
                first_connect_timeout=10.0,
                rng=random.Random(seed + 1),
            )
        else:
            assert webhook_address is not None
            self.transport = WebhookTransport(
                self.client,
                wanted,
                self,
                address=webhook_address,
                check_interval=5.0,
                retry_initial=1.0,
                retry_max=20.0,
                rng=random.Random(seed + 1),
            )
        self.events: list[ObservedEvent] = []
        self.resyncs = 0
        self.failed_resyncs = 0
        self._run: asyncio.Task[None] | None = None
        self._resync: asyncio.Task[None] | None = None
        self._resync_again = False
        self._tick: asyncio.TimerHandle | None = None
        self._tick_at: datetime | None = None
        self.run_error: BaseException | None = None

    # -- lifecycle --------------------------------------------------------------------------------

    async def start(self) -> None:
        self._run = asyncio.get_running_loop().create_task(self._run_transport())

    async def _run_transport(self) -> None:
        try:
            await self.transport.run()
        except RingCentralError as err:  # the hub would raise a repair issue or reauth here
            self.run_error = err
            _LOGGER.warning("transport stopped: %s", err.message)

    async def stop(self) -> None:
        if self._tick is not None:
            self._tick.cancel()
        await self.transport.stop()
        for task in (self._run, self._resync):
            if task is not None and not task.done():
                task.cancel()
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        # Last: a notification or resync that came in while the transport stopped may start a read.
        if self.feed is not None:
            await self.feed.stop()
        await self.client.close(revoke=False)

    @property
    def settled(self) -> bool:
        """Connected, no resync under way, nothing the engine still waits for."""
        return (
            self.transport.connected
            and (self._resync is None or self._resync.done())
            and self.engine.next_deadline() is None
        )

    @property
    def connected(self) -> bool:
        return self.transport.connected

    def caught_up(self) -> bool:
        """Everything the simulator sent has arrived (or nothing can arrive now)."""
        if not self.transport.connected:
            return True
        if isinstance(self.transport, WebSocketTransport):
            return websocket_caught_up(self.sim, getattr(self.transport, "_wsc", None))
        # PubNub and WebHook: the newest event about a monitored extension was heard, unless the
        # simulator is still holding notifications back.
        return self.log.watermark() >= self.log.latest(self.extension_ids) or notifications_held(self.sim)

    async def nudge(self) -> None:
        """Deadlines run on the simulator's clock: nothing to drive."""

    def state(self) -> dict[str, dict[str, Any]]:
        """Each monitored extension as the integration's entities would show it."""
        shown = {}
        for ext_id in self.extension_ids:
            state = self.engine.state(ext_id)
            shown[ext_id] = {
                "telephony_status": state.telephony_status,
                "presence_status": state.presence_status,
                "user_status": state.user_status,
                "dnd_status": state.dnd_status,
                "calls": sorted((c.telephony_session_id, c.party_id, c.status) for c in state.calls),
                "on_call": state.on_call,
            }
        return shown

    # -- TransportListener ------------------------------------------------------------------------

    def on_notification(self, raw: dict[str, Any]) -> None:
        body = raw.get("body")
        if isinstance(body, dict):
            self.log.heard(body)
        try:
            notification = parse_notification(raw)
            if self.feed is not None and notification.kind in self.feed.kinds:
                self.feed.on_notification(notification)
                return
            if (
                notification.kind is FilterKind.ACCOUNT_PRESENCE
                and notification.presence().extension_id not in self.extension_ids
            ):
                return
            update = self.engine.apply_notification(notification, self._now())
        except ParseError as err:
            _LOGGER.warning("unparseable notification: %s", err.message)
            return
        self._dispatch(update)

    def on_connected(self, continuity: Continuity) -> None:
        if self.feed is not None:
            self.feed.on_connected(continuity)
        if continuity is not Continuity.KEPT:
            # Anything not heard before the connection went down may be lost; the resync covers it.
            self.log.break_starts()
            self.log.forgive()
            self._schedule_resync()

    def on_disconnected(self, reason: str) -> None:
        _LOGGER.debug("disconnected: %s", reason)

    def on_subscription(self, info: SubscriptionInfo) -> None:
        assert not info.disabled_filters, info.disabled_filters

    # -- resync (as hub.py) -----------------------------------------------------------------------

    def _schedule_resync(self) -> None:
        """Start a resync, replacing one under way (its reads may predate what prompted this one)."""
        if self._resync is not None and not self._resync.done():
            self._resync.cancel()
        self._resync = asyncio.get_running_loop().create_task(self._resync_logged())

    def _resync_after_loss(self) -> None:
        """As hub.py: never cancel a resync under way for a loss; run another once it is done."""
        if self._resync is not None and not self._resync.done():
            self._resync_again = True
            return
        self._schedule_resync()

    async def _resync_logged(self) -> None:
        """Resync until it succeeds: a failed one is retried after the rate limit's `Retry-After` or
        a backoff (bug A in docs/chaos.md: otherwise state stays stale until the next reconnect)."""
        attempt = 0
        while True:
            self._resync_again = False
            try:
                await self.resync()
            except RingCentralError as err:
                self.failed_resyncs += 1
                attempt += 1
                _LOGGER.info("resync failed (attempt %d): %s", attempt, err.message)
                retry_after = err.retry_after if isinstance(err, RateLimitedError) else 0.0
                await self.sim.state.clock.sleep(max(retry_after, min(30.0, 2.0**attempt)))
                continue
            self.resyncs += 1
            self.log.break_ends()
            if self.feed is not None:
                self.feed.on_resynced()
            if not self._resync_again:
                return

    async def resync(self) -> None:
        token = self.engine.begin_snapshot()
        presences: dict[str, Presence] = {}
        if self.monitor == MONITOR_ACCOUNT:
            for presence in await self.client.get_account_presence():
                if presence.extension_id in self.extension_ids:
                    presences[presence.extension_id] = presence
        else:
            for ext_id, result in (await self.client.get_presences(self.extension_ids)).items():
                if isinstance(result, Presence):
                    presences[ext_id] = result
        listed = {
            call.telephony_session_id
            for presence in presences.values()
            for call in presence.active_calls
            if call.telephony_session_id
        }
        sessions: dict[str, TelephonySession | None] = {}
        # As hub.py: the engine's tracked calls, not only those a notification named. A call known
        # only from an earlier resync's presence (its notifications lost), hidden by the flicker now,
        # would otherwise be ended by this snapshot although its party still rings.
        unread = 0
        for tsid in sorted(listed | self.engine.tracked_sessions()):
            try:
                sessions[tsid] = await self.client.get_telephony_session(tsid)
            except RingCentralError:
                unread += 1
        # Not a resync from inside one: the snapshot resets the streams it read, so its own settling
        # can only give up on the gap of an extension whose presence could not be read.
        self._dispatch(self.engine.apply_snapshot(token, presences, sessions, self._now()), resync=False)
        if unread:  # as hub.py: the calls of unread sessions were kept as they were; read them again
            raise RingCentralError(f"could not read {unread} telephony session(s)")

    # -- engine output ----------------------------------------------------------------------------

    def _dispatch(self, update: EngineUpdate, *, resync: bool = True) -> None:
        if update.lost and resync:
            # A presence sequence gap was given up on: notifications were lost (as hub.py does).
            self._resync_after_loss()
        for event in update.events:
            key = (event.extension_id, event.telephony_session_id, event.party_id)
            self.events.append(ObservedEvent(event.type, key, self.log.count))
        deadline = self.engine.next_deadline()
        if deadline == self._tick_at:
            return
        if self._tick is not None:
            self._tick.cancel()
            self._tick = None
        self._tick_at = deadline
        if deadline is not None:
            delay = self.sim.state.clock.to_real((deadline - self._now()).total_seconds())
            self._tick = asyncio.get_running_loop().call_later(delay, self._on_tick)

    def _on_tick(self) -> None:
        self._tick = None
        self._tick_at = None
        self._dispatch(self.engine.tick(self._now()))

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.sim.state.clock.now(), UTC)
