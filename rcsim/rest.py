"""REST resources under `/restapi/v1.0`: account, extensions, presence (single, batch, account-wide),
telephony sessions.

`~` stands for the authenticated extension and its account. Bodies follow RingCentral's OpenAPI
schemas (`GetAccountInfoResponse`, `GetExtensionInfoResponse`, `GetExtensionListResponse`,
`GetPresenceInfo`, `AccountPresenceInfo`, `CallSessionObject`); presence and telephony bodies come
from the call engine, the ground truth.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from aiohttp import web

from .auth import AuthManager
from .calls import CallEngine
from .errors import RingCentralHTTPError, error_body
from .model import EXTENSION_STATUSES, EXTENSION_TYPES, Account, Extension
from .rest_common import (
    BASE,
    RestAccess,
    account_uri,
    bool_param,
    extension_uri,
    invalid,
    not_found,
    numeric,
    paged,
)

MAX_BATCH = 30
BATCH_JSON = "application/vnd.ringcentral.multipart+json"


# -- bodies ----------------------------------------------------------------------------------------


def _extension_summary(request: web.Request, account_id: str, ext: Extension) -> dict[str, Any]:
    """The fields an extension has both in the list and in its own resource."""
    return {
        "uri": extension_uri(request, account_id, ext.id),
        "id": numeric(ext.id),
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
        "account": {"id": account_id, "uri": account_uri(request, account_id)},
        "extensionNumbers": [ext.extension_number],
        "setupWizardState": "Completed",
        "regionalSettings": {"timeFormat": "12h"},
    }


def account_info(request: web.Request, account: Account) -> dict[str, Any]:
    """`GetAccountInfoResponse`."""
    body: dict[str, Any] = {
        "uri": account_uri(request, account.id),
        "id": numeric(account.id),
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
            "uri": extension_uri(request, account.id, operator.id),
            "id": numeric(operator.id),
            "extensionNumber": operator.extension_number,
        }
    return body


def _filter_values(request: web.Request, name: str, allowed: frozenset[str]) -> list[str]:
    values: list[str] = []
    for raw in request.query.getall(name, []):
        for value in raw.split(","):
            if value not in allowed:
                raise invalid(name)
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
                "href": f"{extension_uri(request, account_id, ext_id)}/presence",
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
        self._access = RestAccess(account, auth)
        self._calls = calls

    async def get_account(self, request: web.Request) -> web.Response:
        self._access.authorize(request, "ReadAccounts")
        account_id = self._access.account_id(request)
        del account_id
        return web.json_response(account_info(request, self._account))

    async def get_extension(self, request: web.Request) -> web.Response:
        session = self._access.authorize(request, "ReadAccounts")
        account_id = self._access.account_id(request)
        ext = self._access.extension(session, request.match_info["extensionId"])
        if ext is None:
            raise not_found("extensionId")
        return web.json_response(extension_info(request, account_id, ext))

    async def list_extensions(self, request: web.Request) -> web.Response:
        self._access.authorize(request, "ReadAccounts")
        account_id = self._access.account_id(request)
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
            detailed=bool_param(request, "detailedTelephonyState"),
            sip_data=bool_param(request, "sipData"),
        )

    async def get_presence(self, request: web.Request) -> web.Response:
        session = self._access.authorize(request, "ReadPresence")
        account_id = self._access.account_id(request)
        raw_ids = request.match_info["extensionId"]
        if "," not in raw_ids:
            ext = self._access.extension(session, raw_ids)
            if ext is None:
                raise not_found("extensionId")
            return web.json_response(self._presence(ext, request))
        ids = [part.strip() for part in raw_ids.split(",")]
        if len(ids) > MAX_BATCH:
            raise invalid(
                "extensionId", f"The number of resources in a batch request must not exceed {MAX_BATCH}"
            )
        if any(not part for part in ids):
            raise invalid("extensionId")
        # Validate the shared query parameters once: a bad one fails the whole request.
        bool_param(request, "detailedTelephonyState")
        bool_param(request, "sipData")
        parts: list[tuple[str, int, dict[str, Any]]] = []
        for ext_id in ids:
            ext = self._access.extension(session, ext_id)
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
        session = self._access.authorize(request, "ReadPresence")
        account_id = self._access.account_id(request)
        if not session.extension.admin:
            raise RingCentralHTTPError(
                403,
                "CMN-419",
                "In order to call this API endpoint, user needs to have [ReadPresenceStatus] permission "
                "for requested resource.",
                permissionName="ReadPresenceStatus",
            )
        detailed = bool_param(request, "detailedTelephonyState")
        extra = {"detailedTelephonyState": ["true"]} if detailed else {}
        extensions = list(self._account.extensions.values())
        records, meta = paged(request, f"{BASE}/account/{account_id}/presence", extensions, extra_query=extra)
        body = {
            **meta,
            "records": [self._calls.presence(ext.id, detailed=detailed, sip_data=False) for ext in records],
        }
        return web.json_response(body)

    async def get_telephony_session(self, request: web.Request) -> web.Response:
        self._access.authorize(request, "CallControl")
        self._access.account_id(request)
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
