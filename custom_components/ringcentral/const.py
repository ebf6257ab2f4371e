"""Constants of the RingCentral integration: config keys, option values, state and event vocabularies."""

from __future__ import annotations

import logging
from typing import Final

DOMAIN: Final = "ringcentral"
LOGGER = logging.getLogger(__package__)

# Config entry data.
CONF_SERVER: Final = "server"
CONF_CLIENT_ID: Final = "client_id"
CONF_CLIENT_SECRET: Final = "client_secret"  # noqa: S105 - a config key, not a secret
CONF_JWT: Final = "jwt"
CONF_ACCOUNT_ID: Final = "account_id"
CONF_EXTENSION_ID: Final = "extension_id"
# Changes whenever the credentials change (user, reauth, reconfigure), so tokens persisted for old
# credentials are never resumed for new ones.
CONF_CREDENTIALS_ID: Final = "credentials_id"

DEFAULT_SERVER: Final = "https://platform.ringcentral.com"

# Options.
CONF_MONITOR: Final = "monitor"
MONITOR_OWN: Final = "own"
MONITOR_ACCOUNT: Final = "account"
MONITOR_SELECTED: Final = "selected"
MONITOR_MODES: Final = (MONITOR_OWN, MONITOR_ACCOUNT, MONITOR_SELECTED)
CONF_EXTENSIONS: Final = "extensions"
CONF_TRANSPORT: Final = "transport"
TRANSPORT_WEBSOCKET: Final = "websocket"
TRANSPORT_PUBNUB: Final = "pubnub"  # legacy: RingCentral deprecated PubNub delivery in 2023
TRANSPORT_WEBHOOK: Final = "webhook"
DEFAULT_TRANSPORT: Final = TRANSPORT_WEBSOCKET

# Config entry data kept for the WebHook transport (generated once, so restarts keep the address and
# deliveries still in flight carry a token that is accepted).
CONF_WEBHOOK_ID: Final = "webhook_id"
CONF_WEBHOOK_TOKEN: Final = "webhook_verification_token"  # noqa: S105 - a config key, not a secret
CONF_CLOUDHOOK_URL: Final = "cloudhook_url"

# Sensor states: RingCentral's telephonyStatus in snake_case.
CALL_STATUSES: Final = ("no_call", "ringing", "call_connected", "on_hold", "parked_call")
# Call statuses that make an extension busy (the on_call binary sensor).
BUSY_STATUSES: Final = frozenset({"call_connected", "on_hold"})

# Event entity types, in the order a call goes through them.
EVENT_TYPES: Final = (
    "ringing",
    "dialing",
    "answered",
    "on_hold",
    "resumed",
    "parked",
    "voicemail",
    "missed",
    "ended",
)

# Bus event fired for every call event, described for the logbook.
EVENT_RINGCENTRAL: Final = f"{DOMAIN}_event"

# How long notifications may stop flowing before extension entities turn unavailable. RingCentral keeps a
# WebSocket session recoverable for 180 s (ConnectionDetails.recoveryTimeout); past it state may be stale.
RECOVERY_WINDOW: Final = 180.0

STORAGE_VERSION: Final = 1

# Repair issue ids.
ISSUE_MISSING_PERMISSIONS: Final = "missing_permissions"
ISSUE_FILTERS_REFUSED: Final = "filters_refused"
# Extensions this entry skips because another loaded entry monitors them.
ISSUE_MONITORED_ELSEWHERE: Final = "monitored_elsewhere"
# `<transport>_unavailable`: RingCentral (or Home Assistant) could not provide the chosen transport,
# WebSocket is used instead.
ISSUE_TRANSPORT_UNAVAILABLE: Final = "{transport}_unavailable"


def extension_signal(entry_id: str, extension_id: str) -> str:
    """Dispatcher signal for changes of one extension (so a call on A wakes only A's entities)."""
    return f"{DOMAIN}_{entry_id}_{extension_id}"


def account_signal(entry_id: str) -> str:
    """Dispatcher signal for changes of the account (connectivity, new extensions)."""
    return f"{DOMAIN}_{entry_id}_account"


# --- Control (issue 15): presence selects, call actions, click-to-dial ------------------------------

# Select options: RingCentral's dndStatus and userStatus in snake_case.
DND_OPTIONS: Final = (
    "take_all_calls",
    "do_not_accept_department_calls",
    "take_department_calls_only",
    "do_not_accept_any_calls",
)
USER_STATUS_OPTIONS: Final = ("available", "busy", "offline")
# Extension types whose presence can be set (RingCentral: regular user extensions only).
PRESENCE_EXTENSION_TYPES: Final = frozenset({"User"})

# App permissions that unlock control features; without one, only its features are off.
PERMISSION_EDIT_PRESENCE: Final = "EditPresence"
PERMISSION_CALL_CONTROL: Final = "CallControl"
PERMISSION_RING_OUT: Final = "RingOut"
CONTROL_PERMISSIONS: Final = (PERMISSION_EDIT_PRESENCE, PERMISSION_CALL_CONTROL, PERMISSION_RING_OUT)
ISSUE_CONTROL_PERMISSIONS: Final = "control_permissions"

# Option: the phone RingOut rings first for the user's own extension (default: its direct number).
CONF_RING_OUT_FROM: Final = "ring_out_from"

# Actions.
SERVICE_HANG_UP: Final = "hang_up"
SERVICE_HOLD: Final = "hold"
SERVICE_RESUME: Final = "resume"
SERVICE_REJECT: Final = "reject"
SERVICE_TRANSFER: Final = "transfer"
SERVICE_RING_OUT: Final = "ring_out"
ATTR_TELEPHONY_SESSION_ID: Final = "telephony_session_id"
ATTR_PHONE_NUMBER: Final = "phone_number"
ATTR_EXTENSION_NUMBER: Final = "extension_number"
ATTR_VOICEMAIL: Final = "voicemail"
ATTR_TO: Final = "to"
ATTR_FROM: Final = "from"
ATTR_CALLER_ID: Final = "caller_id"
ATTR_PLAY_PROMPT: Final = "play_prompt"
# --- Messages, recent calls and caller names (issue 16) ---------------------------------------------

# Option: also look caller names up in the user's personal contacts (needs ReadContacts).
CONF_CONTACTS: Final = "contacts"
DEFAULT_CONTACTS: Final = False

# Message event entity types and the bus event fired for each (described for the logbook).
MESSAGE_TYPES: Final = ("voicemail", "sms")
EVENT_RINGCENTRAL_MESSAGE: Final = f"{DOMAIN}_message"

# How a finished call ended, as `last_caller` and `recent_calls` report it.
RESULT_ANSWERED: Final = "answered"
RESULT_MISSED: Final = "missed"
RESULT_VOICEMAIL: Final = "voicemail"
RESULT_UNANSWERED: Final = "unanswered"  # an outbound call nobody answered
RECENT_CALLS: Final = 10

# Repair issues of one feature whose app permission is missing: `<feature>_permission`.
ISSUE_FEATURE_PERMISSION: Final = "{feature}_permission"
FEATURE_MESSAGES: Final = "messages"
FEATURE_SMS: Final = "sms"
FEATURE_CONTACTS: Final = "contacts"
FEATURE_PERMISSIONS: Final = {
    FEATURE_MESSAGES: "ReadMessages",
    FEATURE_SMS: "SMS",
    FEATURE_CONTACTS: "ReadContacts",
}


def message_signal(entry_id: str, extension_id: str) -> str:
    """Dispatcher signal for one extension's messages (unread voicemails, new voicemail or SMS)."""
    return f"{DOMAIN}_{entry_id}_{extension_id}_messages"
