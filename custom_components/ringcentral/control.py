"""What an entry may change on RingCentral, and the presence it set.

Control features need app permissions the watching side does not: EditPresence (the do-not-disturb and
user-status selects), CallControl (the call actions) and RingOut (click-to-dial). The token's scope
lists the app's permissions; one that is missing turns off just its features, with a repair issue,
and so does RingCentral refusing one later (the app's permissions were changed since the token was
issued). Setup never fails for them.

Presence set through the API is shown at once and kept consistent with the notifications that follow
(`presence_edits.py`); this class runs the PUT and the edits' timer for the coordinator.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.util import dt as dt_util

from .aioringcentral.errors import InvalidCredentialsError, RingCentralError
from .aioringcentral.models import Presence
from .aioringcentral.rest import RingCentralClient
from .const import CONTROL_PERMISSIONS, LOGGER
from .issues import async_create_control_permissions_issue, async_delete_control_permissions_issue
from .presence_edits import PresenceEdits, camel
from .timers import DeadlineTimer
from .views import ExtensionView


class Control:
    """The control side of one entry: permissions and presence edits."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        client: RingCentralClient,
        *,
        engine_view: Callable[[str], ExtensionView],
        send: Callable[[Iterable[str] | None], None],
        resync: Callable[[], None],
    ) -> None:
        self._hass = hass
        self._entry = entry
        self._client = client
        self._engine_view = engine_view
        self._send = send
        self._resync = resync
        self.edits = PresenceEdits()
        # Control permissions the app lacks (per the token's scope, or refused since).
        self.missing: set[str] = set()
        # Ends edits whose notification the engine has had time to apply (or that one never came).
        self._timer = DeadlineTimer(hass, self._async_tick)

    # --- permissions ---------------------------------------------------------------------------------

    async def async_check_permissions(self) -> None:
        """Which control permissions the token's scope lacks (none known when it lists nothing).

        A persisted token's scope is as old as the token: when it lacks one, the token is renewed
        once first, so permissions added to the app since (and a reload) count.
        """
        missing = self._missing_in_scope()
        if missing:
            try:
                await self._client.auth.refresh()
            except InvalidCredentialsError:
                raise  # setup turns it into reauthentication
            except RingCentralError as err:
                # Keep what the old scope says; RingCentral refusing later turns features off too.
                LOGGER.debug("Could not renew the token to re-read its scope: %s", err.message)
            missing = self._missing_in_scope()
        self._async_set_missing(missing)

    def _missing_in_scope(self) -> set[str]:
        tokens = self._client.tokens
        granted = set(tokens.scope.split()) if tokens is not None and tokens.scope else None
        return {p for p in CONTROL_PERMISSIONS if granted is not None and p not in granted}

    def permitted(self, permission: str) -> bool:
        return permission not in self.missing

    @callback
    def async_refused(self, permissions: Iterable[str]) -> None:
        """RingCentral refused an action for lack of these permissions: turn their features off."""
        refused = {p for p in permissions if p in CONTROL_PERMISSIONS}
        if refused - self.missing:
            self._async_set_missing(self.missing | refused)
            self._send(None)  # availability of every extension's control entities

    @callback
    def _async_set_missing(self, missing: set[str]) -> None:
        self.missing = missing
        if missing:
            LOGGER.warning(
                "The RingCentral app lacks %s: the features needing them are off",
                ", ".join(sorted(missing)),
            )
            async_create_control_permissions_issue(self._hass, self._entry, sorted(missing))
        else:
            async_delete_control_permissions_issue(self._hass, self._entry)

    # --- presence ------------------------------------------------------------------------------------

    async def async_set_presence(self, extension_id: str, field: str, value: str) -> None:
        """PUT one presence field (snake_case value); show the answer at once.

        Raises the library's errors (the caller maps them); `max_wait=0`: an action never queues in
        front of the watching side's requests.
        """
        edit = self.edits.begin(extension_id, field, value)
        try:
            answer: Presence = await self._client.control.set_presence(
                extension_id, **{field: camel(value)}, max_wait=0
            )
        except BaseException:
            self.edits.cancel(edit)
            raise
        if self.edits.answered(edit, answer, self._engine_view(extension_id), dt_util.utcnow()):
            self._send((extension_id,))
        self._async_schedule()

    @callback
    def async_observe(self, presence: Presence) -> None:
        """A presence notification arrived (before the engine applies it)."""
        self.edits.observe(presence, dt_util.utcnow())

    @callback
    def async_settle(self, extension_ids: Iterable[str]) -> None:
        """The engine changed these extensions: edits they now show are done."""
        # Without edits shown there is nothing to settle, and no deadline unless the timer has one.
        if self.edits.showing:
            for ext_id in extension_ids:
                self.edits.settle(ext_id, self._engine_view(ext_id))
        if self.edits.showing or self._timer.armed:
            self._async_schedule()

    @callback
    def async_resynced(self) -> None:
        """A resync completed: edits waiting for one end (the view may change)."""
        if ended := self.edits.resynced():
            self._send(ended)

    @callback
    def async_stop(self) -> None:
        self._timer.async_cancel()

    @callback
    def _async_schedule(self) -> None:
        self._timer.async_set(self.edits.next_deadline())

    @callback
    def _async_tick(self, now: datetime) -> None:
        changed, resync = self.edits.tick(now)
        if resync:
            LOGGER.debug("No notification confirmed a presence change; re-reading presence")
            self._resync()
        if changed:
            self._send(changed)
        self._async_schedule()
