"""What every REST resource under `/restapi/v1.0` shares: authorization, `~` resolution, query
parameters, paging, URIs and RingCentral's parameter errors.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from .auth import AuthManager, AuthSession
from .errors import RingCentralHTTPError
from .model import Account, Extension

BASE = "/restapi/v1.0"
MAX_PER_PAGE = 1000
DEFAULT_PER_PAGE = 100


class RestAccess:
    """Who may call a resource, and which account and extension a path names (`~` is the caller's)."""

    def __init__(self, account: Account, auth: AuthManager) -> None:
        self._account = account
        self._auth = auth

    def authorize(self, request: web.Request, *permissions: str) -> AuthSession:
        """The caller's session (401 without a valid token); 403 when the app lacks a permission."""
        session = self._auth.authenticate(request)
        for permission in permissions:
            self._auth.require_permission(permission)
        return session

    def account_id(self, request: web.Request) -> str:
        """The account of the path's `{accountId}`; 404 for any other account."""
        account_id = request.match_info["accountId"]
        if account_id not in ("~", self._account.id):
            raise not_found("accountId")
        return self._account.id

    def extension(self, session: AuthSession, raw: str) -> Extension | None:
        """The extension a path's `{extensionId}` names, if it exists."""
        if raw == "~":
            return session.extension
        return self._account.extensions.get(raw)

    def own_extension(self, session: AuthSession, raw: str, permission: str) -> Extension:
        """The extension of a personal resource (mailbox, call log, contacts): 404 when unknown,
        403 `CMN-419` when it is another user's and the caller is no administrator."""
        ext = self.extension(session, raw)
        if ext is None:
            raise not_found("extensionId")
        if ext is not session.extension and not session.extension.admin:
            raise RingCentralHTTPError(
                403,
                "CMN-419",
                "In order to call this API endpoint for another extension, user needs to have "
                f"[{permission}] permission granted with extended scope",
                permissionName=permission,
            )
        return ext


def not_found(parameter: str) -> RingCentralHTTPError:
    return RingCentralHTTPError(
        404, "CMN-102", f"Resource for parameter [{parameter}] is not found", parameterName=parameter
    )


def invalid(parameter: str, message: str | None = None) -> RingCentralHTTPError:
    return RingCentralHTTPError(
        400,
        "CMN-101",
        message or f"Parameter [{parameter}] value is invalid",
        parameterName=parameter,
    )


def numeric(value: str) -> int | str:
    """Ids are numbers in RingCentral's schemas; simulator ids always are, but stay safe."""
    return int(value) if value.isdigit() else value


def bool_param(request: web.Request, name: str) -> bool:
    raw = request.query.get(name)
    if raw is None:
        return False
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise invalid(name)


def int_param(request: web.Request, name: str, default: int, maximum: int | None = None) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid(name) from None
    if value < 1 or (maximum is not None and value > maximum):
        raise invalid(name)
    return value


def enum_values(request: web.Request, name: str, allowed: Collection[str]) -> list[str]:
    """A multi-valued parameter (repeated, or comma-separated) whose values must be `allowed`."""
    values: list[str] = []
    for raw in request.query.getall(name, []):
        for value in raw.split(","):
            if value not in allowed:
                raise invalid(name)
            values.append(value)
    return values


def date_param(request: web.Request, name: str) -> float | None:
    """An ISO 8601 date-time parameter as epoch seconds (naive means UTC)."""
    raw = request.query.get(name)
    if raw is None:
        return None
    try:
        parsed = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        raise invalid(name) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def base_url(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


def account_uri(request: web.Request, account_id: str) -> str:
    return f"{base_url(request)}{BASE}/account/{account_id}"


def extension_uri(request: web.Request, account_id: str, ext_id: str) -> str:
    return f"{account_uri(request, account_id)}/extension/{ext_id}"


def paged(
    request: web.Request, path: str, items: Sequence[Any], *, extra_query: dict[str, list[str]] | None = None
) -> tuple[list[Any], dict[str, Any]]:
    """One page of `items` and RingCentral's `uri`, `navigation` and `paging` fields."""
    page = int_param(request, "page", 1)
    per_page = int_param(request, "perPage", DEFAULT_PER_PAGE, MAX_PER_PAGE)
    total = len(items)
    total_pages = math.ceil(total / per_page)
    start = (page - 1) * per_page
    records = list(items[start : start + per_page])
    query = [(key, value) for key, values in (extra_query or {}).items() for value in values]

    def page_uri(number: int) -> dict[str, str]:
        params = urlencode([*query, ("page", str(number)), ("perPage", str(per_page))])
        return {"uri": f"{base_url(request)}{path}?{params}"}

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
