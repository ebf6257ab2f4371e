"""Control API: extensions, calls, presence and credentials (`/sim/extensions`, `/sim/calls`, ...)."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from .calls import CallEngine
from .control import (
    ControlError,
    credentials,
    describe_extension,
    get_field,
    json_object,
    known_extension,
    number,
)
from .log import SimLog
from .model import EXTENSION_TYPES, Account, App, Extension
from .presence import DND_STATUSES, USER_STATUSES

MAX_NEW_EXTENSIONS = 5000


class AccountControl:
    """The request handlers, over the account, the app and the call engine."""

    def __init__(self, account: Account, app: App, calls: CallEngine, log: SimLog) -> None:
        self._account = account
        self._app = app
        self._calls = calls
        self._log = log

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/sim/extensions", self.list_extensions)
        router.add_post("/sim/extensions", self.create_extensions)
        router.add_get("/sim/calls", self.list_scenarios)
        router.add_post("/sim/calls", self.start_call)
        router.add_post("/sim/calls/{tsid}/step", self.step_call)
        router.add_post("/sim/presence", self.set_presence)
        router.add_get("/sim/credentials", self.get_credentials)

    # -- extensions ------------------------------------------------------------------------------

    async def list_extensions(self, request: web.Request) -> web.Response:
        extensions = self._account.extensions.values()
        return web.json_response({"extensions": [describe_extension(e) for e in extensions]})

    async def create_extensions(self, request: web.Request) -> web.Response:
        body = await json_object(request)
        if ("count" in body) == ("extensions" in body):
            raise ControlError("Give exactly one of [count] or [extensions]")
        if "count" in body:
            wanted = get_field(body, "count", int, required=True)
            if not 1 <= wanted <= MAX_NEW_EXTENSIONS:
                raise ControlError(f"Field [count] must be between 1 and {MAX_NEW_EXTENSIONS}")
            created = self._add_users(wanted)
        else:
            specs = get_field(body, "extensions", list, required=True)
            if not specs:
                raise ControlError("Field [extensions] must not be empty")
            validated = [self._extension_spec(spec, index) for index, spec in enumerate(specs)]
            numbers = [spec["extension_number"] for spec in validated if spec["extension_number"]]
            if len(numbers) != len(set(numbers)):
                raise ControlError("Duplicate [extension_number] in request")
            created = [
                self._account.add_extension(
                    spec["name"],
                    spec["extension_number"],
                    ext_type=spec["type"],
                    admin=spec["admin"],
                )
                for spec in validated
            ]
        self._log.record("control", action="extensions_created", ids=[e.id for e in created])
        return web.json_response({"extensions": [describe_extension(e) for e in created]}, status=201)

    def _add_users(self, wanted: int) -> list[Extension]:
        """`wanted` more users named like `populate` names them (never admins: there is one already)."""
        account = self._account
        created = []
        for _ in range(wanted):
            index = len(account.extensions) + 1
            created.append(account.add_extension(f"User {index:04d}", admin=not account.extensions))
        return created

    def _extension_spec(self, spec: Any, index: int) -> dict[str, Any]:
        where = f"extensions[{index}]"
        if not isinstance(spec, dict):
            raise ControlError(f"Field [{where}] must be an object")
        name = get_field(spec, "name", str, required=True).strip()
        if not name:
            raise ControlError(f"Field [{where}.name] must not be empty")
        extension_number = get_field(spec, "extension_number", str)
        if extension_number is not None:
            if not re.fullmatch(r"\d{1,8}", extension_number):
                raise ControlError(f"Field [{where}.extension_number] must be 1 to 8 digits")
            if self._account.by_number(extension_number) is not None:
                raise ControlError(f"Field [{where}.extension_number]: {extension_number} is already in use")
        ext_type = get_field(spec, "type", str) or "User"
        if ext_type not in EXTENSION_TYPES:
            raise ControlError(f"Field [{where}.type] must be one of {sorted(EXTENSION_TYPES)}")
        admin = get_field(spec, "admin", bool) or False
        return {"name": name, "extension_number": extension_number, "type": ext_type, "admin": admin}

    async def get_credentials(self, request: web.Request) -> web.Response:
        extension_id = request.query.get("extension_id")
        try:
            creds = credentials(self._account, self._app, f"{request.scheme}://{request.host}", extension_id)
        except KeyError:
            raise ControlError(
                f"Unknown extension {extension_id!r}" if extension_id else "The account has no extensions yet"
            ) from None
        return web.json_response(creds)

    # -- calls and presence ----------------------------------------------------------------------

    async def list_scenarios(self, request: web.Request) -> web.Response:
        return web.json_response({"scenarios": self._calls.scenarios()})

    async def start_call(self, request: web.Request) -> web.Response:
        body = await json_object(request)
        scenario = get_field(body, "scenario", str, required=True)
        ext = known_extension(self._account, body, "extension_id")
        other = (
            known_extension(self._account, body, "other_extension_id")
            if body.get("other_extension_id")
            else None
        )
        speed = number(body, "speed")
        if speed is not None and speed <= 0:
            raise ControlError("Field [speed] must be positive")
        step = get_field(body, "step", bool) or False
        try:
            tsid = self._calls.start(
                scenario,
                ext.id,
                other_extension_id=other.id if other else None,
                speed=speed or 1.0,
                step=step,
            )
        except ValueError as err:
            raise ControlError(str(err)) from None
        return web.json_response({"telephonySessionId": tsid}, status=201)

    async def step_call(self, request: web.Request) -> web.Response:
        tsid = request.match_info["tsid"]
        stepped = self._calls.step(tsid)
        return web.json_response({"telephonySessionId": tsid, "stepped": stepped})

    async def set_presence(self, request: web.Request) -> web.Response:
        body = await json_object(request)
        ext = known_extension(self._account, body, "extension_id")
        user_status = get_field(body, "user_status", str)
        dnd_status = get_field(body, "dnd_status", str)
        if user_status is None and dnd_status is None:
            raise ControlError("Give [user_status] and/or [dnd_status]")
        if user_status is not None and user_status not in USER_STATUSES:
            raise ControlError(f"Field [user_status] must be one of {list(USER_STATUSES)}")
        if dnd_status is not None and dnd_status not in DND_STATUSES:
            raise ControlError(f"Field [dnd_status] must be one of {list(DND_STATUSES)}")
        try:
            self._calls.set_presence(ext.id, user_status=user_status, dnd_status=dnd_status)
        except ValueError as err:
            raise ControlError(str(err)) from None
        return web.json_response(self._calls.ground_truth().get(ext.id, {}))
