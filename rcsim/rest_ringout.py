"""RingOut over REST (permission RingOut): what the call does is in `ringout.py`.

- `POST /account/~/extension/{extensionId}/ring-out` `{from: {phoneNumber}, to: {phoneNumber},
  callerId?: {phoneNumber}, playPrompt?, country?: {id}}` → `{uri, id, status}` (Heavy).
  `from.forwardingNumberId` is not modelled (`400`); `playPrompt` and `country` are accepted and
  change nothing.
- `GET …/ring-out/{ringoutId}` (Light) → the same body with the current status;
  `DELETE …/ring-out/{ringoutId}` (Heavy) ends the call if it still goes on and forgets it (`204`).

Numbers are `+` and 1 to 15 digits (the simulator is stricter than RingCentral, which also takes
national formats). A user extension places RingOuts for itself; an administrator for any user
(another user's RingOuts are `404` to anyone else).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .auth import AuthManager, AuthSession
from .model import Account, Extension
from .rest_actions import PHONE_NUMBER, string_field
from .rest_common import BASE, RestAccess, extension_uri, invalid, json_body, not_found
from .ringout import RingOut, RingOuts


def _number(body: dict[str, Any], name: str) -> str | None:
    """`body[name].phoneNumber`, None when `body[name]` is absent."""
    holder = body.get(name)
    if holder is None:
        return None
    if not isinstance(holder, dict):
        raise invalid(name)
    if name == "from" and "forwardingNumberId" in holder:
        raise invalid("from.forwardingNumberId", "Forwarding number ids are not supported by the simulator")
    number = string_field(holder, "phoneNumber", f"{name}.")
    if number is None or not PHONE_NUMBER.match(number):
        raise invalid(f"{name}.phoneNumber")
    return number


def _required_number(body: dict[str, Any], name: str) -> str:
    number = _number(body, name)
    if number is None:
        raise invalid(f"{name}.phoneNumber", f"Parameter [{name}] is required")
    return number


class RingOutApi:
    """The request handlers, over the account, its tokens and the RingOuts."""

    def __init__(self, account: Account, auth: AuthManager, ringouts: RingOuts) -> None:
        self._access = RestAccess(account, auth)
        self._ringouts = ringouts

    def _extension(self, request: web.Request, caller: AuthSession) -> Extension:
        ext = self._access.extension(caller, request.match_info["extensionId"])
        if ext is None or (ext is not caller.extension and not caller.extension.admin):
            raise not_found("extensionId")
        return ext

    def _body(self, request: web.Request, account_id: str, ringout: RingOut) -> dict[str, Any]:
        uri = extension_uri(request, account_id, ringout.extension.id)
        return {
            "uri": f"{uri}/ring-out/{ringout.id}",
            "id": ringout.id,
            "status": self._ringouts.status(ringout),
        }

    def _ringout(self, request: web.Request, ext: Extension) -> RingOut:
        ringout = self._ringouts.get(ext, request.match_info["ringoutId"])
        if ringout is None:
            raise not_found("ringoutId")
        return ringout

    async def create(self, request: web.Request) -> web.Response:
        caller = self._access.authorize(request, "RingOut")
        account_id = self._access.account_id(request)
        ext = self._extension(request, caller)
        if ext.type != "User":
            raise invalid("extensionId", "RingOut is for user extensions only")
        body = await json_body(request)
        from_number = _required_number(body, "from")
        to_number = _required_number(body, "to")
        caller_id = _number(body, "callerId")
        if body.get("playPrompt") is not None and not isinstance(body["playPrompt"], bool):
            raise invalid("playPrompt")
        country = body.get("country")
        if country is not None and not isinstance(country, dict):
            raise invalid("country")
        ringout = self._ringouts.create(
            ext, from_number=from_number, to_number=to_number, caller_id=caller_id
        )
        return web.json_response(self._body(request, account_id, ringout))

    async def get(self, request: web.Request) -> web.Response:
        caller = self._access.authorize(request, "RingOut")
        account_id = self._access.account_id(request)
        ringout = self._ringout(request, self._extension(request, caller))
        return web.json_response(self._body(request, account_id, ringout))

    async def cancel(self, request: web.Request) -> web.Response:
        caller = self._access.authorize(request, "RingOut")
        self._access.account_id(request)
        self._ringouts.cancel(self._ringout(request, self._extension(request, caller)))
        return web.Response(status=204)

    def add_routes(self, router: web.UrlDispatcher) -> None:
        ringout = BASE + "/account/{accountId}/extension/{extensionId}/ring-out"
        router.add_post(ringout, self.create)
        router.add_get(ringout + "/{ringoutId}", self.get)
        router.add_delete(ringout + "/{ringoutId}", self.cancel)
