"""REST resources of a mailbox: the message store (list, read, mark read, attachment content),
sending SMS, and the extension's phone numbers.

Bodies follow the spec's inline schemas (`GetMessageList`, `GetMessageInfoResponse`,
`GetSMSMessageInfoResponse`, `GetExtensionPhoneNumbersResponse`); errors are the ones the spec lists
for these operations (`x-error-codes`): `CMN-101` for a bad parameter, `CMN-419` for another
user's mailbox, `MSG-245` / `MSG-246` / `MSG-247` / `MSG-381` for numbers SMS cannot use,
`403 MSG-367` for a sending number without the `SmsSender` feature.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from .auth import AuthManager
from .clock import SimClock
from .errors import RingCentralHTTPError
from .message_bodies import rest_message
from .message_model import (
    DIRECTIONS,
    MAX_RECIPIENTS,
    MAX_SMS_LENGTH,
    MESSAGE_TYPES,
    READ_STATUSES,
    StoredMessage,
)
from .messages import MessageStore
from .model import Account, Extension
from .phone_numbers import NumberRecord, PhoneNumbers
from .rest_common import (
    BASE,
    RestAccess,
    base_url,
    date_param,
    enum_values,
    extension_uri,
    invalid,
    not_found,
    numeric,
    paged,
)

# RingCentral lists the last 24 hours when `dateFrom` is not given.
DEFAULT_PERIOD = 24 * 3600.0
_SEPARATORS = re.compile(r"[\s().\-/]")
# Extension types the phone-number schema names (others are left out of `extension.type`).
_NUMBER_EXTENSION_TYPES = frozenset(
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
        "Site",
    }
)
_USAGE_TYPES = (
    "MainCompanyNumber",
    "AdditionalCompanyNumber",
    "CompanyNumber",
    "DirectNumber",
    "CompanyFaxNumber",
    "ForwardedNumber",
    "ForwardedCompanyNumber",
    "BusinessMobileNumber",
    "ExternalMobileNumber",
)


class MessageApi:
    """The request handlers, over the account, its tokens, the message store and the phone numbers."""

    def __init__(
        self, account: Account, auth: AuthManager, store: MessageStore, numbers: PhoneNumbers, clock: SimClock
    ) -> None:
        self._account = account
        self._access = RestAccess(account, auth)
        self._store = store
        self._numbers = numbers
        self._clock = clock

    def add_routes(self, router: web.UrlDispatcher) -> None:
        ext = BASE + "/account/{accountId}/extension/{extensionId}"
        router.add_get(ext + "/message-store", self.list_messages)
        router.add_get(ext + "/message-store/{messageId}", self.get_message)
        router.add_put(ext + "/message-store/{messageId}", self.update_message)
        router.add_get(ext + "/message-store/{messageId}/content/{attachmentId}", self.get_content)
        router.add_post(ext + "/sms", self.send_sms)
        router.add_get(ext + "/phone-number", self.list_phone_numbers)

    # ---- message store -----------------------------------------------------------------------------

    def _mailbox(self, request: web.Request, permission: str) -> tuple[str, Extension]:
        session = self._access.authorize(request, permission)
        account_id = self._access.account_id(request)
        return account_id, self._access.own_extension(session, request.match_info["extensionId"], permission)

    def _message(self, ext: Extension, request: web.Request) -> StoredMessage:
        message = self._store.get(ext.id, request.match_info["messageId"])
        if message is None:
            raise not_found("messageId")
        return message

    def _body(self, request: web.Request, account_id: str, message: StoredMessage) -> dict[str, Any]:
        return rest_message(message, base_url(request), account_id, self._clock)

    async def list_messages(self, request: web.Request) -> web.Response:
        account_id, ext = self._mailbox(request, "ReadMessages")
        types = enum_values(request, "messageType", MESSAGE_TYPES)
        statuses = enum_values(request, "readStatus", READ_STATUSES)
        directions = enum_values(request, "direction", DIRECTIONS)
        date_to = date_param(request, "dateTo") or self._clock.now()
        date_from = date_param(request, "dateFrom")
        if date_from is None:
            date_from = date_to - DEFAULT_PERIOD
        matching = [
            m
            for m in self._store.messages(ext.id)
            if (not types or m.type in types)
            and (not statuses or m.read_status in statuses)
            and (not directions or m.direction in directions)
            and date_from <= m.creation_time <= date_to
        ]
        extra = {
            key: list(request.query.getall(key))
            for key in ("messageType", "readStatus", "direction", "dateFrom", "dateTo")
            if key in request.query
        }
        path = f"{BASE}/account/{account_id}/extension/{ext.id}/message-store"
        records, meta = paged(request, path, matching, extra_query=extra)
        return web.json_response({**meta, "records": [self._body(request, account_id, m) for m in records]})

    async def get_message(self, request: web.Request) -> web.Response:
        account_id, ext = self._mailbox(request, "ReadMessages")
        return web.json_response(self._body(request, account_id, self._message(ext, request)))

    async def update_message(self, request: web.Request) -> web.Response:
        account_id, ext = self._mailbox(request, "EditMessages")
        message = self._message(ext, request)
        body = await request.json()
        read_status = body.get("readStatus") if isinstance(body, dict) else None
        if read_status not in READ_STATUSES:
            raise invalid("readStatus")
        self._store.set_read_status(message, read_status)
        return web.json_response(self._body(request, account_id, message))

    async def get_content(self, request: web.Request) -> web.Response:
        _, ext = self._mailbox(request, "ReadMessages")
        attachment = self._message(ext, request).attachment(request.match_info["attachmentId"])
        if attachment is None:
            raise not_found("attachmentId")
        return web.Response(body=attachment.content, content_type=attachment.content_type)

    # ---- SMS ---------------------------------------------------------------------------------------

    async def send_sms(self, request: web.Request) -> web.Response:
        account_id, ext = self._mailbox(request, "SMS")
        body = await request.json()
        if not isinstance(body, dict):
            raise invalid("body", "Request body must be a JSON object")
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            raise invalid("text")
        if len(text) > MAX_SMS_LENGTH:
            raise invalid("text", f"Parameter [text] is too long: at most {MAX_SMS_LENGTH} characters")
        sender = body.get("from")
        raw_from = sender.get("phoneNumber") if isinstance(sender, dict) else None
        if not isinstance(raw_from, str):
            raise invalid("from")
        recipients = body.get("to")
        if not isinstance(recipients, list) or not recipients:
            raise invalid("to")
        if len(recipients) > MAX_RECIPIENTS:
            raise RingCentralHTTPError(
                400, "MSG-381", f"Exceeded maximum number of recipients for a Group MMS: [{MAX_RECIPIENTS}]"
            )
        to_numbers = [self._recipient(item) for item in recipients]
        record = self._sending_number(ext, raw_from)
        message = self._store.send_sms(ext, from_number=record.phone_number, to_numbers=to_numbers, text=text)
        body = rest_message(message, base_url(request), account_id, self._clock, sent=True)
        return web.json_response(body)

    def _recipient(self, item: Any) -> str:
        raw = item.get("phoneNumber") if isinstance(item, dict) else None
        if not isinstance(raw, str):
            raise invalid("to")
        return self._number(raw, "to")

    def _sending_number(self, ext: Extension, raw: str) -> NumberRecord:
        record = self._numbers.record(ext, self._number(raw, "from"))
        if record is None:
            raise RingCentralHTTPError(
                400,
                "MSG-245",
                f"Parameter [from] value [{raw}] is invalid "
                "[Cannot find the phone number which belongs to user]",
                parameterName="from",
            )
        if "SmsSender" not in record.features:
            raise RingCentralHTTPError(403, "MSG-367", "The from phone number does not support SMS")
        return record

    def _number(self, raw: str, parameter: str) -> str:
        """A number in E.164 (North American 10 and 11 digit forms are completed); extension and
        short numbers cannot send or receive SMS."""
        digits = _SEPARATORS.sub("", raw)
        plus = digits.startswith("+")
        digits = digits.removeprefix("+")
        if not digits.isdigit() or not digits.isascii():
            raise invalid(parameter)
        if not plus and len(digits) <= 6:
            if self._account.by_number(digits) is not None:
                raise RingCentralHTTPError(
                    400, "MSG-246", "Sending SMS from/to extension numbers is not available"
                )
            raise RingCentralHTTPError(400, "MSG-247", "Sending SMS to short numbers is not available")
        if not plus and len(digits) == 10:
            digits = "1" + digits
        if not 8 <= len(digits) <= 15 or digits.startswith("0"):
            raise invalid(parameter)
        return "+" + digits

    # ---- phone numbers -----------------------------------------------------------------------------

    async def list_phone_numbers(self, request: web.Request) -> web.Response:
        session = self._access.authorize(request, "ReadAccounts")
        account_id = self._access.account_id(request)
        ext = self._access.extension(session, request.match_info["extensionId"])
        if ext is None:
            raise not_found("extensionId")
        usage = enum_values(request, "usageType", _USAGE_TYPES)
        records = [r for r in self._numbers.records(ext) if not usage or r.usage_type in usage]
        path = f"{BASE}/account/{account_id}/extension/{ext.id}/phone-number"
        page, meta = paged(request, path, records, extra_query={"usageType": usage} if usage else None)
        body = [self._number_body(request, account_id, ext, r) for r in page]
        return web.json_response({**meta, "records": body})

    def _number_body(
        self, request: web.Request, account_id: str, ext: Extension, record: NumberRecord
    ) -> dict[str, Any]:
        uri = extension_uri(request, account_id, ext.id)
        body: dict[str, Any] = {
            "uri": f"{uri}/phone-number/{record.id}",
            "id": int(record.id),
            "phoneNumber": record.phone_number,
            "type": record.type,
            "usageType": record.usage_type,
            "features": list(record.features),
            "status": "Normal",
            "paymentType": "Local",
            "country": {"id": "1", "isoCode": "US", "name": "United States", "callingCode": "1"},
        }
        if record.usage_type == "DirectNumber":
            body["extension"] = {"uri": uri, "id": numeric(ext.id), "extensionNumber": ext.extension_number}
            if ext.type in _NUMBER_EXTENSION_TYPES:
                body["extension"]["type"] = ext.type
        return body
