"""A subscription as RingCentral reports it, and the event filters it refused."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import msgspec

from ..errors import ParseError
from .codes import status_is
from .readers import _list, _mapping, _opt_int, _opt_mapping, _opt_str, _opt_time, _req_str


class DisabledFilter(msgspec.Struct, frozen=True, gc=False):
    """An event filter RingCentral refused, with why (e.g. a missing permission)."""

    filter: str
    reason: str | None
    message: str | None

    @classmethod
    def from_dict(cls, raw: Any, what: str = "disabledFilter") -> DisabledFilter:
        data = _mapping(raw, what)
        return cls(
            filter=_req_str(data, "filter", what),
            reason=_opt_str(data, "reason", what),
            message=_opt_str(data, "message", what),
        )


@dataclass(frozen=True, slots=True)
class SubscriptionInfo:
    """A subscription as RingCentral reports it after create, read, update or renew."""

    id: str
    event_filters: tuple[str, ...]
    disabled_filters: tuple[DisabledFilter, ...]
    expires_in: int | None
    expiration_time: datetime | None
    status: str | None
    delivery_mode: Mapping[str, Any] = field(hash=False)
    blacklisted_reason: str | None = None

    @property
    def transport_type(self) -> str | None:
        """`WebSocket`, `PubNub`, `WebHook`… as reported in `deliveryMode`."""
        value = self.delivery_mode.get("transportType")
        return value if isinstance(value, str) else None

    @property
    def blacklisted(self) -> bool:
        """A blacklisted subscription never delivers again: delete and re-create it."""
        return status_is(self.status, "Blacklisted")

    @classmethod
    def from_dict(cls, raw: Any) -> SubscriptionInfo:
        what = "subscription"
        data = _mapping(raw, what)
        filters_raw = _list(data, "eventFilters", what)
        event_filters = []
        for index, item in enumerate(filters_raw):
            if not isinstance(item, str):
                raise ParseError(f"{what}.eventFilters[{index}]: expected a string")
            event_filters.append(item)
        blacklisted = _opt_mapping(data, "blacklistedData", what) or {}
        delivery = _opt_mapping(data, "deliveryMode", what) or {}
        return cls(
            id=_req_str(data, "id", what),
            event_filters=tuple(event_filters),
            disabled_filters=tuple(
                DisabledFilter.from_dict(item, f"{what}.disabledFilters[{index}]")
                for index, item in enumerate(_list(data, "disabledFilters", what))
            ),
            expires_in=_opt_int(data, "expiresIn", what),
            expiration_time=_opt_time(data, "expirationTime", what),
            status=_opt_str(data, "status", what),
            delivery_mode=dict(delivery),
            blacklisted_reason=_opt_str(blacklisted, "reason", f"{what}.blacklistedData"),
        )
