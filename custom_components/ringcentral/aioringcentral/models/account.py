"""The account and its extensions, as the REST API describes them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from .readers import _mapping, _opt_mapping, _opt_str, _req_str


class AccountInfo(msgspec.Struct, frozen=True, gc=False):
    """The account (`GET /restapi/v1.0/account/~`)."""

    id: str
    main_number: str | None
    name: str | None
    status: str | None

    @classmethod
    def from_dict(cls, raw: Any) -> AccountInfo:
        what = "account"
        data = _mapping(raw, what)
        # The account resource has no documented display name; accept the fields seen in practice.
        name = _opt_str(data, "name", what) or _opt_str(data, "companyName", what)
        return cls(
            id=_req_str(data, "id", what),
            main_number=_opt_str(data, "mainNumber", what),
            name=name,
            status=_opt_str(data, "status", what),
        )


class ExtensionInfo(msgspec.Struct, frozen=True, gc=False):
    """An extension (`GET .../extension/{id}` or one record of the extension list)."""

    id: str
    extension_number: str | None
    name: str | None
    type: str | None
    status: str | None
    is_admin: bool = False
    permissions: tuple[str, ...] = ()
    account_id: str | None = None
    # `contact.businessPhone`: the number in the user's profile, usually their direct number.
    business_phone: str | None = None

    @classmethod
    def from_dict(cls, raw: Any) -> ExtensionInfo:
        what = "extension"
        data = _mapping(raw, what)
        name = _opt_str(data, "name", what)
        contact = _opt_mapping(data, "contact", what) or {}
        if not name:
            parts = [_opt_str(contact, "firstName", what), _opt_str(contact, "lastName", what)]
            name = " ".join(part for part in parts if part) or None
        permissions_raw = _opt_mapping(data, "permissions", what) or {}
        # `permissions` is `{name: {enabled: bool}}`: keep the names that are enabled.
        enabled = tuple(
            sorted(
                key
                for key, value in permissions_raw.items()
                if isinstance(value, Mapping) and value.get("enabled") is True
            )
        )
        account = _opt_mapping(data, "account", what) or {}
        return cls(
            id=_req_str(data, "id", what),
            extension_number=_opt_str(data, "extensionNumber", what),
            name=name,
            type=_opt_str(data, "type", what),
            status=_opt_str(data, "status", what),
            is_admin="admin" in enabled,
            permissions=enabled,
            account_id=_opt_str(account, "id", f"{what}.account"),
            business_phone=_opt_str(contact, "businessPhone", f"{what}.contact") or None,
        )
