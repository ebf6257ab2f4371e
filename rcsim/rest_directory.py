"""REST resources for names and history: the company directory (`GET /account/{id}/directory/entries`),
a user's personal contacts (`GET …/extension/{id}/address-book/contact`) and call log
(`GET …/extension/{id}/call-log`).

The directory answers only `records` and `paging` (its schema has no `navigation`), 1000 entries a
page by default and at most 2000; the other two page like every list (`navigation`, `paging`).
"""

from __future__ import annotations

import math

from aiohttp import web

from .auth import AuthManager
from .call_log import CallLog, call_log_record
from .clock import SimClock
from .directory import Directory, contact_body
from .model import Account
from .rest_common import (
    BASE,
    RestAccess,
    date_param,
    enum_values,
    extension_uri,
    int_param,
    invalid,
    paged,
)

DIRECTORY_PER_PAGE = 1000
DIRECTORY_MAX_PER_PAGE = 2000
DIRECTORY_TYPES = (
    "User",
    "Department",
    "Announcement",
    "Voicemail",
    "SharedLinesGroup",
    "PagingOnly",
    "IvrMenu",
    "ParkLocation",
    "Limited",
    "External",
)
# The call log lists the last 24 hours when `dateFrom` is not given.
DEFAULT_PERIOD = 24 * 3600.0


class DirectoryApi:
    """The request handlers, over the account, its tokens, the directory and the call log."""

    def __init__(
        self, account: Account, auth: AuthManager, directory: Directory, call_log: CallLog, clock: SimClock
    ) -> None:
        self._access = RestAccess(account, auth)
        self._directory = directory
        self._call_log = call_log
        self._clock = clock

    def add_routes(self, router: web.UrlDispatcher) -> None:
        account = BASE + "/account/{accountId}"
        router.add_get(account + "/directory/entries", self.list_directory)
        router.add_get(account + "/extension/{extensionId}/address-book/contact", self.list_contacts)
        router.add_get(account + "/extension/{extensionId}/call-log", self.list_call_log)

    async def list_directory(self, request: web.Request) -> web.Response:
        self._access.authorize(request, "ReadAccounts")
        self._access.account_id(request)
        types = enum_values(request, "type", DIRECTORY_TYPES)
        entries = [e for e in self._directory.entries() if not types or e["type"] in types]
        page = int_param(request, "page", 1)
        per_page = int_param(request, "perPage", DIRECTORY_PER_PAGE, DIRECTORY_MAX_PER_PAGE)
        start = (page - 1) * per_page
        records = entries[start : start + per_page]
        paging = {
            "page": page,
            "perPage": per_page,
            "totalPages": math.ceil(len(entries) / per_page),
            "totalElements": len(entries),
        }
        if records:
            paging["pageStart"] = start
            paging["pageEnd"] = start + len(records) - 1
        return web.json_response({"records": records, "paging": paging})

    async def list_contacts(self, request: web.Request) -> web.Response:
        session = self._access.authorize(request, "ReadContacts")
        account_id = self._access.account_id(request)
        ext = self._access.own_extension(session, request.match_info["extensionId"], "ReadContacts")
        path = f"{BASE}/account/{account_id}/extension/{ext.id}/address-book/contact"
        records, meta = paged(request, path, self._directory.contacts(ext.id))
        uri = extension_uri(request, account_id, ext.id) + "/address-book/contact"
        return web.json_response({**meta, "records": [contact_body(c, uri) for c in records]})

    async def list_call_log(self, request: web.Request) -> web.Response:
        session = self._access.authorize(request, "ReadCallLog")
        account_id = self._access.account_id(request)
        ext = self._access.own_extension(session, request.match_info["extensionId"], "ReadCallLog")
        directions = enum_values(request, "direction", ("Inbound", "Outbound"))
        enum_values(request, "type", ("Voice", "Fax"))
        if request.query.get("view", "Simple") not in ("Simple", "Detailed"):
            raise invalid("view")
        date_to = date_param(request, "dateTo") or self._clock.now()
        date_from = date_param(request, "dateFrom")
        if date_from is None:
            date_from = date_to - DEFAULT_PERIOD
        matching = [
            r
            for r in self._call_log.records(ext.id)
            if (not directions or r.direction in directions) and date_from <= r.start <= date_to
        ]
        extra = {
            key: list(request.query.getall(key))
            for key in ("direction", "dateFrom", "dateTo", "view")
            if key in request.query
        }
        path = f"{BASE}/account/{account_id}/extension/{ext.id}/call-log"
        records, meta = paged(request, path, matching, extra_query=extra)
        del meta["uri"]  # the call-log list (`CallLogResponse`) has none
        uri = extension_uri(request, account_id, ext.id)
        return web.json_response({**meta, "records": [call_log_record(r, uri, self._clock) for r in records]})
