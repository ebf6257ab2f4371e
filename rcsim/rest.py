"""REST resources under `/restapi/v1.0`: account, extensions, presence (single, batch, account-wide),
telephony sessions.

`~` stands for the authenticated extension and its account. Bodies follow RingCentral's OpenAPI
schemas (`GetAccountInfoResponse`, `GetExtensionInfoResponse`, `GetExtensionListResponse`,
`GetPresenceInfo`, `AccountPresenceInfo`, `CallSessionObject`); presence and telephony bodies come
from the call engine, the ground truth.
"""

from __future__ import annotations

import json
import math
import secrets
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from .auth import AuthManager, AuthSession
from .calls import CallEngine
from .errors import RingCentralHTTPError, error_body
from .model import Account, Extension

BASE = "/restapi/v1.0"
MAX_PER_PAGE = 1000
DEFAULT_PER_PAGE = 100
MAX_BATCH = 30
BATCH_JSON = "application/vnd.ringcentral.multipart+json"
EXTENSION_TYPES = frozenset(
    {
        "User",
        "FaxUser",
        "VirtualUser",
        "DigitalUser",
        "Department",
        "Announcement",
        "Voicemail",
        "SharedLinesGroup",
        "PagingOnly",
        "IvrMenu",
        "ApplicationExtension",
        "ParkLocation",
        "Bot",
        "Room",
        "Limited",
        "Site",
        "ProxyAdmin",
        "DelegatedLinesGroup",
        "GroupCallPickup",
    }
)
EXTENSION_STATUSES = frozenset({"Enabled", "Disabled", "Frozen", "NotActivated", "Unassigned"})


# -- helpers ---------------------------------------------------------------------------------------


def _not_found(parameter: str) -> RingCentralHTTPError:
    return RingCentralHTTPError(
        404, "CMN-102", f"Resource for parameter [{parameter}] is not found", parameterName=parameter
    )


def _invalid(parameter: str, message: str | None = None) -> RingCentralHTTPError:
    return RingCentralHTTPError(
        400,
        "CMN-101",
        message or f"Parameter [{parameter}] value is invalid",
        parameterName=parameter,
    )


def _numeric(value: str) -> int | str:
    """Ids are numbers in RingCentral's schemas; simulator ids always are, but stay safe."""
    return int(value) if value.isdigit() else value


def _bool_param(request: web.Request, name: str) -> bool:
    raw = request.query.get(name)
    if raw is None:
        return False
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise _invalid(name)


def _int_param(request: web.Request, name: str, default: int, maximum: int | None = None) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _invalid(name) from None
    if value < 1 or (maximum is not None and value > maximum):
        raise _invalid(name)
    return value


def _base_url(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


def _account_uri(request: web.Request, account_id: str) -> str:
    return f"{_base_url(request)}{BASE}/account/{account_id}"


def _extension_uri(request: web.Request, account_id: str, ext_id: str) -> str:
    return f"{_account_uri(request, account_id)}/extension/{ext_id}"


# -- bodies ----------------------------------------------------------------------------------------


def _extension_summary(request: web.Request, account_id: str, ext: Extension) -> dict[str, Any]:
    """The fields an extension has both in the list and in its own resource."""
    return {
        "uri": _extension_uri(request, account_id, ext.id),
        "id": _numeric(ext.id),
        "extensionNumber": ext.extension_number,
        "name": ext.name,
        "type": ext.type,
        "status": ext.status,
        "contact": {
            "firstName": ext.first_name,
            "lastName": ext.last_name,
            "email": ext.email,
            "businessPhone": ext.phone_number,
        },
        "permissions": {"admin": {"enabled": ext.admin}, "internationalCalling": {"enabled": False}},
        "hidden": False,
    }


def extension_info(request: web.Request, account_id: str, ext: Extension) -> dict[str, Any]:
    """`GetExtensionInfoResponse`."""
    return {
        **_extension_summary(request, account_id, ext),
        "account": {"id": account_id, "uri": _account_uri(request, account_id)},
        "extensionNumbers": [ext.extension_number],
        "setupWizardState": "Completed",
        "regionalSettings": {"timeFormat": "12h"},
    }


def account_info(request: web.Request, account: Account) -> dict[str, Any]:
    """`GetAccountInfoResponse`."""
    body: dict[str, Any] = {
        "uri": _account_uri(request, account.id),
        "id": _numeric(account.id),
        "mainNumber": account.main_number,
        "status": "Confirmed",
        "setupWizardState": "Completed",
        "federated": False,
        "regionalSettings": {"timeFormat": "12h"},
        "signupInfo": {"tosAccepted": True, "signupState": ["AccountCreated", "AccountConfirmed"]},
    }
    operator = next((e for e in account.extensions.values() if e.admin), None)
    if operator is not None:
        body["operator"] = {
            "uri": _extension_uri(request, account.id, operator.id),
            "id": _numeric(operator.id),
            "extensionNumber": operator.extension_number,
        }
    return body


def paged(
    request: web.Request, path: str, items: Sequence[Any], *, extra_query: dict[str, list[str]] | None = None
) -> tuple[list[Any], dict[str, Any]]:
    """One page of `items` and RingCentral's `uri`, `navigation` and `paging` fields."""
    page = _int_param(request, "page", 1)
    per_page = _int_param(request, "perPage", DEFAULT_PER_PAGE, MAX_PER_PAGE)
    total = len(items)
    total_pages = math.ceil(total / per_page)
    start = (page - 1) * per_page
    records = list(items[start : start + per_page])
    query = [(key, value) for key, values in (extra_query or {}).items() for value in values]

    def page_uri(number: int) -> dict[str, str]:
        params = urlencode([*query, ("page", str(number)), ("perPage", str(per_page))])
        return {"uri": f"{_base_url(request)}{path}?{params}"}

    navigation = {"firstPage": page_uri(1), "lastPage": page_uri(max(1, total_pages))}
    if page < total_pages:
        navigation["nextPage"] = page_uri(page + 1)
    if 1 < page <= total_pages + 1:
        navigation["previousPage"] = page_uri(page - 1)
    paging: dict[str, int] = {
        "page": page,
        "perPage": per_page,
        "totalPages": total_pages,
        "totalElements": total,
    }
    if records:
        paging["pageStart"] = start
        paging["pageEnd"] = start + len(records) - 1
    return records, {"uri": page_uri(page)["uri"], "navigation": navigation, "paging": paging}


def _filter_values(request: web.Request, name: str, allowed: frozenset[str]) -> list[str]:
    values: list[str] = []
    for raw in request.query.getall(name, []):
        for value in raw.split(","):
            if value not in allowed:
                raise _invalid(name)
            values.append(value)
    return values


def _multipart_response(
    request: web.Request, account_id: str, parts: list[tuple[str, int, dict[str, Any]]]
) -> web.Response:
    """RingCentral's default batch format: a JSON summary part, then one JSON part per resource."""
    boundary = "Boundary_" + secrets.token_hex(12)
    summary = {
        "response": [
            {
                "href": f"{_extension_uri(request, account_id, ext_id)}/presence",
                "status": status,
                "responseDescription": "OK" if status == 200 else "Not Found",
            }
            for ext_id, status, _ in parts
        ]
    }
    chunks = [summary, *(part for _, _, part in parts)]
    text = "".join(
        f"--{boundary}\r\nContent-Type: application/json\r\n\r\n{json.dumps(chunk)}\r\n" for chunk in chunks
    )
    text += f"--{boundary}--\r\n"
    return web.Response(
        status=207, body=text.encode(), headers={"Content-Type": f"multipart/mixed; boundary={boundary}"}
    )


class RestApi:
    """The request handlers, over the account, its tokens and the call engine (the ground truth)."""

    def __init__(self, account: Account, auth: AuthManager, calls: CallEngine) -> None:
        self._account = account
        self._auth = auth
        self._calls = calls

    def _authorize(self, request: web.Request, *permissions: str) -> AuthSession:
        session = self._auth.authenticate(request)
        for permission in permissions:
            self._auth.require_permission(permission)
        return session

    def _account_id(self, request: web.Request) -> str:
        account_id = request.match_info["accountId"]
        if account_id not in ("~", self._account.id):
            raise _not_found("accountId")
        return self._account.id

    def _resolve_extension(self, session: AuthSession, raw: str) -> Extension | None:
        if raw == "~":
            return session.extension
        return self._account.extensions.get(raw)

    async def get_account(self, request: web.Request) -> web.Response:
        self._authorize(request, "ReadAccounts")
        account_id = self._account_id(request)
        del account_id
        return web.json_response(account_info(request, self._account))

    async def get_extension(self, request: web.Request) -> web.Response:
        session = self._authorize(request, "ReadAccounts")
        account_id = self._account_id(request)
        ext = self._resolve_extension(session, request.match_info["extensionId"])
        if ext is None:
            raise _not_found("extensionId")
        return web.json_response(extension_info(request, account_id, ext))

    async def list_extensions(self, request: web.Request) -> web.Response:
        self._authorize(request, "ReadAccounts")
        account_id = self._account_id(request)
        types = _filter_values(request, "type", EXTENSION_TYPES)
        statuses = _filter_values(request, "status", EXTENSION_STATUSES)
        matching = [
            ext
            for ext in self._account.extensions.values()
            if (not types or ext.type in types) and (not statuses or ext.status in statuses)
        ]
        extra = {key: values for key, values in (("type", types), ("status", statuses)) if values}
        records, meta = paged(request, f"{BASE}/account/{account_id}/extension", matching, extra_query=extra)
        body = {**meta, "records": [_extension_summary(request, account_id, ext) for ext in records]}
        return web.json_response(body)

    def _presence(self, ext: Extension, request: web.Request) -> dict[str, Any]:
        return self._calls.presence(
            ext.id,
            detailed=_bool_param(request, "detailedTelephonyState"),
            sip_data=_bool_param(request, "sipData"),
        )

    async def get_presence(self, request: web.Request) -> web.Response:
        session = self._authorize(request, "ReadPresence")
        account_id = self._account_id(request)
        raw_ids = request.match_info["extensionId"]
        if "," not in raw_ids:
            ext = self._resolve_extension(session, raw_ids)
            if ext is None:
                raise _not_found("extensionId")
            return web.json_response(self._presence(ext, request))
        ids = [part.strip() for part in raw_ids.split(",")]
        if len(ids) > MAX_BATCH:
            raise _invalid(
                "extensionId", f"The number of resources in a batch request must not exceed {MAX_BATCH}"
            )
        if any(not part for part in ids):
            raise _invalid("extensionId")
        # Validate the shared query parameters once: a bad one fails the whole request.
        _bool_param(request, "detailedTelephonyState")
        _bool_param(request, "sipData")
        parts: list[tuple[str, int, dict[str, Any]]] = []
        for ext_id in ids:
            ext = self._resolve_extension(session, ext_id)
            if ext is None:
                message = "Resource for parameter [extensionId] is not found"
                parts.append((ext_id, 404, error_body("CMN-102", message, parameterName="extensionId")))
            else:
                parts.append((ext_id, 200, self._presence(ext, request)))
        if BATCH_JSON in request.headers.get("Accept", ""):
            body = [{"resourceId": ext_id, "status": status, "body": part} for ext_id, status, part in parts]
            return web.json_response(body, status=207, content_type=BATCH_JSON)
        return _multipart_response(request, account_id, parts)

    async def account_presence(self, request: web.Request) -> web.Response:
        session = self._authorize(request, "ReadPresence")
        account_id = self._account_id(request)
        if not session.extension.admin:
            raise RingCentralHTTPError(
                403,
                "CMN-419",
                "In order to call this API endpoint, user needs to have [ReadPresenceStatus] permission "
                "for requested resource.",
                permissionName="ReadPresenceStatus",
            )
        detailed = _bool_param(request, "detailedTelephonyState")
        extra = {"detailedTelephonyState": ["true"]} if detailed else {}
        extensions = list(self._account.extensions.values())
        records, meta = paged(request, f"{BASE}/account/{account_id}/presence", extensions, extra_query=extra)
        body = {
            **meta,
            "records": [self._calls.presence(ext.id, detailed=detailed, sip_data=False) for ext in records],
        }
        return web.json_response(body)

    async def get_telephony_session(self, request: web.Request) -> web.Response:
        self._authorize(request, "CallControl")
        self._account_id(request)
        body = self._calls.telephony_session(request.match_info["sessionId"])
        if body is None:
            raise RingCentralHTTPError(
                404, "TAS-102", "Telephony session not found", parameterName="telephonySessionId"
            )
        return web.json_response(body)

    def add_routes(self, router: web.UrlDispatcher) -> None:
        account = BASE + "/account/{accountId}"
        router.add_get(account, self.get_account)
        router.add_get(account + "/extension", self.list_extensions)
        router.add_get(account + "/extension/{extensionId}", self.get_extension)
        router.add_get(account + "/extension/{extensionId}/presence", self.get_presence)
        router.add_get(account + "/presence", self.account_presence)
        router.add_get(account + "/telephony/sessions/{sessionId}", self.get_telephony_session)
