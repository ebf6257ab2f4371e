"""The hub: one per config entry. Owns the client, the transport and the call-state engine.

Notifications arrive from the transport, are parsed, fed to the engine, and the engine's changes fan out
as one dispatcher signal per extension plus a `ringcentral_event` bus event per call event. Whenever the
transport reports lost continuity, state is re-read from REST before further events are trusted. While
notifications cannot flow for longer than RingCentral's recovery window, the extensions' entities are
unavailable rather than showing a state that may be hours old.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import (
    async_call_later,
    async_track_point_in_utc_time,
    async_track_time_interval,
)
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .aioringcentral import filters
from .aioringcentral.auth import TokenSet
from .aioringcentral.engine import AnnouncedCall, CallStateEngine, EngineUpdate
from .aioringcentral.errors import (
    InvalidCredentialsError,
    MissingPermissionsError,
    ParseError,
    RingCentralError,
)
from .aioringcentral.filters import FilterKind, classify
from .aioringcentral.models import (
    AccountInfo,
    ExtensionInfo,
    Presence,
    SubscriptionInfo,
    TelephonySessionEvent,
    parse_notification,
)
from .aioringcentral.rest import RingCentralClient
from .aioringcentral.transport import Continuity, Transport
from .const import (
    CONF_CREDENTIALS_ID,
    CONF_EXTENSION_ID,
    CONF_EXTENSIONS,
    CONF_MONITOR,
    CONF_TRANSPORT,
    DEFAULT_TRANSPORT,
    DOMAIN,
    EVENT_RINGCENTRAL,
    ISSUE_FILTERS_REFUSED,
    ISSUE_MISSING_PERMISSIONS,
    LOGGER,
    MONITOR_ACCOUNT,
    MONITOR_OWN,
    RECOVERY_WINDOW,
    STORAGE_VERSION,
    account_signal,
    extension_signal,
)
from .transports import create_transport
from .views import CallEventData, ExtensionUpdate, ExtensionView, call_event_data, extension_view

if TYPE_CHECKING:
    from . import RingCentralConfigEntry

MANUFACTURER = "RingCentral"
# Extensions of the whole account are re-listed this often, so removed ones disappear (stale devices).
EXTENSION_REFRESH_INTERVAL = timedelta(hours=1)
# After a failure retrying could not fix (other than credentials), the listener starts again this late.
LISTENER_RESTART_DELAY = 300
# Tokens change on every refresh (hourly); a short delay coalesces a burst into one write.
TOKEN_SAVE_DELAY = 1.0
# A failed resync is tried again this late: notifications may have been lost (a call that ended while
# disconnected), so waiting for the next reconnect could leave a call showing for hours.
RESYNC_RETRY_DELAY = 60
RESYNC_RETRY_MAX = 900

# What "every user extension" means, in RingCentral's extension list filters.
USER_TYPES = ("User",)
ENABLED = ("Enabled",)

# Timers the hub may have pending (all cancelled on unload).
TIMER_UNAVAILABLE = "unavailable"
TIMER_RESTART = "restart"
TIMER_TICK = "tick"
TIMER_RESYNC = "resync"

type ExtensionsListener = Callable[[list[str]], None]


class TokenStore:
    """Persisted OAuth tokens of one entry, valid only for the credentials they were issued for, the
    telephony sessions the entry tracked when it stopped (read again by the first resync) and the calls
    it had announced (not announced again)."""

    def __init__(self, hass: HomeAssistant, entry_id: str, credentials_id: str) -> None:
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}", private=True
        )
        self._credentials_id = credentials_id
        self._tokens: TokenSet | None = None
        self.sessions: set[str] = set()
        # (extension id, telephonySessionId, partyId, lifecycle state) of the calls announced when the
        # entry stopped (entries saved without the state are still read).
        self.calls: list[AnnouncedCall] = []

    async def async_load(self) -> TokenSet | None:
        """Tokens saved for the current credentials, if any (and the saved `sessions` and `calls`)."""
        data = await self._store.async_load()
        saved = data.get("sessions") if data else None
        if isinstance(saved, list):
            self.sessions = {tsid for tsid in saved if isinstance(tsid, str) and tsid}
        calls = data.get("calls") if data else None
        if isinstance(calls, list):
            self.calls = [
                tuple(call)
                for call in calls
                if isinstance(call, list) and len(call) in (3, 4) and all(isinstance(i, str) for i in call)
            ]
        if not data or data.get(CONF_CREDENTIALS_ID) != self._credentials_id or not data.get("tokens"):
            return None
        try:
            self._tokens = TokenSet.from_dict(data["tokens"])
        except (RingCentralError, KeyError, TypeError, ValueError):
            LOGGER.debug("Ignoring unreadable stored tokens")
            return None
        return self._tokens

    @callback
    def async_update(self, tokens: TokenSet | None) -> None:
        """Remember new tokens (or their loss) and write them soon."""
        self._tokens = tokens
        self._store.async_delay_save(self._data, TOKEN_SAVE_DELAY)

    async def async_flush(self) -> None:
        """Write now (on unload), so a restart right after a refresh resumes with the newest tokens."""
        await self._store.async_save(self._data())

    async def async_remove(self) -> None:
        await self._store.async_remove()

    def _data(self) -> dict[str, Any]:
        return {
            CONF_CREDENTIALS_ID: self._credentials_id,
            "tokens": None if self._tokens is None else self._tokens.as_dict(),
            "sessions": sorted(self.sessions),
            "calls": [list(call) for call in self.calls],
        }


def extension_name(info: ExtensionInfo) -> str:
    """What a person calls the extension."""
    return info.name or f"Extension {info.extension_number or info.id}"


class RingCentralHub:
    """Runtime state of one config entry (stored as `entry.runtime_data`)."""

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
        self.account: AccountInfo | None = None
        self.me: ExtensionInfo | None = None
        self.extensions: dict[str, ExtensionInfo] = {}
        self.subscription: SubscriptionInfo | None = None
        self.connected = False
        # False while notifications could not flow for longer than the recovery window.
        self._fresh = True
        self._transport: Transport | None = None
        self._listeners: list[ExtensionsListener] = []
        self._timers: dict[str, CALLBACK_TYPE] = {}
        self._resync_task: asyncio.Task[None] | None = None
        self._resync_again = False  # notifications were lost while a resync ran: run another after it
        self._resync_failures = 0
        self._refresh_task: asyncio.Task[None] | None = None
        self._stopping = False
        self._device_ids: dict[str, str] = {}
        self._tick_at: datetime | None = None
        # Set once the first snapshot was applied (or could not be): setup waits for it.
        self._first_sync = asyncio.Event()
        # Calls tracked before a restart: presence may hide one that is still alive (the flicker),
        # so the first snapshot reads their sessions and baselines them (no second start event).
        self._restored_sessions = set(token_store.sessions)
        # If a session cannot be read then, the call must still not be announced a second time.
        self.engine.restore_announced(token_store.calls)

    # --- identity ------------------------------------------------------------------------------------

    @property
    def entry_id(self) -> str:
        return self.entry.entry_id

    @property
    def entry_unique_id(self) -> str:
        return str(self.entry.unique_id)

    @property
    def extension_ids(self) -> list[str]:
        return list(self.extensions)

    def account_device_info(self) -> DeviceInfo:
        """The account's service device (identified per entry: two users of one account stay apart)."""
        name = (self.account.name if self.account else None) or "RingCentral account"
        return DeviceInfo(
            identifiers={(DOMAIN, self.entry_unique_id)},
            name=name,
            manufacturer=MANUFACTURER,
            model="Account",
            entry_type=DeviceEntryType.SERVICE,
        )

    def extension_device_info(self, extension_id: str) -> DeviceInfo:
        info = self.extensions[extension_id]
        return DeviceInfo(
            identifiers={(DOMAIN, extension_id)},
            name=extension_name(info),
            manufacturer=MANUFACTURER,
            model=info.type or "Extension",
            serial_number=info.extension_number,
        )

    # --- what entities read --------------------------------------------------------------------------

    def is_available(self, extension_id: str) -> bool:
        return self._fresh and extension_id in self.extensions

    def view(self, extension_id: str) -> ExtensionView:
        return extension_view(self.engine.state(extension_id))

    @callback
    def async_add_extensions_listener(self, listener: ExtensionsListener) -> CALLBACK_TYPE:
        """Call `listener` with the ids of extensions that start being monitored (dynamic devices)."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    # --- lifecycle -----------------------------------------------------------------------------------

    async def async_setup(self) -> None:
        """Test call, the monitored extensions, their devices, and the initial state from REST.

        Raises the library's errors; `async_setup_entry` maps them to HA's.
        """
        self.me = await self.client.get_extension_info()
        self.account = await self.client.get_account_info()
        self.extensions = await self._async_monitored_extensions()
        self._async_set_sources()
        self._async_sync_devices()
        # The test call must also prove presence can be read (the app may lack ReadPresence).
        await self.client.get_presence(self.me.id)
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
        self._async_start_listener()
        if self.monitor == MONITOR_ACCOUNT:
            self.entry.async_on_unload(
                async_track_time_interval(
                    self.hass,
                    self._async_periodic_refresh,
                    EXTENSION_REFRESH_INTERVAL,
                    cancel_on_shutdown=True,
                )
            )

    async def async_stop(self) -> None:
        """Delete the subscription, close the socket, cancel timers, fire the call ends already
        reported, save tokens and what the next start needs to know about calls.

        (HA cancels the entry's background tasks, resyncs included, after unload.)
        """
        self._stopping = True
        for name in list(self._timers):
            self._cancel_timer(name)
        if self._transport is not None:
            await self._transport.stop()
        # Ends already reported fire now: the settle time they wait for would outlive this hub.
        self._async_dispatch(self.engine.finish(self._now()))
        self.token_store.sessions = self.engine.tracked_sessions() | self._restored_sessions
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

    @callback
    def _async_start_listener(self, _now: Any = None) -> None:
        self._timers.pop(TIMER_RESTART, None)
        self._transport = create_transport(
            self.transport_name,
            hass=self.hass,
            entry=self.entry,
            client=self.client,
            filters=filters_for(self),
            listener=self,
        )
        self.entry.async_create_background_task(
            self.hass, self._async_listen(self._transport), f"{DOMAIN} notifications"
        )

    async def _async_listen(self, transport: Transport) -> None:
        """Run the transport until unload. What retrying cannot fix becomes reauth or a repair issue;
        except for rejected credentials the listener starts again after a while (fixing a permission
        in the developer console needs no reload)."""
        try:
            await transport.run()
        except InvalidCredentialsError:
            LOGGER.warning("RingCentral rejected the credentials; starting re-authentication")
            self._async_set_disconnected()
            self.entry.async_start_reauth(self.hass)
            return
        except MissingPermissionsError as err:
            LOGGER.warning("RingCentral app lacks permissions: %s", ", ".join(err.permissions))
            async_create_missing_permissions_issue(self.hass, self.entry, err.permissions)
        except RingCentralError as err:
            # A refusal RingCentral explained (e.g. of the subscription): its message says enough.
            LOGGER.error(
                "RingCentral notifications stopped: %s; retrying in %d s", err.message, LISTENER_RESTART_DELAY
            )
        else:
            return  # stopped on unload
        finally:
            self._first_sync.set()
        self._async_set_disconnected()
        if not self._stopping:
            restart = async_call_later(self.hass, LISTENER_RESTART_DELAY, self._async_start_listener)
            self._set_timer(TIMER_RESTART, restart)

    def transport_diagnostics(self) -> dict[str, Any]:
        """The transport's own secret-free state, when it offers one."""
        diagnostics = getattr(self._transport, "diagnostics", None)
        return diagnostics() if callable(diagnostics) else {}

    # --- transport listener (called by the library in the event loop) --------------------------------

    def on_notification(self, raw: dict[str, Any]) -> None:
        """Parse one notification and feed it to the engine (which orders and deduplicates)."""
        try:
            notification = parse_notification(raw)
            if notification.kind is FilterKind.ACCOUNT_PRESENCE:
                # Only the id is needed here; the engine parses the body once, after this check.
                extension_id = str(notification.body.get("extensionId"))
                if extension_id not in self.extensions:
                    self._async_unknown_extension(extension_id)
                    return
            update = self.engine.apply_notification(notification, self._now())
        except ParseError as err:
            LOGGER.warning("Ignoring a notification RingCentral sent in an unexpected shape: %s", err.message)
            return
        self._async_dispatch(update)

    def on_connected(self, continuity: Continuity) -> None:
        """Notifications flow again; resync unless nothing was missed."""
        self.connected = True
        self._cancel_timer(TIMER_UNAVAILABLE)
        ir.async_delete_issue(self.hass, DOMAIN, f"{ISSUE_MISSING_PERMISSIONS}_{self.entry_id}")
        # After an outage long enough to mark state unavailable, resync even if the session survived:
        # being sure beats trusting a replay buffer of limited size.
        if continuity.needs_resync or not self._fresh:
            self._async_schedule_resync()
        async_dispatcher_send(self.hass, account_signal(self.entry_id))

    def on_disconnected(self, reason: str) -> None:
        """Notifications stopped; entities stay as they are until the recovery window has passed."""
        LOGGER.info("RingCentral notifications interrupted: %s", reason)
        self._async_set_disconnected()

    def on_subscription(self, info: SubscriptionInfo) -> None:
        """Refused filters become a repair issue that says which permission to add."""
        self.subscription = info
        self._async_set_sources()
        if info.disabled_filters:
            LOGGER.warning(
                "RingCentral refused %d notification filter(s): %s",
                len(info.disabled_filters),
                "; ".join(f.reason or f.message or "no reason" for f in info.disabled_filters),
            )
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                f"{ISSUE_FILTERS_REFUSED}_{self.entry_id}",
                is_fixable=False,
                severity=ir.IssueSeverity.ERROR,
                translation_key=ISSUE_FILTERS_REFUSED,
                translation_placeholders={
                    "title": self.entry.title,
                    "filters": ", ".join(f.filter for f in info.disabled_filters),
                    "reasons": "; ".join(f.message or f.reason or "" for f in info.disabled_filters),
                    "permissions": ", ".join(
                        permissions_for_filters(f.filter for f in info.disabled_filters)
                    ),
                },
            )
        else:
            ir.async_delete_issue(self.hass, DOMAIN, f"{ISSUE_FILTERS_REFUSED}_{self.entry_id}")

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
        self._async_dispatch_all()

    # --- resync --------------------------------------------------------------------------------------

    @callback
    def _async_schedule_resync(self, _now: Any = None) -> None:
        self._cancel_timer(TIMER_RESYNC)
        if self._resync_task is not None and not self._resync_task.done():
            self._resync_task.cancel()
        self._resync_task = self.entry.async_create_background_task(
            self.hass, self._async_resync_logged(), f"{DOMAIN} resync"
        )

    @callback
    def _async_resync_after_loss(self) -> None:
        """Resync because notifications were lost, without cancelling one under way.

        A resync in flight may have read presence before the loss: run another once it is done.
        Cancelling it instead could starve resyncs while losses keep coming. A retry already
        scheduled (after a failed resync) keeps its backoff.
        """
        if TIMER_RESYNC in self._timers:
            return
        if self._resync_task is not None and not self._resync_task.done():
            self._resync_again = True
            return
        self._async_schedule_resync()

    async def _async_resync_logged(self) -> None:
        self._resync_again = False
        try:
            await self._async_resync()
        except RingCentralError as err:
            # Stay unavailable if we already were. Try again soon, backing off (a reconnect also
            # does): waiting for the next reconnect could leave a call that ended showing for hours.
            delay = min(RESYNC_RETRY_DELAY * 2**self._resync_failures, RESYNC_RETRY_MAX)
            self._resync_failures += 1
            LOGGER.warning(
                "Could not re-read call state from RingCentral: %s; retrying in %d s", err.message, delay
            )
            if not self._stopping:
                self._set_timer(TIMER_RESYNC, async_call_later(self.hass, delay, self._async_schedule_resync))
            return
        finally:
            self._first_sync.set()
        self._resync_failures = 0
        if not self._fresh:
            LOGGER.info("RingCentral call state is up to date again")
        self._fresh = True
        self._async_dispatch_all()
        if self._resync_again and not self._stopping:
            self._resync_task = None  # this task is done with its work: not one to cancel
            self._async_schedule_resync()

    async def _async_resync(self) -> None:
        """Re-read presence (and the sessions of active and tracked calls) from REST as the engine's
        new baseline.

        Extensions whose presence could not be read keep their state, and the resync counts as failed
        (so it is retried) once what was read has been applied.
        """
        token = self.engine.begin_snapshot()
        presences, unread = await self._async_read_presences()
        sessions, unread_sessions = await self._async_read_sessions(presences.values())
        update = self.engine.apply_snapshot(token, presences, sessions, self._now())
        # Not a resync from inside one: the snapshot resets the streams it read, so its own settling
        # can only give up on the gap of an extension it did not read (an unread one fails it).
        self._async_dispatch(update, resync=False)
        self._restored_sessions.difference_update(sessions)
        if unread:
            raise RingCentralError(
                "no presence for extension(s) "
                + "; ".join(f"{ext_id}: {err.message}" for ext_id, err in unread.items())
            )
        if unread_sessions:
            # The calls whose session could not be read were kept as they were: read them again.
            raise RingCentralError(f"could not read {len(unread_sessions)} telephony session(s)")

    async def _async_read_presences(self) -> tuple[dict[str, Presence], dict[str, RingCentralError]]:
        """Presence per monitored extension, and the error for each one that could not be read."""
        if self.monitor == MONITOR_ACCOUNT:
            everyone = await self.client.get_account_presence()
            return {p.extension_id: p for p in everyone if p.extension_id in self.extensions}, {}
        presences: dict[str, Presence] = {}
        unread: dict[str, RingCentralError] = {}
        for ext_id, result in (await self.client.get_presences(list(self.extensions))).items():
            if isinstance(result, Presence):
                presences[ext_id] = result
            else:
                unread[ext_id] = result
        return presences, unread

    async def _async_read_sessions(
        self, presences: Iterable[Presence]
    ) -> tuple[dict[str, TelephonySessionEvent | None], set[str]]:
        """Sessions of the calls presence lists and of every call the engine tracks (None: the
        session is gone; left out: not readable), and the ids that could not be read. Presence
        leaves out or hides calls that are still alive (the flicker): without their session the
        snapshot would end them."""
        listed = {
            call.telephony_session_id
            for presence in presences
            for call in presence.active_calls
            if call.telephony_session_id
        }
        tsids = sorted(listed | self.engine.tracked_sessions() | self._restored_sessions)
        sessions: dict[str, TelephonySessionEvent | None] = {}
        unread: set[str] = set()
        for tsid in tsids:
            try:
                sessions[tsid] = await self.client.get_telephony_session(tsid)
            except RingCentralError as err:
                LOGGER.debug("Could not read telephony session %s: %s", tsid, err.message)
                unread.add(tsid)
        return sessions, unread

    # --- extensions and devices ----------------------------------------------------------------------

    async def _async_monitored_extensions(self) -> dict[str, ExtensionInfo]:
        if self.monitor == MONITOR_OWN and self.me is not None:
            return {self.me.id: self.me}
        listed = {
            ext.id: ext for ext in await self.client.list_extensions(types=USER_TYPES, statuses=ENABLED)
        }
        if self.monitor == MONITOR_ACCOUNT:
            return listed
        wanted = self.entry.options.get(CONF_EXTENSIONS) or [self.entry.data[CONF_EXTENSION_ID]]
        return {ext_id: listed[ext_id] for ext_id in wanted if ext_id in listed}

    @callback
    def _async_sync_devices(self) -> None:
        """Register the account and extension devices; remove devices of extensions no longer monitored."""
        dev_reg = dr.async_get(self.hass)
        account = dev_reg.async_get_or_create(config_entry_id=self.entry_id, **self.account_device_info())
        wanted = {(DOMAIN, self.entry_unique_id)}
        for ext_id in self.extensions:
            device = dev_reg.async_get_or_create(
                config_entry_id=self.entry_id, **self.extension_device_info(ext_id)
            )
            if device.via_device_id != account.id:
                dev_reg.async_update_device(device.id, via_device_id=account.id)
            self._device_ids[ext_id] = device.id
            wanted.add((DOMAIN, ext_id))
        for device in dr.async_entries_for_config_entry(dev_reg, self.entry_id):
            if not device.identifiers & wanted:
                LOGGER.debug("Removing device %s: extension no longer monitored", device.name)
                dev_reg.async_remove_device(device.id)

    @callback
    def _async_set_sources(self) -> None:
        """Tell the engine what to track, and which sources can report on whom (refused filters cannot)."""
        ids = set(self.extensions)
        presence, telephony = set(ids), set(ids)
        for disabled in self.subscription.disabled_filters if self.subscription else ():
            ext_id = filters.extension_id_of(disabled.filter)
            affected = ids if ext_id is None else {ext_id}
            if classify(disabled.filter) is FilterKind.TELEPHONY_SESSIONS:
                telephony -= affected
            else:
                presence -= affected
        self.engine.set_monitored(ids, presence=presence, telephony=telephony)

    @callback
    def _async_unknown_extension(self, extension_id: str) -> None:
        """A presence for an extension we do not know: in account mode it is new, so re-list."""
        if self.monitor == MONITOR_ACCOUNT and (self._refresh_task is None or self._refresh_task.done()):
            LOGGER.debug("Presence for unknown extension %s; re-reading the extension list", extension_id)
            self._refresh_task = self.entry.async_create_background_task(
                self.hass, self._async_refresh_extensions(), f"{DOMAIN} extension refresh"
            )

    @callback
    def _async_periodic_refresh(self, _now: Any) -> None:
        if self._refresh_task is None or self._refresh_task.done():
            self._refresh_task = self.entry.async_create_background_task(
                self.hass, self._async_refresh_extensions(), f"{DOMAIN} extension refresh"
            )

    async def _async_refresh_extensions(self) -> None:
        """Add new extensions (devices and entities) and remove deleted ones, without a restart."""
        try:
            current = await self._async_monitored_extensions()
        except RingCentralError as err:
            LOGGER.debug("Could not re-read the extension list: %s", err.message)
            return
        added = [ext_id for ext_id in current if ext_id not in self.extensions]
        removed = [ext_id for ext_id in self.extensions if ext_id not in current]
        if not added and not removed:
            return
        self.extensions = current
        self._async_set_sources()
        for ext_id in removed:
            self._device_ids.pop(ext_id, None)
        self._async_sync_devices()
        if added:
            for listener in list(self._listeners):
                listener(added)
            # Their state so far: re-read it (the notification that revealed them was not applied).
            self._async_schedule_resync()

    # --- fan-out -------------------------------------------------------------------------------------

    @callback
    def _async_dispatch(self, update: EngineUpdate, *, resync: bool = True) -> None:
        """One signal per changed extension; every call event also goes on the bus, in order."""
        if update.lost and resync and not self._stopping:
            # A presence sequence gap was given up on: notifications were lost (a call's end, say)
            # and nothing may repeat them, so re-read the state from REST.
            LOGGER.debug("RingCentral notifications were lost (sequence gap); re-reading call state")
            self._async_resync_after_loss()
        self._async_schedule_tick()
        events: dict[str, list[CallEventData]] = {}
        for event in update.events:
            if event.extension_id not in self.extensions:
                continue
            data = call_event_data(event)
            events.setdefault(event.extension_id, []).append(data)
            self.hass.bus.async_fire(
                EVENT_RINGCENTRAL,
                {
                    **data.attributes(),
                    "type": data.type,
                    "extension_id": data.extension_id,
                    "device_id": self._device_ids.get(data.extension_id),
                },
            )
        for ext_id in set(update.changed) | set(events):
            if ext_id in self.extensions:
                # The view is computed once here, not once per entity.
                async_dispatcher_send(
                    self.hass,
                    extension_signal(self.entry_id, ext_id),
                    ExtensionUpdate(tuple(events.get(ext_id, ())), self.view(ext_id)),
                )

    @callback
    def _async_dispatch_all(self) -> None:
        for ext_id in self.extensions:
            async_dispatcher_send(
                self.hass, extension_signal(self.entry_id, ext_id), ExtensionUpdate((), self.view(ext_id))
            )

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

    # --- diagnostics ---------------------------------------------------------------------------------

    def diagnostics(self) -> dict[str, Any]:
        """Everything useful to debug, unredacted (diagnostics.py redacts)."""
        return {
            "monitor": self.monitor,
            "transport": self.transport_name,
            "connected": self.connected,
            "fresh": self._fresh,
            "account": None if self.account is None else {"id": self.account.id, "name": self.account.name},
            "extensions": {
                ext_id: {"name": info.name, "extension_number": info.extension_number, "type": info.type}
                for ext_id, info in self.extensions.items()
            },
            "transport_state": self.transport_diagnostics(),
            "subscription": None
            if self.subscription is None
            else {
                "id": self.subscription.id,
                "status": self.subscription.status,
                "transport_type": self.subscription.transport_type,
                "event_filters": list(self.subscription.event_filters),
                "disabled_filters": [
                    {"filter": f.filter, "reason": f.reason, "message": f.message}
                    for f in self.subscription.disabled_filters
                ],
            },
            "state": {ext_id: self.view(ext_id).as_dict() for ext_id in self.extensions},
        }


# Filter kind → the app permissions it needs (for the repair issue's instructions).
_FILTER_PERMISSIONS: dict[FilterKind, tuple[str, ...]] = {
    FilterKind.PRESENCE: ("ReadPresence",),
    FilterKind.ACCOUNT_PRESENCE: ("ReadPresence", "ReadAccounts"),
    FilterKind.TELEPHONY_SESSIONS: ("CallControl",),
}


def permissions_for_filters(filters: Iterable[str]) -> list[str]:
    """The app permissions the given event filters need, in a stable order."""
    needed: dict[str, None] = {}
    for event_filter in filters:
        for permission in _FILTER_PERMISSIONS.get(classify(event_filter), ("ReadPresence", "CallControl")):
            needed[permission] = None
    return list(needed)


@callback
def async_create_missing_permissions_issue(
    hass: HomeAssistant, entry: RingCentralConfigEntry, permissions: Iterable[str]
) -> None:
    """A repair issue naming the permissions to add in the RingCentral developer console."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        f"{ISSUE_MISSING_PERMISSIONS}_{entry.entry_id}",
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key=ISSUE_MISSING_PERMISSIONS,
        translation_placeholders={
            "title": entry.title,
            "permissions": ", ".join(permissions) or "ReadAccounts, ReadPresence, CallControl",
        },
    )


def filters_for(hub: RingCentralHub) -> list[str]:
    """Event filters for the monitored extensions, all in one subscription (one per connection)."""
    if hub.monitor == MONITOR_ACCOUNT:
        return [filters.account_presence(), filters.account_telephony_sessions()]
    if hub.monitor == MONITOR_OWN:
        return [filters.extension_presence(), filters.extension_telephony_sessions()]
    result = []
    for ext_id in hub.extensions:
        result += [filters.extension_presence(ext_id), filters.extension_telephony_sessions(ext_id)]
    return result
