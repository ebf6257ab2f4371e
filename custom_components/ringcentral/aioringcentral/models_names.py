"""Typed, immutable views of names for numbers: company-directory entries (REST and directory
notifications) and the user's personal contacts.

The same rules as `models`: ids are `str`, missing optional fields are `None`, an unusable payload
raises `ParseError`. Parsing is pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .models.codes import status_is
from .models.readers import _list, _mapping, _opt_str, _opt_strs, _req_str

# Fields of a personal contact that hold phone numbers (fax fields are left out: nobody calls from them).
_CONTACT_PHONES = (
    "businessPhone",
    "businessPhone2",
    "mobilePhone",
    "homePhone",
    "homePhone2",
    "companyPhone",
    "carPhone",
    "otherPhone",
    "callbackPhone",
    "assistantPhone",
)


def _name(data: Mapping[str, Any], what: str) -> str | None:
    """`name`, else `firstName lastName`, else None."""
    name, first, last = _opt_strs(data, what, "name", "firstName", "lastName")
    if name:
        return name
    return " ".join(part for part in (first, last) if part) or None


@dataclass(frozen=True, slots=True)
class DirectoryEntry:
    """A company-directory entry: an extension of the account or an external contact."""

    id: str
    name: str | None
    numbers: tuple[str, ...]
    extension_number: str | None = None
    type: str | None = None

    @classmethod
    def from_dict(cls, raw: Any, what: str = "directoryEntry") -> DirectoryEntry:
        data = _mapping(raw, what)
        numbers = []
        for index, item in enumerate(_list(data, "phoneNumbers", what)):
            number = _opt_str(_mapping(item, f"{what}.phoneNumbers[{index}]"), "phoneNumber", what)
            if number:
                numbers.append(number)
        extension_number, kind = _opt_strs(data, what, "extensionNumber", "type")
        return cls(
            id=_req_str(data, "id", what),
            name=_name(data, what),
            numbers=tuple(numbers),
            extension_number=extension_number,
            type=kind,
        )


@dataclass(frozen=True, slots=True)
class Contact:
    """A personal contact of the user's address book."""

    id: str
    name: str | None
    numbers: tuple[str, ...]

    @classmethod
    def from_dict(cls, raw: Any, what: str = "contact") -> Contact:
        data = _mapping(raw, what)
        name = _name(data, what) or _opt_str(data, "company", what)
        numbers = tuple(n for n in _opt_strs(data, what, *_CONTACT_PHONES) if n)
        return cls(id=_req_str(data, "id", what), name=name, numbers=numbers)


@dataclass(frozen=True, slots=True)
class DirectoryChange:
    """One entry of a directory notification: `Create`, `Update` or `Delete` of an entry."""

    event_type: str | None
    entry: DirectoryEntry

    @property
    def deleted(self) -> bool:
        return status_is(self.event_type, "Delete")


@dataclass(frozen=True, slots=True)
class DirectoryEvent:
    """A company-directory notification body."""

    changes: tuple[DirectoryChange, ...]

    @classmethod
    def from_dict(cls, raw: Any) -> DirectoryEvent:
        what = "directory"
        data = _mapping(raw, what)
        changes = []
        for index, item in enumerate(_list(data, "contacts", what)):
            where = f"{what}.contacts[{index}]"
            entry = _mapping(item, where)
            changes.append(
                DirectoryChange(_opt_str(entry, "eventType", where), DirectoryEntry.from_dict(entry, where))
            )
        return cls(changes=tuple(changes))


def parse_directory_event(body: Any) -> DirectoryEvent:
    """Parse a company-directory notification body."""
    return DirectoryEvent.from_dict(body)
