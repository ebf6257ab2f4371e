"""Names for numbers: the company directory (the account's extensions plus the company's external
contacts) and each user's personal address book; directory changes are published on the bus.

The directory lists every enabled extension with its direct number, and the external contacts
(`type` `External`). Adding, changing or removing an external contact through the control API
publishes a `directory` event (`contacts[]` with `eventType` `Create` / `Update` / `Delete`, like the
official sample); extensions added at run time are listed but not announced.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .events import EventBus, SimEvent
from .log import SimLog
from .model import Account, Extension

# Contacts of the company directory that are not extensions (a simulated company's usual ones).
DEFAULT_EXTERNAL: tuple[tuple[str, str, str, str], ...] = (
    ("Front", "Desk", "+16505550190", "Simulated Company"),
    ("Wade", "Warren", "+16175550111", "Warren Medical"),
)


@dataclass
class ExternalContact:
    """A company-directory contact that is not an extension."""

    id: str
    first_name: str
    last_name: str
    phone_numbers: list[str]
    company: str | None = None
    email: str | None = None

    @property
    def name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)


@dataclass
class PersonalContact:
    """A contact of one user's personal address book."""

    id: str
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    email: str | None = None
    phones: dict[str, str] = field(default_factory=dict)  # mobilePhone, businessPhone, homePhone ...


class Directory:
    """The company directory's external contacts and every user's address book."""

    def __init__(self, *, account: Account, bus: EventBus, log: SimLog) -> None:
        self._account = account
        self._bus = bus
        self._log = log
        self._next_id = 8798797945
        self.external: dict[str, ExternalContact] = {}
        self._contacts: dict[str, dict[str, PersonalContact]] = {}
        for first, last, number, company in DEFAULT_EXTERNAL:
            contact = ExternalContact(self._id(), first, last, [number], company)
            self.external[contact.id] = contact

    # ---- company directory -------------------------------------------------------------------------

    def entries(self) -> list[dict[str, Any]]:
        """Every directory entry (`records` of `GET /account/~/directory/entries`)."""
        extensions = [e for e in self._account.extensions.values() if e.status == "Enabled"]
        return [
            *(self._extension_entry(e) for e in extensions),
            *map(self._external_entry, self.external.values()),
        ]

    def add_external(
        self, first_name: str, last_name: str, phone_numbers: list[str], company: str | None = None
    ) -> ExternalContact:
        contact = ExternalContact(self._id(), first_name, last_name, list(phone_numbers), company)
        self.external[contact.id] = contact
        self._announce("Create", contact)
        return contact

    def update_external(
        self, contact_id: str, *, name: tuple[str, str] | None = None, phone_numbers: list[str] | None = None
    ) -> ExternalContact:
        contact = self.external[contact_id]
        if name is not None:
            contact.first_name, contact.last_name = name
        if phone_numbers is not None:
            contact.phone_numbers = list(phone_numbers)
        self._announce("Update", contact)
        return contact

    def remove_external(self, contact_id: str) -> ExternalContact:
        contact = self.external.pop(contact_id)
        self._announce("Delete", contact)
        return contact

    def _announce(self, event_type: str, contact: ExternalContact) -> None:
        self._log.record("directory", action=event_type, contact_id=contact.id)
        body = {"contacts": [{"eventType": event_type, **self._external_entry(contact)}]}
        self._bus.publish(SimEvent("directory", self._account.id, body))

    def _extension_entry(self, ext: Extension) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "id": ext.id,
            "type": ext.type,
            "status": ext.status,
            "name": ext.name,
            "firstName": ext.first_name,
            "lastName": ext.last_name,
            "email": ext.email,
            "extensionNumber": ext.extension_number,
            "account": {"id": self._account.id},
            "phoneNumbers": [],
        }
        if ext.phone_number:
            entry["phoneNumbers"].append(
                {"phoneNumber": ext.phone_number, "usageType": "DirectNumber", "type": "VoiceFax"}
            )
        return entry

    def _external_entry(self, contact: ExternalContact) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "id": contact.id,
            "type": "External",
            "status": "Enabled",
            "name": contact.name,
            "firstName": contact.first_name,
            "lastName": contact.last_name,
            "account": {"id": self._account.id},
            "phoneNumbers": [
                {"phoneNumber": number, "usageType": "ContactNumber", "type": "VoiceFax"}
                for number in contact.phone_numbers
            ],
        }
        if contact.company is not None:
            entry["department"] = contact.company
        if contact.email is not None:
            entry["email"] = contact.email
        return entry

    # ---- personal address books --------------------------------------------------------------------

    def contacts(self, extension_id: str) -> list[PersonalContact]:
        return list(self._contacts.get(extension_id, {}).values())

    def add_contact(self, extension_id: str, contact: PersonalContact) -> PersonalContact:
        contact.id = self._id()
        self._contacts.setdefault(extension_id, {})[contact.id] = contact
        self._log.record(
            "directory", action="contact_added", extension_id=extension_id, contact_id=contact.id
        )
        return contact

    def _id(self) -> str:
        self._next_id += 1000
        return str(self._next_id)


def contact_body(contact: PersonalContact, uri: str) -> dict[str, Any]:
    """One record of `GET …/address-book/contact` (`PersonalContactResource`)."""
    body: dict[str, Any] = {"uri": f"{uri}/{contact.id}", "id": int(contact.id), "availability": "Alive"}
    for key, value in (
        ("firstName", contact.first_name),
        ("lastName", contact.last_name),
        ("company", contact.company),
        ("email", contact.email),
    ):
        if value is not None:
            body[key] = value
    body.update(contact.phones)
    return body
