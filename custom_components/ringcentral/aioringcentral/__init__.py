"""aioringcentral: an asyncio RingCentral client for live call state (no Home Assistant imports).

The main names are re-exported here. `PubNubTransport` is imported on first use: it needs the
`pubnub` SDK, which a caller using only WebSocket or WebHook delivery need not install.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import filters
from .api_control import ControlApi
from .api_directory import DirectoryApi
from .api_messages import MessagesApi
from .auth import TokenSet
from .directory import DirectoryCache, normalize_number
from .engine import CallEvent, CallState, CallStateEngine, EngineUpdate, ExtensionState, SnapshotToken
from .errors import (
    ApiError,
    InvalidCredentialsError,
    MissingPermissionsError,
    ParseError,
    RateLimitedError,
    RingCentralError,
    TemporarilyUnavailableError,
    TransportUnavailableError,
)
from .filters import FilterKind
from .messages import MessageTracker, MessageUpdate, NewMessage, ReadToken
from .models import (
    AccountInfo,
    ActiveCall,
    DisabledFilter,
    ExtensionInfo,
    Notification,
    Party,
    PartyEndpoint,
    PartyStatus,
    Presence,
    SubscriptionInfo,
    TelephonySession,
    TelephonySessionEvent,
    parse_notification,
    parse_presence,
    parse_telephony_session,
)
from .models_control import DND_STATUSES, USER_STATUSES, RingOutStatus
from .models_messages import (
    Message,
    MessageAttachment,
    MessageStoreChange,
    MessageStoreEvent,
    PhoneNumber,
    SmsResult,
    parse_message,
    parse_message_store_event,
)
from .models_names import (
    Contact,
    DirectoryChange,
    DirectoryEntry,
    DirectoryEvent,
    parse_directory_event,
)
from .ratelimit import RateLimiter
from .rest import RingCentralClient, WsToken
from .transport import Continuity, Transport, TransportListener, TransportStats
from .webhook import WebhookTransport
from .websocket import WebSocketTransport

if TYPE_CHECKING:
    from .pubnub import PubNubTransport

__all__ = [
    "DND_STATUSES",
    "USER_STATUSES",
    "AccountInfo",
    "ActiveCall",
    "ApiError",
    "CallEvent",
    "CallState",
    "CallStateEngine",
    "Contact",
    "Continuity",
    "ControlApi",
    "DirectoryApi",
    "DirectoryCache",
    "DirectoryChange",
    "DirectoryEntry",
    "DirectoryEvent",
    "DisabledFilter",
    "EngineUpdate",
    "ExtensionInfo",
    "ExtensionState",
    "FilterKind",
    "InvalidCredentialsError",
    "Message",
    "MessageAttachment",
    "MessageStoreChange",
    "MessageStoreEvent",
    "MessageTracker",
    "MessageUpdate",
    "MessagesApi",
    "MissingPermissionsError",
    "NewMessage",
    "Notification",
    "ParseError",
    "Party",
    "PartyEndpoint",
    "PartyStatus",
    "PhoneNumber",
    "Presence",
    "PubNubTransport",
    "RateLimitedError",
    "RateLimiter",
    "ReadToken",
    "RingCentralClient",
    "RingCentralError",
    "RingOutStatus",
    "SmsResult",
    "SnapshotToken",
    "SubscriptionInfo",
    "TelephonySession",
    "TelephonySessionEvent",
    "TemporarilyUnavailableError",
    "TokenSet",
    "Transport",
    "TransportListener",
    "TransportStats",
    "TransportUnavailableError",
    "WebSocketTransport",
    "WebhookTransport",
    "WsToken",
    "filters",
    "normalize_number",
    "parse_directory_event",
    "parse_message",
    "parse_message_store_event",
    "parse_notification",
    "parse_presence",
    "parse_telephony_session",
]


def __getattr__(name: str) -> Any:
    if name == "PubNubTransport":
        from .pubnub import PubNubTransport  # noqa: PLC0415 - deferred: needs the pubnub SDK

        return PubNubTransport
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
