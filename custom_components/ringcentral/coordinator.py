"""The push coordinator: one per config entry. Owns the call-state engine and the push listener.

Notifications arrive from the transport, are parsed, fed to the engine, and the engine's changes fan out
as one dispatcher signal per extension plus a `ringcentral_event` bus event per call event. Whenever the
transport reports lost continuity, state is re-read from REST (`resync.py`) before further events are
trusted. While notifications cannot flow for longer than RingCentral's recovery window, the extensions'
entities are unavailable rather than showing a state that may be hours old.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_call_later, async_track_point_in_utc_time
from homeassistant.util import dt as dt_util

from .aioringcentral import filters
from .aioringcentral.engine import CallStateEngine, EngineUpdate
from .aioringcentral.errors import ParseError
from .aioringcentral.filters import FilterKind, classify
from .aioringcentral.models import AccountInfo, ExtensionInfo, SubscriptionInfo, parse_notification
from .aioringcentral.rest import RingCentralClient
from .aioringcentral.transport import Continuity
from .const import (
    CONF_MONITOR,
    CONF_TRANSPORT,
    DEFAULT_TRANSPORT,
    LOGGER,
    MONITOR_OWN,
    RECOVERY_WINDOW,
    account_signal,
)
from .control import Control
from .devices import ExtensionDevices
from .fanout import Fanout
from .feeds import NotificationFeed
from .issues import (
    async_create_filters_refused_issue,
    async_delete_filters_refused_issue,
    async_delete_missing_permissions_issue,
)
from .listener import PushListener, event_filters
from .resync import Resync
from .token_store import TokenStore
from .views import ExtensionView, NameLookup, extension_view, no_name

if TYPE_CHECKING:
    from .messages import RingCentralMessages
    from .names import CallerNames

# Timers the coordinator may have pending (all cancelled on unload; resync and listener keep their own).
TIMER_UNAVAILABLE = "unavailable"
TIMER_TICK = "tick"

type ExtensionsListener = Callable[[list[str]], None]

_PRESENCE_KINDS = (FilterKind.PRESENCE, FilterKind.ACCOUNT_PRESENCE)


@dataclass(slots=True)
class RingCentralRuntimeData:
    """What a loaded entry keeps (`entry.runtime_data`)."""

    client: RingCentralClient
    token_store: TokenStore
    coordinator: RingCentralCoordinator
    # Feeds beside the call state (issue 16).
    messages: RingCentralMessages
    names: CallerNames


type RingCentralConfigEntry = ConfigEntry[RingCentralRuntimeData]


class RingCentralCoordinator:
    """Call state of one entry's extensions, kept current by push notifications."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: RingCentralConfigEntry,
        client: RingCentralClient,
        token_store: TokenStore,
    ) -> None:
        self.hass = hass
        self.entry = entry
        self.client = client
        self.token_store = token_store
        self.engine = CallStateEngine()
        self.monitor: str = entry.options.get(CONF_MONITOR, MONITOR_OWN)
        self.transport_name: str = entry.options.get(CONF_TRANSPORT, DEFAULT_TRANSPORT)
        # Set once the first snapshot was applied (or could not be): setup waits for it.
        self._first_sync = asyncio.Event()
        self.devices = ExtensionDevices(hass, entry, client, self.monitor, self._async_extensions_changed)
        # Caller names (set by `names.py` when it runs): fill in names notifications lack.
        self.lookup_name: NameLookup = no_name
        # Units beside the call state (messages, caller names), fed by the notification router.
        self._feeds: list[NotificationFeed] = []
        # Late-bound: `names.py` replaces `lookup_name` once it runs.
        names: NameLookup = lambda number: self.lookup_name(number)  # noqa: E731, PLW0108
        self.fanout = Fanout(hass, entry.entry_id, self.devices, self.view, names)
        self.resync = Resync(hass, entry, client, self.engine, self, restored_sessions=token_store.sessions)
        self.push = PushListener(
            hass,
            entry,
            client,
            self.transport_name,
            self,
            event_filters=self._event_filters,
            on_failed=self._async_set_disconnected,
            on_ended=self._first_sync.set,
        )
        self.subscription: SubscriptionInfo | None = None
        self.connected = False
        # False while notifications could not flow for longer than the recovery window.
        self._fresh = True
        self._listeners: list[ExtensionsListener] = []
        self._timers: dict[str, CALLBACK_TYPE] = {}
        self._stopping = False
        self._tick_at: datetime | None = None
        # If a call's session cannot be read by the first resync, it must still not be announced again.
        self.engine.restore_announced(token_store.calls)
        # What the entry may change, and the presence it set (laid over the engine's view).
        self.control = Control(
            hass,
            entry,
            client,
            engine_view=self._engine_view,
            send=self._async_send_views,
            resync=self.resync.async_schedule,
        )

    # --- what entities read --------------------------------------------------------------------------

    @property
    def entry_id(self) -> str:
        return self.entry.entry_id

    @property
    def entry_unique_id(self) -> str:
        return str(self.entry.unique_id)

    @property
    def account(self) -> AccountInfo | None:
        return self.devices.account

    @property
    def extensions(self) -> dict[str, ExtensionInfo]:
        """The monitored extensions by id."""
        return self.devices.extensions

    @property
    def extension_ids(self) -> list[str]:
        return list(self.devices.extensions)

    @property
    def fresh(self) -> bool:
        """False while notifications could not flow for longer than the recovery window."""
        return self._fresh

    def direct_number(self, extension_id: str) -> str | None:
        """The number RingOut rings first by default: the extension's own (its profile's business
        phone, usually its direct number)."""
        info = self.devices.extensions.get(extension_id)
        return None if info is None else info.business_phone

    def is_available(self, extension_id: str) -> bool:
        return self._fresh and extension_id in self.devices.extensions

    def view(self, extension_id: str) -> ExtensionView:
        """What entities show: the engine's state, with presence this entry just set laid over it."""
        return self.control.edits.overlay(extension_id, self._engine_view(extension_id))

    def _engine_view(self, extension_id: str) -> ExtensionView:
        return extension_view(self.engine.state(extension_id), self.lookup_name)

    @callback
    def async_add_extensions_listener(self, listener: ExtensionsListener) -> CALLBACK_TYPE:
        """Call `listener` with the ids of extensions that start being monitored (dynamic devices)."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    # --- feeds (messages, caller names) ---------------------------------------------------------------

    @callback
    def async_add_feed(self, feed: NotificationFeed) -> None:
        """Route `feed.kinds` to `feed` (before `async_start`: its filters join the subscription)."""
        self._feeds.append(feed)

    @callback
    def async_names_changed(self) -> None:
        """Caller names were (re)loaded: show them on the calls going on."""
        self.fanout.async_send_all()

    def _event_filters(self) -> list[str]:
        """Every filter of the one subscription: call state first, then each feed's."""
        own = event_filters(self.monitor, self.devices.extensions)
        return own + [event_filter for feed in self._feeds for event_filter in feed.event_filters()]

    # --- lifecycle -----------------------------------------------------------------------------------

    async def async_setup(self) -> None:
        """Test call, the monitored extensions, their devices, and the initial state from REST.

        Raises the library's errors; `async_setup_entry` maps them to HA's.
        """
        me = await self.devices.async_setup()
        self._async_set_sources()
        # The test call must also prove presence can be read (the app may lack ReadPresence).
        await self.client.get_presence(me.id)
        # Control features the app has no permission for stay off (a repair issue says so).
        await self.control.async_check_permissions()
        # The state itself is read once the subscription exists (the transport's first connection
        # reports NEW), so nothing can fall between snapshot and subscription, and startup reads
        # presence once, not twice. `async_wait_first_sync` lets setup wait for it.

    async def async_wait_first_sync(self) -> None:
        """Wait until the first snapshot after subscribing was applied, or the listener failed,
        so that entities start with real state, not unknown (the caller bounds the wait)."""
        await self._first_sync.wait()

    @callback
    def async_start(self) -> None:
        """Start the push listener as an entry background task (cancelled on unload)."""
        self.push.async_start()
        self.devices.async_start()

    async def async_stop(self) -> None:
        """Delete the subscription, close the socket, cancel timers, fire the call ends already
        reported (the entities still listen: the entry unloads its platforms after this), save
        tokens and what the next start needs to know about calls.

        (HA cancels the entry's background tasks, resyncs included, after unload.)
        """
        self._stopping = True
        for name in list(self._timers):
            self._cancel_timer(name)
        self.resync.async_stop()
        self.control.async_stop()
        await self.push.async_stop()
        # Ends already reported fire now: the settle time they wait for would outlive this coordinator.
        self._async_dispatch(self.engine.finish(self._now()))
        self.token_store.sessions = self.engine.tracked_sessions() | self.resync.restored_sessions
        self.token_store.calls = self.engine.announced_calls()
        await self.token_store.async_flush()

    @callback
    def _set_timer(self, name: str, cancel: CALLBACK_TYPE | None) -> None:
        """Remember a timer's cancel callback (replacing and cancelling one of the same name)."""
        self._cancel_timer(name)
        if cancel is not None:
            self._timers[name] = cancel

    @callback
    def _cancel_timer(self, name: str) -> None:
        if (cancel := self._timers.pop(name, None)) is not None:
            cancel()

    def transport_diagnostics(self) -> dict[str, Any]:
        """The transport's own secret-free state, when it offers one."""
        return self.push.diagnostics()

    # --- transport listener (called by the library in the event loop) --------------------------------

    def on_notification(self, raw: dict[str, Any]) -> None:
        """Parse one notification and feed it to the engine (which orders and deduplicates)."""
        try:
            notification = parse_notification(raw)
            for feed in self._feeds:
                if notification.kind in feed.kinds:
                    feed.on_notification(notification)
                    return
            if notification.kind is FilterKind.ACCOUNT_PRESENCE:
                # Only the id is needed here; the engine parses the body once, after this check.
                extension_id = str(notification.body.get("extensionId"))
                if extension_id not in self.devices.extensions:
                    self.devices.async_unknown_extension(extension_id)
                    return
            if self.control.edits.active and notification.kind in _PRESENCE_KINDS:
                self.control.async_observe(notification.presence())
            update = self.engine.apply_notification(notification, self._now())
        except ParseError as err:
            LOGGER.warning("Ignoring a notification RingCentral sent in an unexpected shape: %s", err.message)
            return
        self._async_dispatch(update)

    def on_connected(self, continuity: Continuity) -> None:
        """Notifications flow again; resync unless nothing was missed."""
        self.connected = True
        self._cancel_timer(TIMER_UNAVAILABLE)
        async_delete_missing_permissions_issue(self.hass, self.entry)
        # After an outage long enough to mark state unavailable, resync even if the session survived:
        # being sure beats trusting a replay buffer of limited size.
        if continuity.needs_resync or not self._fresh:
            self.resync.async_schedule()
        async_dispatcher_send(self.hass, account_signal(self.entry_id))

    def on_disconnected(self, reason: str) -> None:
        """Notifications stopped; entities stay as they are until the recovery window has passed."""
        LOGGER.info("RingCentral notifications interrupted: %s", reason)
        self._async_set_disconnected()

    def on_subscription(self, info: SubscriptionInfo) -> None:
        """Refused filters become a repair issue that says which permission to add."""
        self.subscription = info
        self._async_set_sources()
        for feed in self._feeds:
            feed.on_subscription(info)
        if info.disabled_filters:
            LOGGER.warning(
                "RingCentral refused %d notification filter(s): %s",
                len(info.disabled_filters),
                "; ".join(f.reason or f.message or "no reason" for f in info.disabled_filters),
            )
            async_create_filters_refused_issue(self.hass, self.entry, info.disabled_filters)
        else:
            async_delete_filters_refused_issue(self.hass, self.entry)

    # --- availability --------------------------------------------------------------------------------

    @callback
    def _async_set_disconnected(self) -> None:
        was_connected = self.connected
        self.connected = False
        if TIMER_UNAVAILABLE not in self._timers and self._fresh and not self._stopping:
            expire = async_call_later(self.hass, RECOVERY_WINDOW, self._async_recovery_expired)
            self._set_timer(TIMER_UNAVAILABLE, expire)
        if was_connected:
            async_dispatcher_send(self.hass, account_signal(self.entry_id))

    @callback
    def _async_recovery_expired(self, _now: Any) -> None:
        """Still no notifications (the timer is cancelled on reconnect): stop showing old state."""
        self._timers.pop(TIMER_UNAVAILABLE, None)
        LOGGER.warning("RingCentral notifications have been down too long; call state is unavailable")
        self._fresh = False
        self.fanout.async_send_all()

    # --- what the resync reports (see `resync.ResyncHost`) --------------------------------------------

    @callback
    def async_apply_snapshot(self, update: EngineUpdate) -> None:
        # Not a resync from inside one: the snapshot resets the streams it read, so its own settling
        # can only give up on the gap of an extension it did not read (an unread one fails it).
        self._async_dispatch(update, resync=False)

    @callback
    def async_resync_attempted(self) -> None:
        self._first_sync.set()

    @callback
    def async_resynced(self) -> None:
        if not self._fresh:
            LOGGER.info("RingCentral call state is up to date again")
        self._fresh = True
        self.fanout.async_send_all()
        self.control.async_resynced()
        for feed in self._feeds:
            feed.on_resynced()

    # --- monitored extensions ------------------------------------------------------------------------

    @callback
    def _async_set_sources(self) -> None:
        """Tell the engine what to track, and which sources can report on whom (refused filters cannot)."""
        ids = set(self.devices.extensions)
        presence, telephony = set(ids), set(ids)
        for disabled in self.subscription.disabled_filters if self.subscription else ():
            ext_id = filters.extension_id_of(disabled.filter)
            affected = ids if ext_id is None else {ext_id}
            kind = classify(disabled.filter)
            if kind is FilterKind.TELEPHONY_SESSIONS:
                telephony -= affected
            elif kind in _PRESENCE_KINDS:
                presence -= affected
            # Any other kind belongs to a feed, which hears of it itself (`on_subscription`).
        self.engine.set_monitored(ids, presence=presence, telephony=telephony)

    @callback
    def _async_extensions_changed(self, added: list[str]) -> None:
        """The extension list changed (devices are synced): track it, add entities for new ones."""
        self._async_set_sources()
        if added:
            for listener in list(self._listeners):
                listener(added)
            # Their state so far: re-read it (the notification that revealed them was not applied).
            self.resync.async_schedule()

    # --- fan-out -------------------------------------------------------------------------------------

    @callback
    def _async_dispatch(self, update: EngineUpdate, *, resync: bool = True) -> None:
        """Resync if notifications were lost, wake the engine at its next deadline, fan the update out."""
        if update.lost and resync and not self._stopping:
            # A presence sequence gap was given up on: notifications were lost (a call's end, say)
            # and nothing may repeat them, so re-read the state from REST.
            LOGGER.debug("RingCentral notifications were lost (sequence gap); re-reading call state")
            self.resync.async_after_loss()
        self._async_schedule_tick()
        self.control.async_settle(update.changed)
        self.fanout.async_send(update)

    @callback
    def _async_send_views(self, extension_ids: Iterable[str] | None) -> None:
        """Signal these extensions' views (None: every extension's) without an engine change."""
        if extension_ids is None:
            self.fanout.async_send_all()
        else:
            self.fanout.async_send(EngineUpdate(changed=frozenset(extension_ids)))

    @callback
    def _async_schedule_tick(self) -> None:
        """Wake the engine when it has a deadline (a sequence gap to give up on, a call end to settle)."""
        deadline = self.engine.next_deadline()
        if deadline == self._tick_at:
            return
        self._tick_at = deadline
        if deadline is None or self._stopping:
            self._cancel_timer(TIMER_TICK)
        else:
            self._set_timer(TIMER_TICK, async_track_point_in_utc_time(self.hass, self._async_tick, deadline))

    @callback
    def _async_tick(self, now: datetime) -> None:
        self._timers.pop(TIMER_TICK, None)
        self._tick_at = None
        self._async_dispatch(self.engine.tick(now))

    def _now(self) -> datetime:
        return dt_util.utcnow()
