"""The push listener: runs the entry's transport (see `transports.py`) until unload.

What retrying inside the transport cannot fix becomes re-authentication or a repair issue; except for
rejected credentials the listener starts again after a while (fixing a permission in the developer
console needs no reload). The transport reports to a `TransportListener` (`connection.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later

from .aioringcentral.errors import InvalidCredentialsError, MissingPermissionsError, RingCentralError
from .aioringcentral.rest import RingCentralClient
from .aioringcentral.transport import Transport, TransportListener
from .const import DOMAIN, LOGGER
from .issues import async_create_missing_permissions_issue
from .transports import create_transport

if TYPE_CHECKING:
    from .coordinator import RingCentralConfigEntry

# After a failure retrying could not fix (other than credentials), the listener starts again this late.
LISTENER_RESTART_DELAY = 300


class PushListener:
    """Starts, restarts and stops the transport of one entry."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: RingCentralConfigEntry,
        client: RingCentralClient,
        transport_name: str,
        listener: TransportListener,
        *,
        event_filters: Callable[[], list[str]],
        on_failed: Callable[[], None],
        on_ended: Callable[[], None],
    ) -> None:
        """`event_filters` gives the filters at each start; `on_failed` is called when the transport
        gave up, `on_ended` whenever it stopped running (setup waits for that or the first resync)."""
        self._hass = hass
        self._entry = entry
        self._client = client
        self._transport_name = transport_name
        self._listener = listener
        self._event_filters = event_filters
        self._on_failed = on_failed
        self._on_ended = on_ended
        self._transport: Transport | None = None
        self._restart: CALLBACK_TYPE | None = None
        self._stopping = False

    @property
    def transport(self) -> Transport | None:
        """The transport running (or that ran last)."""
        return self._transport

    @callback
    def async_start(self, _now: Any = None) -> None:
        """Create the transport and run it as an entry background task (cancelled on unload)."""
        self._restart = None
        self._transport = create_transport(
            self._transport_name,
            hass=self._hass,
            entry=self._entry,
            client=self._client,
            filters=self._event_filters(),
            listener=self._listener,
        )
        self._entry.async_create_background_task(
            self._hass, self._async_run(self._transport), f"{DOMAIN} notifications"
        )

    async def async_stop(self) -> None:
        """Delete the subscription and close the connection; no restarts any more."""
        self._stopping = True
        if self._restart is not None:
            self._restart()
            self._restart = None
        if self._transport is not None:
            await self._transport.stop()

    def diagnostics(self) -> dict[str, Any]:
        """The transport's own secret-free state, when it offers one."""
        diagnostics = getattr(self._transport, "diagnostics", None)
        return diagnostics() if callable(diagnostics) else {}

    async def _async_run(self, transport: Transport) -> None:
        try:
            await transport.run()
        except InvalidCredentialsError:
            LOGGER.warning("RingCentral rejected the credentials; starting re-authentication")
            self._on_failed()
            self._entry.async_start_reauth(self._hass)
            return
        except MissingPermissionsError as err:
            LOGGER.warning("RingCentral app lacks permissions: %s", ", ".join(err.permissions))
            async_create_missing_permissions_issue(self._hass, self._entry, err.permissions)
        except RingCentralError as err:
            # A refusal RingCentral explained (e.g. of the subscription): its message says enough.
            LOGGER.error(
                "RingCentral notifications stopped: %s; retrying in %d s", err.message, LISTENER_RESTART_DELAY
            )
        else:
            return  # stopped on unload
        finally:
            self._on_ended()
        self._on_failed()
        if not self._stopping:
            if self._restart is not None:
                self._restart()
            self._restart = async_call_later(self._hass, LISTENER_RESTART_DELAY, self.async_start)
