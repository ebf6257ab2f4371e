"""The push coordinator: one per config entry. Owns the call-state engine and the parts around it.

Notifications arrive from the transport (`connection.py`), are routed (`router.py`) to the engine or a
feed beside it, and the engine's changes fan out (`fanout.py`) as one dispatcher signal per extension
plus a `ringcentral_event` bus event per call event. Whenever notifications may have been lost, state
is re-read from REST (`resync.py`) before further events are trusted. The coordinator wires these
parts, wakes the engine at its deadlines, and is what entities read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.util import dt as dt_util

from .aioringcentral.engine import CallStateEngine, EngineUpdate
from .aioringcentral.models import AccountInfo, ExtensionInfo
from .aioringcentral.rest import RingCentralClient
from .connection import Connection
from .const import CONF_MONITOR, CONF_TRANSPORT, DEFAULT_TRANSPORT, LOGGER, MONITOR_OWN
from .control import Control
from .devices import ExtensionDevices
from .fanout import Fanout
from .listener import PushListener
from .resync import Resync
from .router import NotificationRouter
from .timers import DeadlineTimer
from .token_store import TokenStore
from .views import ExtensionView, ExtensionViews, NameLookup, no_name

if TYPE_CHECKING:
    from .messages import RingCentralMessages
    from .names import CallerNames

type ExtensionsListener = Callable[[list[str]], None]


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
        self._views = ExtensionViews()
        # Late-bound: `names.py` replaces `lookup_name` once it runs.
        names: NameLookup = lambda number: self.lookup_name(number)  # noqa: E731, PLW0108
        self.fanout = Fanout(
            hass, entry.entry_id, self.devices, self.view, available=self.is_available, names=names
        )
        self.resync = Resync(hass, entry, client, self.engine, self, restored_sessions=token_store.sessions)
        # What the entry may change, and the presence it set (laid over the engine's view).
        self.control = Control(
            hass,
            entry,
            client,
            engine_view=self._engine_view,
            send=self._async_send_views,
            resync=self.resync.async_schedule,
        )
        # Which unit a notification goes to: the engine, or a feed beside it (messages, caller names).
        self.router = NotificationRouter(
            self.engine, self.devices, self.control, monitor=self.monitor, on_update=self._async_dispatch
        )
        self.connection = Connection(
            hass,
            entry,
            notification=self.router.on_notification,
            subscribed=self.router.async_subscribed,
            resync=self.resync.async_schedule,
            stale=self.fanout.async_send_all,
        )
        self.push = PushListener(
            hass,
            entry,
            client,
            self.transport_name,
            self.connection,
            event_filters=self.router.event_filters,
            on_failed=self.connection.async_set_disconnected,
            on_ended=self._first_sync.set,
        )
        self._listeners: list[ExtensionsListener] = []
        # Wakes the engine at its next deadline (a sequence gap to give up on, a call end to settle).
        self._deadline = DeadlineTimer(hass, self._async_tick)
        self._stopping = False
        # If a call's session cannot be read by the first resync, it must still not be announced again.
        self.engine.restore_announced(token_store.calls)

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
    def connected(self) -> bool:
        """Whether notifications flow."""
        return self.connection.connected

    def direct_number(self, extension_id: str) -> str | None:
        """The number RingOut rings first by default: the extension's own (its profile's business
        phone, usually its direct number)."""
        info = self.devices.extensions.get(extension_id)
        return None if info is None else info.business_phone

    def is_available(self, extension_id: str) -> bool:
        return self.connection.fresh and extension_id in self.devices.extensions

    def view(self, extension_id: str) -> ExtensionView:
        """What entities show: the engine's state, with presence this entry just set laid over it."""
        return self.control.edits.overlay(extension_id, self._engine_view(extension_id))

    def _engine_view(self, extension_id: str) -> ExtensionView:
        return self._views.view(self.engine.state(extension_id), self.lookup_name)

    @callback
    def async_add_extensions_listener(self, listener: ExtensionsListener) -> CALLBACK_TYPE:
        """Call `listener` with the ids of extensions that start being monitored (dynamic devices)."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    @callback
    def async_names_changed(self) -> None:
        """Caller names were (re)loaded: show them on the calls going on."""
        self.fanout.async_send_all()

    # --- lifecycle -----------------------------------------------------------------------------------

    async def async_setup(self) -> None:
        """Test call, the monitored extensions, their devices, and the initial state from REST.

        Raises the library's errors; `async_setup_entry` maps them to HA's.
        """
        me = await self.devices.async_setup()
        self.router.async_set_sources()
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
        self._deadline.async_cancel()
        self.connection.async_stop()
        self.resync.async_stop()
        self.control.async_stop()
        await self.push.async_stop()
        # Ends already reported fire now: the settle time they wait for would outlive this coordinator.
        self._async_dispatch(self.engine.finish(dt_util.utcnow()))
        self.token_store.sessions = self.engine.tracked_sessions() | self.resync.restored_sessions
        self.token_store.calls = self.engine.announced_calls()
        await self.token_store.async_flush()

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
        self.connection.async_resynced()
        self.fanout.async_send_all()
        self.control.async_resynced()
        self.router.async_resynced()

    # --- monitored extensions ------------------------------------------------------------------------

    @callback
    def _async_extensions_changed(self, added: list[str]) -> None:
        """The extension list changed (devices are synced): track it, add entities for new ones."""
        self.router.async_set_sources()
        if added:
            for listener in list(self._listeners):
                listener(added)
            # Their state so far: re-read it (the notification that revealed them was not applied).
            self.resync.async_schedule()

    # --- fan-out and the engine's deadlines ----------------------------------------------------------

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
        """Wake the engine when it has a deadline (none once stopping)."""
        self._deadline.async_set(None if self._stopping else self.engine.next_deadline())

    @callback
    def _async_tick(self, now: datetime) -> None:
        self._async_dispatch(self.engine.tick(now))
