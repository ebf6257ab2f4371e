"""Control API: what happens on phones and in the company, for messages and names.

`/sim/sms` (an SMS arrives), `/sim/voicemail` (a voicemail is left without a call),
`/sim/messages` (list, "read on the phone", settings), `/sim/phone-numbers` (a number's features),
`/sim/directory` (external contacts of the company directory) and `/sim/contacts` (personal contacts).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .control import ControlError, get_field, json_object, known_extension, number
from .directory import Directory, PersonalContact
from .message_model import MAX_SMS_LENGTH, READ, UNREAD, StoredMessage
from .messages import MessageStore
from .model import Account
from .phone_numbers import FEATURES, PhoneNumbers

_CONTACT_PHONES = {
    "mobile_phone": "mobilePhone",
    "business_phone": "businessPhone",
    "home_phone": "homePhone",
}


def describe_message(message: StoredMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "extension_id": message.extension_id,
        "type": message.type,
        "direction": message.direction,
        "from": message.from_.phone_number,
        "to": [a.phone_number for a in message.to],
        "read_status": message.read_status,
        "message_status": message.message_status,
        "text": message.subject,
        "duration": message.vm_duration,
        "transcription": message.transcription,
    }


class MessageControl:
    """The request handlers, over the account, the message store, the numbers and the directory."""

    def __init__(
        self, account: Account, store: MessageStore, numbers: PhoneNumbers, directory: Directory
    ) -> None:
        self._account = account
        self._store = store
        self._numbers = numbers
        self._directory = directory

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_post("/sim/sms", self.receive_sms)
        router.add_post("/sim/voicemail", self.leave_voicemail)
        router.add_get("/sim/messages", self.list_messages)
        router.add_post("/sim/messages/config", self.configure)
        router.add_post("/sim/messages/{messageId}/read", self.read_on_phone)
        router.add_post("/sim/phone-numbers", self.set_features)
        router.add_post("/sim/directory", self.add_external)
        router.add_put("/sim/directory/{contactId}", self.update_external)
        router.add_delete("/sim/directory/{contactId}", self.remove_external)
        router.add_post("/sim/contacts", self.add_contact)

    # ---- messages ----------------------------------------------------------------------------------

    async def receive_sms(self, request: web.Request) -> web.Response:
        body = await json_object(request)
        ext = known_extension(self._account, body, "to_extension")
        sender = _nonempty(body, "from")
        text = get_field(body, "text", str, required=True)
        if not text or len(text) > MAX_SMS_LENGTH:
            raise ControlError(f"Field [text] must be 1 to {MAX_SMS_LENGTH} characters")
        message = self._store.receive_sms(
            ext, from_number=sender, text=text, from_name=get_field(body, "from_name", str)
        )
        return web.json_response(describe_message(message), status=201)

    async def leave_voicemail(self, request: web.Request) -> web.Response:
        body = await json_object(request)
        ext = known_extension(self._account, body, "to_extension")
        message = self._store.leave_voicemail(
            ext,
            from_number=_nonempty(body, "from"),
            from_name=get_field(body, "from_name", str),
            duration=round(number(body, "duration", minimum=1) or 10),
            transcription=get_field(body, "transcription", str),
        )
        return web.json_response(describe_message(message), status=201)

    async def list_messages(self, request: web.Request) -> web.Response:
        ext_id = request.query.get("extension_id")
        if ext_id is None or ext_id not in self._account.extensions:
            raise ControlError("Query parameter [extension_id] must name an extension")
        return web.json_response({"messages": [describe_message(m) for m in self._store.messages(ext_id)]})

    async def configure(self, request: web.Request) -> web.Response:
        body = await json_object(request)
        transcribe = get_field(body, "transcribe_voicemail", bool, required=True)
        self._store.transcribe = transcribe
        return web.json_response({"transcribe_voicemail": transcribe})

    async def read_on_phone(self, request: web.Request) -> web.Response:
        """The user reads (or marks unread) a message on a phone or in the app."""
        body = await json_object(request)
        message = self._store.find(request.match_info["messageId"])
        if message is None:
            raise ControlError(f"Unknown message {request.match_info['messageId']!r}")
        read = get_field(body, "read", bool)
        self._store.set_read_status(message, UNREAD if read is False else READ)
        return web.json_response(describe_message(message))

    # ---- numbers and names -------------------------------------------------------------------------

    async def set_features(self, request: web.Request) -> web.Response:
        body = await json_object(request)
        phone_number = _nonempty(body, "phone_number")
        features = get_field(body, "features", list, required=True)
        unknown = [f for f in features if f not in FEATURES]
        if unknown:
            raise ControlError(f"Field [features]: unknown feature(s) {unknown}; known: {sorted(FEATURES)}")
        owners = [e for e in self._account.extensions.values() if self._numbers.record(e, phone_number)]
        if not owners:
            raise ControlError(f"Field [phone_number]: no extension has {phone_number!r}")
        self._numbers.set_features(phone_number, tuple(features))
        return web.json_response({"phone_number": phone_number, "features": features})

    async def add_external(self, request: web.Request) -> web.Response:
        body = await json_object(request)
        contact = self._directory.add_external(
            _nonempty(body, "first_name"),
            get_field(body, "last_name", str) or "",
            _numbers(body),
            get_field(body, "company", str),
        )
        return web.json_response({"id": contact.id, "name": contact.name}, status=201)

    async def update_external(self, request: web.Request) -> web.Response:
        body = await json_object(request)
        contact_id = self._external_id(request)
        first = get_field(body, "first_name", str)
        name = None if first is None else (first, get_field(body, "last_name", str) or "")
        phone_numbers = _numbers(body) if "phone_numbers" in body else None
        contact = self._directory.update_external(contact_id, name=name, phone_numbers=phone_numbers)
        return web.json_response({"id": contact.id, "name": contact.name})

    async def remove_external(self, request: web.Request) -> web.Response:
        contact = self._directory.remove_external(self._external_id(request))
        return web.json_response({"id": contact.id, "name": contact.name})

    def _external_id(self, request: web.Request) -> str:
        contact_id = request.match_info["contactId"]
        if contact_id not in self._directory.external:
            raise ControlError(f"Unknown directory contact {contact_id!r}")
        return contact_id

    async def add_contact(self, request: web.Request) -> web.Response:
        body = await json_object(request)
        ext = known_extension(self._account, body, "extension_id")
        contact = PersonalContact(
            id="",
            first_name=get_field(body, "first_name", str),
            last_name=get_field(body, "last_name", str),
            company=get_field(body, "company", str),
            email=get_field(body, "email", str),
            phones={
                api_key: value
                for key, api_key in _CONTACT_PHONES.items()
                if (value := get_field(body, key, str)) is not None
            },
        )
        if not (contact.first_name or contact.last_name or contact.company):
            raise ControlError("Give [first_name], [last_name] or [company]")
        self._directory.add_contact(ext.id, contact)
        return web.json_response({"id": contact.id}, status=201)


def _nonempty(body: dict[str, Any], key: str) -> str:
    value: str = get_field(body, key, str, required=True)
    if not value.strip():
        raise ControlError(f"Field [{key}] must not be empty")
    return value


def _numbers(body: dict[str, Any]) -> list[str]:
    numbers = get_field(body, "phone_numbers", list, required=True)
    if not numbers or not all(isinstance(n, str) and n.strip() for n in numbers):
        raise ControlError("Field [phone_numbers] must be a non-empty list of numbers")
    return list(numbers)
