"""Resync: re-read call state from REST as the engine's new baseline, whenever notifications may have
been lost (a new or lost subscription, a sequence gap, an outage past the recovery window).

One resync runs at a time. A failed one is retried with backoff (waiting for the next reconnect could
leave a call that ended showing for hours); a loss while one runs queues another after it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later
from homeassistant.util import dt as dt_util

from .aioringcentral.engine import CallStateEngine, EngineUpdate
from .aioringcentral.errors import RingCentralError
from .aioringcentral.models import ExtensionInfo, Presence, TelephonySessionEvent
from .aioringcentral.rest import RingCentralClient
from .const import DOMAIN, LOGGER, MONITOR_ACCOUNT

# A failed resync is tried again this late, doubling up to the maximum: notifications may have been
# lost (a call that ended while disconnected), so waiting for the next reconnect is not enough.
RESYNC_RETRY_DELAY = 60
RESYNC_RETRY_MAX = 900


class ResyncHost(Protocol):
    """What a resync reads for and reports to (the coordinator)."""

    @property
    def monitor(self) -> str: ...

    @property
    def extensions(self) -> Mapping[str, ExtensionInfo]: ...

    def async_apply_snapshot(self, update: EngineUpdate) -> None:
        """Fan out what the snapshot changed."""

    def async_resync_attempted(self) -> None:
        """A resync ended, however (setup waits for the first)."""

    def async_resynced(self) -> None:
        """A resync read and applied everything: the state is up to date."""


class Resync:
    """Schedules, runs and retries the resyncs of one entry."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        client: RingCentralClient,
        engine: CallStateEngine,
        host: ResyncHost,
        *,
        restored_sessions: Iterable[str],
    ) -> None:
        self._hass = hass
        self._entry = entry
        self._client = client
        self._engine = engine
        self._host = host
        self._task: asyncio.Task[None] | None = None
        self._again = False  # notifications were lost while a resync ran: run another after it
        self._failures = 0
        self._retry: CALLBACK_TYPE | None = None
        self._stopping = False
        # Calls tracked before a restart: presence may hide one that is still alive (the flicker),
        # so the first snapshot reads their sessions and baselines them (no second start event).
        self.restored_sessions = set(restored_sessions)

    @property
    def task(self) -> asyncio.Task[None] | None:
        """The resync running or last run."""
        return self._task

    @property
    def failures(self) -> int:
        """Failed resyncs in a row (the backoff of the pending retry doubles with each)."""
        return self._failures

    @property
    def retry_pending(self) -> bool:
        """A failed resync waits for its retry."""
        return self._retry is not None

    @callback
    def async_schedule(self, _now: Any = None) -> None:
        """Resync now, cancelling one under way and a pending retry."""
        self._cancel_retry()
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = self._entry.async_create_background_task(
            self._hass, self._async_run(), f"{DOMAIN} resync"
        )

    @callback
    def async_after_loss(self) -> None:
        """Resync because notifications were lost, without cancelling one under way.

        A resync in flight may have read presence before the loss: run another once it is done.
        Cancelling it instead could starve resyncs while losses keep coming. A retry already
        scheduled (after a failed resync) keeps its backoff.
        """
        if self._retry is not None:
            return
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self.async_schedule()

    @callback
    def async_stop(self) -> None:
        """No retries any more (HA cancels a resync under way with the entry's background tasks)."""
        self._stopping = True
        self._cancel_retry()

    @callback
    def _cancel_retry(self) -> None:
        if self._retry is not None:
            self._retry()
            self._retry = None

    async def _async_run(self) -> None:
        self._again = False
        try:
            await self._async_resync()
        except RingCentralError as err:
            # Stay unavailable if we already were. Try again soon, backing off (a reconnect also
            # does): waiting for the next reconnect could leave a call that ended showing for hours.
            delay = min(RESYNC_RETRY_DELAY * 2**self._failures, RESYNC_RETRY_MAX)
            self._failures += 1
            LOGGER.warning(
                "Could not re-read call state from RingCentral: %s; retrying in %d s", err.message, delay
            )
            if not self._stopping:
                self._cancel_retry()
                self._retry = async_call_later(self._hass, delay, self.async_schedule)
            return
        finally:
            self._host.async_resync_attempted()
        self._failures = 0
        self._host.async_resynced()
        if self._again and not self._stopping:
            self._task = None  # this task is done with its work: not one to cancel
            self.async_schedule()

    async def _async_resync(self) -> None:
        """Re-read presence (and the sessions of active and tracked calls) from REST as the engine's
        new baseline.

        Extensions whose presence could not be read keep their state, and the resync counts as failed
        (so it is retried) once what was read has been applied.
        """
        token = self._engine.begin_snapshot()
        presences, unread = await self._async_read_presences()
        sessions, unread_sessions = await self._async_read_sessions(presences.values())
        update = self._engine.apply_snapshot(token, presences, sessions, dt_util.utcnow())
        self._host.async_apply_snapshot(update)
        self.restored_sessions.difference_update(sessions)
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
        if self._host.monitor == MONITOR_ACCOUNT:
            everyone = await self._client.get_account_presence()
            # Monitored as of now: the extension list may have changed during the read.
            return {p.extension_id: p for p in everyone if p.extension_id in self._host.extensions}, {}
        presences: dict[str, Presence] = {}
        unread: dict[str, RingCentralError] = {}
        for ext_id, result in (await self._client.get_presences(list(self._host.extensions))).items():
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
        tsids = sorted(listed | self._engine.tracked_sessions() | self.restored_sessions)
        sessions: dict[str, TelephonySessionEvent | None] = {}
        unread: set[str] = set()
        for tsid in tsids:
            try:
                sessions[tsid] = await self._client.get_telephony_session(tsid)
            except RingCentralError as err:
                LOGGER.debug("Could not read telephony session %s: %s", tsid, err.message)
                unread.add(tsid)
        return sessions, unread
