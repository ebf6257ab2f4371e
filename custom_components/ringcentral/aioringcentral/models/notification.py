"""The push notification envelope and `parse_notification`, the entry point of every notification."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import msgspec

from .. import filters
from ..filters import FilterKind
from .presence import Presence, parse_presence
from .readers import _mapping, _opt_strs, _opt_time, _req_str
from .sessions import TelephonySessionEvent, parse_telephony_session


class Notification(msgspec.Struct, frozen=True):
    """A push notification envelope; `body` is kept raw, `kind` says which filter it came from."""

    uuid: str | None
    event: str
    timestamp: datetime | None
    subscription_id: str | None
    owner_id: str | None
    body: Mapping[str, Any]
    kind: FilterKind = FilterKind.UNKNOWN

    def presence(self) -> Presence:
        """Parse the body as presence (the event path supplies the extension and detail level)."""
        return parse_presence(
            self.body,
            extension_id=filters.extension_id_of(self.event),
            detailed=filters.is_detailed(self.event) or "activeCalls" in self.body,
        )

    def telephony_session(self) -> TelephonySessionEvent:
        """Parse the body as a telephony-session event."""
        return parse_telephony_session(self.body)


def parse_notification(raw: Any) -> Notification:
    """Parse a notification envelope (also the legacy `pn_apns`-wrapped one the samples use)."""
    what = "notification"
    data = _mapping(raw, what)
    if "body" not in data and isinstance(data.get("pn_apns"), Mapping):
        data = data["pn_apns"]
    event = _req_str(data, "event", what)
    body = _mapping(data.get("body"), f"{what}.body")
    uuid, subscription_id, owner_id = _opt_strs(data, what, "uuid", "subscriptionId", "ownerId")
    return Notification(
        uuid=uuid,
        event=event,
        timestamp=_opt_time(data, "timestamp", what),
        subscription_id=subscription_id,
        owner_id=owner_id,
        body=body,
        kind=filters.classify(event),
    )
