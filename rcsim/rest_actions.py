"""REST resources that act: setting presence, and call control on telephony sessions.

- `PUT /account/~/extension/{extensionId}/presence` (EditPresence): `dndStatus` and/or `userStatus`;
  answers the extension's presence (`GetPresenceInfo`, not detailed) and publishes the presence
  notification a change on the phone would. Another user's presence only for an administrator
  (`403 CMN-419`); user extensions only (`400`). `message`, `allowSeeMyPresence`,
  `ringOnMonitoredCall` and `pickUpCallsOnHold` are not modelled: `400` rather than pretend.
- `DELETE /account/~/telephony/sessions/{id}` (CallControl): drop the call (`204`).
- `POST …/sessions/{id}/parties/{partyId}/hold | unhold | transfer` (CallControl): answer the party
  (`CallParty`); `reject`: `204`. `transfer` takes exactly one of `phoneNumber`, `extensionNumber`,
  `voicemail` (`parkOrbit` is not modelled).

What each action does to the call is in `call_actions.py`. Errors: unknown or ended session
`404 TAS-102`, unknown or ended party `404 CMN-102`, an action the call's state does not allow `409`
(RingCentral documents the status, not its code: `TAS-409` here), bad bodies `400 CMN-101`. Users
who are not administrators reach only the calls their own extension is in (others: `404`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from aiohttp import web

from .auth import AuthManager, AuthSession
from .call_actions import (
    ActionConflictError,
    CallActions,
    CallNotFoundError,
    PartyNotFoundError,
    TransferTargetError,
)
from .call_bodies import rest_party
from .call_model import Party, Session
from .calls import CallEngine
from .errors import RingCentralHTTPError
from .model import Account
from .presence import DND_STATUSES, USER_STATUSES
from .rest_common import BASE, RestAccess, invalid, json_body, not_found

# Presence fields RingCentral accepts that the simulator does not model.
_UNMODELLED_PRESENCE = ("message", "allowSeeMyPresence", "ringOnMonitoredCall", "pickUpCallsOnHold")
_TRANSFER_TARGETS = ("phoneNumber", "extensionNumber", "voicemail", "parkOrbit")
PHONE_NUMBER = re.compile(r"^\+?[0-9]{1,15}$")
_EXTENSION_NUMBER = re.compile(r"^[0-9]{1,16}$")


def user_permission_denied(permission: str) -> RingCentralHTTPError:
    """What RingCentral answers a user who lacks a user permission for another user's resource."""
    return RingCentralHTTPError(
        403,
        "CMN-419",
        f"In order to call this API endpoint, user needs to have [{permission}] permission "
        "for requested resource.",
        permissionName=permission,
    )


def session_not_found() -> RingCentralHTTPError:
    return RingCentralHTTPError(
        404, "TAS-102", "Telephony session not found", parameterName="telephonySessionId"
    )


def string_field(body: dict[str, Any], name: str, where: str = "") -> str | None:
    """`body[name]` as a non-empty string, None when absent; `400` for anything else."""
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise invalid(where + name)
    return value


def _enum(body: dict[str, Any], name: str, allowed: tuple[str, ...]) -> str | None:
    value = string_field(body, name)
    if value is not None and value not in allowed:
        raise invalid(name, f"Parameter [{name}] value is invalid: use one of {', '.join(allowed)}")
    return value


class ActionsApi:
    """The request handlers, over the account, its tokens, the call engine and call control."""

    def __init__(self, account: Account, auth: AuthManager, calls: CallEngine, actions: CallActions) -> None:
        self._access = RestAccess(account, auth)
        self._calls = calls
        self._actions = actions

    # -- presence ----------------------------------------------------------------------------------

    async def put_presence(self, request: web.Request) -> web.Response:
        session = self._access.authorize(request, "EditPresence")
        self._access.account_id(request)
        ext = self._access.extension(session, request.match_info["extensionId"])
        if ext is None:
            raise not_found("extensionId")
        if ext is not session.extension and not session.extension.admin:
            raise user_permission_denied("EditPresenceStatus")
        if ext.type != "User":
            raise invalid("extensionId", "Presence can be set for user extensions only")
        body = await json_body(request)
        for name in _UNMODELLED_PRESENCE:
            if name in body:
                raise invalid(name, f"Parameter [{name}] is not supported by the simulator")
        dnd_status = _enum(body, "dndStatus", DND_STATUSES)
        user_status = _enum(body, "userStatus", USER_STATUSES)
        self._calls.set_presence(ext.id, user_status=user_status, dnd_status=dnd_status)
        return web.json_response(self._calls.presence(ext.id, detailed=False, sip_data=False))

    # -- call control ------------------------------------------------------------------------------

    def _session(self, request: web.Request, caller: AuthSession) -> Session:
        try:
            session = self._actions.session(request.match_info["sessionId"])
        except CallNotFoundError:
            raise session_not_found() from None
        if not caller.extension.admin and all(p.extension is not caller.extension for p in session.parties):
            raise session_not_found()
        return session

    def _party(self, request: web.Request, caller: AuthSession) -> Party:
        self._session(request, caller)
        try:
            party = self._actions.party(request.match_info["sessionId"], request.match_info["partyId"])
        except PartyNotFoundError:
            raise not_found("partyId") from None
        if not caller.extension.admin and party.extension is not caller.extension:
            raise not_found("partyId")
        return party

    def _authorize(self, request: web.Request) -> tuple[AuthSession, str]:
        caller = self._access.authorize(request, "CallControl")
        return caller, self._access.account_id(request)

    async def drop_session(self, request: web.Request) -> web.Response:
        caller, _ = self._authorize(request)
        self._actions.hang_up(self._session(request, caller))
        return web.Response(status=204)

    async def hold(self, request: web.Request) -> web.Response:
        caller, account_id = self._authorize(request)
        party = self._party(request, caller)
        _conflicts(self._actions.hold, party)
        return web.json_response(rest_party(party, account_id))

    async def unhold(self, request: web.Request) -> web.Response:
        caller, account_id = self._authorize(request)
        party = self._party(request, caller)
        _conflicts(self._actions.unhold, party)
        return web.json_response(rest_party(party, account_id))

    async def reject(self, request: web.Request) -> web.Response:
        caller, _ = self._authorize(request)
        party = self._party(request, caller)
        _conflicts(self._actions.reject, party)
        return web.Response(status=204)

    async def transfer(self, request: web.Request) -> web.Response:
        caller, account_id = self._authorize(request)
        body = await json_body(request)
        given = [name for name in _TRANSFER_TARGETS if body.get(name) is not None]
        if len(given) != 1:
            raise invalid(
                "transferTarget",
                f"Exactly one of [{', '.join(_TRANSFER_TARGETS)}] must be specified",
            )
        target = given[0]
        value = string_field(body, target)
        if target == "parkOrbit":
            raise invalid(target, "Parameter [parkOrbit] is not supported by the simulator")
        if target == "phoneNumber" and not PHONE_NUMBER.match(value or ""):
            raise invalid(target)
        if target == "extensionNumber" and not _EXTENSION_NUMBER.match(value or ""):
            raise invalid(target)
        party = self._party(request, caller)
        try:
            self._actions.transfer(
                party,
                phone_number=value if target == "phoneNumber" else None,
                extension_number=value if target == "extensionNumber" else None,
                voicemail=value if target == "voicemail" else None,
            )
        except ActionConflictError as err:
            raise _conflict(err) from None
        except TransferTargetError as err:
            raise invalid(err.parameter, str(err)) from None
        return web.json_response(rest_party(party, account_id))

    def add_routes(self, router: web.UrlDispatcher) -> None:
        account = BASE + "/account/{accountId}"
        router.add_put(account + "/extension/{extensionId}/presence", self.put_presence)
        session = account + "/telephony/sessions/{sessionId}"
        router.add_delete(session, self.drop_session)
        party = session + "/parties/{partyId}"
        router.add_post(party + "/hold", self.hold)
        router.add_post(party + "/unhold", self.unhold)
        router.add_post(party + "/reject", self.reject)
        router.add_post(party + "/transfer", self.transfer)


def _conflict(err: ActionConflictError) -> RingCentralHTTPError:
    return RingCentralHTTPError(409, "TAS-409", str(err))


def _conflicts(action: Callable[[Party], None], party: Party) -> None:
    try:
        action(party)
    except ActionConflictError as err:
        raise _conflict(err) from None
