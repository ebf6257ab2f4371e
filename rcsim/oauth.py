"""The OAuth endpoints (`/restapi/oauth/token`, `/revoke`, `/wstoken`), served by an `AuthManager`."""

from __future__ import annotations

from aiohttp import web

from .auth import AuthManager, grant_error
from .errors import RingCentralHTTPError
from .log import SimLog

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
REFRESH_GRANT = "refresh_token"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def read_form(request: web.Request) -> dict[str, str]:
    """The form fields of an OAuth request; 415 for other content types."""
    if request.content_type not in FORM_TYPES:
        raise RingCentralHTTPError(
            415, "CMN-415", "Unsupported Media Type: use application/x-www-form-urlencoded"
        )
    form = await request.post()
    return {key: value for key, value in form.items() if isinstance(value, str)}


class OAuthEndpoints:
    """The request handlers, over one `AuthManager`."""

    def __init__(self, auth: AuthManager, log: SimLog) -> None:
        self._auth = auth
        self._log = log

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_post("/restapi/oauth/token", self.token)
        router.add_post("/restapi/oauth/revoke", self.revoke)
        router.add_post("/restapi/oauth/wstoken", self.wstoken)

    async def token(self, request: web.Request) -> web.Response:
        auth = self._auth
        client_id = auth.check_client(request)
        form = await read_form(request)
        grant = form.get("grant_type")
        if not grant:
            raise grant_error(400, "invalid_request", "OAU-101", "Parameter [grant_type] is missing")
        if grant == JWT_GRANT:
            assertion = form.get("assertion")
            if not assertion:
                raise grant_error(400, "invalid_request", "OAU-101", "Parameter [assertion] is missing")
            extension = auth.extension_for_assertion(assertion)
            if extension is None or extension.status != "Enabled":
                raise grant_error(400, "invalid_grant", "OAU-140", "Invalid resource owner credentials")
            session = auth.login(extension, client_id)
        elif grant == REFRESH_GRANT:
            token = form.get("refresh_token")
            if not token:
                raise grant_error(400, "invalid_request", "OAU-101", "Parameter [refresh_token] is missing")
            session = auth.refresh(token)
        else:
            raise grant_error(400, "unsupported_grant_type", "OAU-112", "Unsupported grant type")
        self._log.record(
            "auth", action=grant.rsplit(":", 1)[-1], session=session.id, extension_id=session.extension.id
        )
        return web.json_response(auth.token_body(session), headers={"Cache-Control": "no-store"})

    async def revoke(self, request: web.Request) -> web.Response:
        if "Authorization" in request.headers:  # client credentials are optional here, but checked if sent
            self._auth.check_client(request)
        form = await read_form(request)
        token = form.get("token")
        if not token:
            raise grant_error(400, "invalid_request", "OAU-101", "Parameter [token] is missing")
        # RFC 7009: an unknown token is not an error.
        self._auth.revoke_token(token)
        return web.Response(status=200)

    async def wstoken(self, request: web.Request) -> web.Response:
        session = self._auth.authenticate(request)
        self._auth.require_permission("WebSocketsSubscriptions")
        token, ttl = self._auth.issue_ws_token(session)
        scheme = "wss" if request.secure else "ws"
        return web.json_response(
            {"ws_access_token": token, "uri": f"{scheme}://{request.host}/ws", "expires_in": ttl}
        )
