"""Acting on RingCentral: presence (do-not-disturb, availability), call control, RingOut.

`client.control` (`ControlApi`): call these on it (`client.control.hold(...)`). They use the
client's `_call` plumbing (authentication, rate limiter, error mapping) with two differences from the
reads the integration watches with:

- `max_wait` (default 0): an action that would have to wait for its usage-plan group (a penalty
  window, a spent budget) raises `RateLimitedError(retry_after=…)` at once instead of queueing in front
  of the presence reads the watching side depends on. `None` waits like any request (up to the
  limiter's `max_wait`).
- an action is sent once: no retry after a network error, timeout or 5xx, since it may already have
  happened (a second RingOut would ring twice). Only the status read `get_ring_out` is retried.

Every argument is checked before anything is sent (`ValueError`). Refusals map as everywhere:
403 → `MissingPermissionsError` (naming the permission, e.g. `EditPresence`, `CallControl`, `RingOut`),
404 (unknown or ended call, party, RingOut) and 409/422 (not allowed in the call's state) →
`ApiError`, 429 → `RateLimitedError`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from . import validate
from .models import Party, Presence, parse_presence
from .models_control import DND_STATUSES, USER_STATUSES, RingOutStatus

if TYPE_CHECKING:
    from .requester import Response
    from .rest_core import RestCore

_ACCOUNT: Final = "/restapi/v1.0/account/~"
_NO_CONTENT: Final = (200, 204)


def _party_path(telephony_session_id: str, party_id: str, action: str) -> str:
    tsid = validate.path_id(telephony_session_id, "telephony_session_id")
    party = validate.path_id(party_id, "party_id")
    return f"{_ACCOUNT}/telephony/sessions/{tsid}/parties/{party}/{action}"


def _ringout_path(ext: str, ringout_id: str | None = None) -> str:
    path = f"{_ACCOUNT}/extension/{validate.path_id(ext, 'ext')}/ring-out"
    return path if ringout_id is None else f"{path}/{validate.path_id(ringout_id, 'ringout_id')}"


class ControlApi:
    """Presence, call control and RingOut, over a `RingCentralClient`'s requests."""

    def __init__(self, client: RestCore) -> None:
        self._client = client

    async def _act(
        self,
        method: str,
        path: str,
        max_wait: float | None,
        *,
        json_body: Any = None,
        ok: tuple[int, ...] = (200,),
    ) -> Response:
        """Send an action once, waiting for its group at most `max_wait` seconds."""
        wait = validate.max_wait(max_wait)
        return await self._client._call(method, path, json_body=json_body, ok=ok, max_wait=wait, retries=0)

    # -- presence ----------------------------------------------------------------------------------

    async def set_presence(
        self,
        ext: str,
        *,
        dnd_status: str | None = None,
        user_status: str | None = None,
        max_wait: float | None = 0,
    ) -> Presence:
        """Set an extension's do-not-disturb (`DND_STATUSES`) and/or availability (`USER_STATUSES`);
        returns its presence as RingCentral answers it (not detailed: no calls). `PUT …/presence`
        (Medium, EditPresence; another user's extension needs an administrator)."""
        path = f"{_ACCOUNT}/extension/{validate.path_id(ext, 'ext')}/presence"
        body: dict[str, str] = {}
        if dnd_status is not None:
            body["dndStatus"] = validate.one_of(dnd_status, DND_STATUSES, "dnd_status")
        if user_status is not None:
            body["userStatus"] = validate.one_of(user_status, USER_STATUSES, "user_status")
        if not body:
            raise ValueError("set_presence needs dnd_status and/or user_status")
        response = await self._act("PUT", path, max_wait, json_body=body)
        return parse_presence(response.json_object(), extension_id=None if ext == "~" else ext)

    # -- call control ------------------------------------------------------------------------------

    async def hang_up(self, telephony_session_id: str, *, max_wait: float | None = 0) -> None:
        """End the whole call (`DELETE …/telephony/sessions/{id}`; Light, CallControl)."""
        tsid = validate.path_id(telephony_session_id, "telephony_session_id")
        await self._act("DELETE", f"{_ACCOUNT}/telephony/sessions/{tsid}", max_wait, ok=_NO_CONTENT)

    async def hold(self, telephony_session_id: str, party_id: str, *, max_wait: float | None = 0) -> Party:
        """Put a party's call on hold; returns the party as RingCentral answers it."""
        response = await self._act("POST", _party_path(telephony_session_id, party_id, "hold"), max_wait)
        return Party.from_dict(response.json_object())

    async def unhold(self, telephony_session_id: str, party_id: str, *, max_wait: float | None = 0) -> Party:
        """Resume a held call; returns the party as RingCentral answers it."""
        response = await self._act("POST", _party_path(telephony_session_id, party_id, "unhold"), max_wait)
        return Party.from_dict(response.json_object())

    async def reject(self, telephony_session_id: str, party_id: str, *, max_wait: float | None = 0) -> None:
        """Reject a ringing inbound call (RingCentral sends it to voicemail, or it is missed)."""
        path = _party_path(telephony_session_id, party_id, "reject")
        await self._act("POST", path, max_wait, ok=_NO_CONTENT)

    async def transfer(
        self,
        telephony_session_id: str,
        party_id: str,
        *,
        phone_number: str | None = None,
        extension_number: str | None = None,
        voicemail: str | None = None,
        max_wait: float | None = 0,
    ) -> Party:
        """Blind-transfer a call to exactly one of: a phone number, an extension number, or the
        voicemail of an extension (its id). Returns this party (now `Gone`)."""
        path = _party_path(telephony_session_id, party_id, "transfer")
        targets = [t for t in (phone_number, extension_number, voicemail) if t is not None]
        if len(targets) != 1:
            raise ValueError("transfer needs exactly one of phone_number, extension_number, voicemail")
        if phone_number is not None:
            body = {"phoneNumber": validate.phone_number(phone_number, "phone_number")}
        elif extension_number is not None:
            body = {"extensionNumber": validate.extension_number(extension_number, "extension_number")}
        else:
            target = voicemail or ""
            if target == "~":
                raise ValueError("voicemail must name an extension id, not ~")
            validate.path_id(target, "voicemail")
            body = {"voicemail": target}
        response = await self._act("POST", path, max_wait, json_body=body)
        return Party.from_dict(response.json_object())

    # -- RingOut -----------------------------------------------------------------------------------

    async def ring_out(
        self,
        ext: str,
        *,
        to: str,
        from_: str,
        caller_id: str | None = None,
        play_prompt: bool | None = None,
        max_wait: float | None = 0,
    ) -> RingOutStatus:
        """Click-to-dial: RingCentral rings `from_` (the extension's phone or a number it forwards
        to) and, once answered, calls `to` (`POST …/ring-out`; Heavy: 10 a minute, RingOut)."""
        path = _ringout_path(ext)
        body: dict[str, Any] = {
            "from": {"phoneNumber": validate.phone_number(from_, "from_")},
            "to": {"phoneNumber": validate.phone_number(to, "to")},
        }
        if caller_id is not None:
            body["callerId"] = {"phoneNumber": validate.phone_number(caller_id, "caller_id")}
        if play_prompt is not None:
            if not isinstance(play_prompt, bool):
                raise ValueError("play_prompt must be True, False or None")
            body["playPrompt"] = play_prompt
        response = await self._act("POST", path, max_wait, json_body=body)
        return RingOutStatus.from_dict(response.json_object())

    async def get_ring_out(self, ext: str, ringout_id: str, *, max_wait: float | None = 0) -> RingOutStatus:
        """Where a RingOut stands (`GET …/ring-out/{id}`; Light). A read: retried like any."""
        path = _ringout_path(ext, ringout_id)
        response = await self._client._call("GET", path, max_wait=validate.max_wait(max_wait))
        return RingOutStatus.from_dict(response.json_object())

    async def cancel_ring_out(self, ext: str, ringout_id: str, *, max_wait: float | None = 0) -> None:
        """Cancel a RingOut (ends its call if it still goes on; `DELETE …/ring-out/{id}`, Heavy)."""
        await self._act("DELETE", _ringout_path(ext, ringout_id), max_wait, ok=_NO_CONTENT)
