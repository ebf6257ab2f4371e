"""What one entry persists between runs: its OAuth tokens and what it knew about calls when it stopped."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.storage import Store

from .aioringcentral.auth import TokenSet
from .aioringcentral.engine import AnnouncedCall
from .aioringcentral.errors import RingCentralError
from .const import CONF_CREDENTIALS_ID, DOMAIN, LOGGER, STORAGE_VERSION

# Tokens change on every refresh (hourly); a short delay coalesces a burst into one write.
TOKEN_SAVE_DELAY = 1.0


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
