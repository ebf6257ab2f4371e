"""Messages, SMS and phone numbers of an extension: `client.messages` (`MessagesApi`).

Every method checks its arguments before anything is sent (`ValueError`), parses the answer into
`models_messages` dataclasses and raises the `errors` hierarchy: 403 `MissingPermissionsError`
naming the permission (`ReadMessages`, `EditMessages`, `SMS`, `ReadAccounts`), other refusals
`ApiError` with RingCentral's `error_code` (e.g. `MSG-367`: the from number cannot send SMS),
429 `RateLimitedError`. Actions take `max_wait` (default 0): rather than queue behind the rate
budget the watching side needs, they raise `RateLimitedError` with `retry_after` at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

from .directory import normalize_number
from .models_messages import (
    TYPE_SMS,
    TYPE_VOICEMAIL,
    Message,
    PhoneNumber,
    SmsResult,
    parse_message,
)
from .pathids import path_id

if TYPE_CHECKING:
    from .rest_core import RestCore

MAX_SMS_LENGTH: Final = 1000  # RingCentral refuses longer texts
MAX_SMS_RECIPIENTS: Final = 10
MESSAGE_TYPES: Final = ("Fax", TYPE_SMS, TYPE_VOICEMAIL, "Pager", "Text")
READ_STATUSES: Final = ("Read", "Unread")
# RingCentral lists only the last 24 hours unless asked for more; "since ever" for counts
# (UNVERIFIED: whether RingCentral caps how far back `dateFrom` may reach).
_SINCE_EVER: Final = datetime(1970, 1, 1, tzinfo=UTC)
_PER_PAGE: Final = 1000


class MessagesApi:
    """The message store, SMS and phone numbers, over a `RingCentralClient`'s requests."""

    def __init__(self, client: RestCore) -> None:
        self._client = client

    def _extension(self, ext: str) -> str:
        return f"/restapi/v1.0/account/~/extension/{path_id(ext)}"

    async def list_phone_numbers(self, ext: str = "~", *, max_wait: float | None = None) -> list[PhoneNumber]:
        """The extension's numbers with their features (Light, ReadAccounts); all pages."""
        records = await self._client._all_pages(
            self._extension(ext) + "/phone-number", {}, _PER_PAGE, max_wait=max_wait
        )
        return [PhoneNumber.from_dict(record, f"phoneNumber[{i}]") for i, record in enumerate(records)]

    async def send_sms(
        self,
        ext: str,
        *,
        from_number: str,
        to: Sequence[str],
        text: str,
        max_wait: float | None = 0,
    ) -> SmsResult:
        """Send an SMS from one of the extension's `SmsSender` numbers (Medium, SMS).

        Numbers are sent in E.164. Never retried after a network error or timeout (it may have
        been sent); `max_wait` as for every action.
        """
        sender = _e164(from_number, "from_number")
        if isinstance(to, str) or not isinstance(to, Sequence) or not to:
            raise ValueError("to must be a non-empty list of phone numbers")
        if len(to) > MAX_SMS_RECIPIENTS:
            raise ValueError(f"to may hold at most {MAX_SMS_RECIPIENTS} numbers")
        recipients = [_e164(number, "to") for number in to]
        if not isinstance(text, str) or not text.strip():
            raise ValueError("text must not be empty")
        if len(text) > MAX_SMS_LENGTH:
            raise ValueError(f"text is {len(text)} characters long; at most {MAX_SMS_LENGTH} can be sent")
        body = {
            "from": {"phoneNumber": sender},
            "to": [{"phoneNumber": number} for number in recipients],
            "text": text,
        }
        response = await self._client._call(
            "POST", self._extension(ext) + "/sms", json_body=body, max_wait=max_wait, retries=0
        )
        return SmsResult.from_dict(response.json_object())

    async def list_messages(
        self,
        ext: str = "~",
        *,
        message_type: str | None = TYPE_VOICEMAIL,
        read_status: str | None = "Unread",
        date_from: datetime | None = None,
        max_wait: float | None = None,
    ) -> list[Message]:
        """The extension's messages, newest first (Light, ReadMessages); all pages.

        By default the unread voicemails, whenever they came (`date_from`: from then on; RingCentral
        itself would list only the last day).
        """
        if message_type is not None and message_type not in MESSAGE_TYPES:
            raise ValueError(f"message_type must be one of {', '.join(MESSAGE_TYPES)}")
        if read_status is not None and read_status not in READ_STATUSES:
            raise ValueError(f"read_status must be one of {', '.join(READ_STATUSES)}")
        since = date_from or _SINCE_EVER
        if since.tzinfo is None:
            raise ValueError("date_from must be timezone-aware")
        params = {"dateFrom": since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")}
        if message_type is not None:
            params["messageType"] = message_type
        if read_status is not None:
            params["readStatus"] = read_status
        path = self._extension(ext) + "/message-store"
        records = await self._client._all_pages(path, params, _PER_PAGE, max_wait=max_wait)
        return [parse_message(record) for record in records]

    async def get_message(self, ext: str, message_id: str, *, max_wait: float | None = None) -> Message:
        """One message (Light, ReadMessages); 404 `ApiError` when there is none."""
        path = f"{self._extension(ext)}/message-store/{path_id(message_id)}"
        response = await self._client._call("GET", path, max_wait=max_wait)
        return parse_message(response.json_object())

    async def set_read_status(
        self, ext: str, message_id: str, *, read: bool, max_wait: float | None = 0
    ) -> Message:
        """Mark a message read or unread (Medium, EditMessages); answers the message."""
        if not isinstance(read, bool):
            raise TypeError("read must be True or False")
        path = f"{self._extension(ext)}/message-store/{path_id(message_id)}"
        body = {"readStatus": "Read" if read else "Unread"}
        response = await self._client._call("PUT", path, json_body=body, max_wait=max_wait)
        return parse_message(response.json_object())

    async def get_transcription(
        self, ext: str, message: Message, *, max_wait: float | None = None
    ) -> str | None:
        """A voicemail's transcription text (Medium, ReadMessages); None when it has none."""
        attachment = message.transcription_attachment
        if attachment is None:
            return None
        path = f"{self._extension(ext)}/message-store/{path_id(message.id)}/content/{path_id(attachment.id)}"
        response = await self._client._call(
            "GET", path, headers={"Accept": "text/plain, */*"}, max_wait=max_wait
        )
        return response.raw.decode("utf-8", errors="replace").strip() or None


def _e164(number: str, name: str) -> str:
    e164 = normalize_number(number) if isinstance(number, str) else None
    if e164 is None:
        raise ValueError(f"{name}: not a phone number (use E.164, e.g. +16505550100)")
    return e164
