"""Names for phone numbers: the company directory first, then the user's personal contacts.

Pure and HA-free: no I/O, time passed in. `DirectoryCache` is filled by a refresh (the caller reads
`GET /account/~/directory/entries` and, when allowed, the personal contacts, and hands them over),
patched by directory notifications, and says when the next refresh is due: rarely (every
`refresh_interval`, 12 h by default), sooner only when the caller marks it stale (notifications may
have been lost), and never within `min_refresh_interval` of the last attempt, so name lookups can
never use up the rate budget that call state needs.

Numbers are compared in E.164 (`normalize_number`); short numbers (extension numbers) match the
directory's extension numbers. Memory is bounded: at most `max_entries` entries in all, each with at
most `max_numbers_per_entry` numbers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from .models_names import Contact, DirectoryEntry, DirectoryEvent

DEFAULT_REFRESH_INTERVAL: Final = 12 * 3600.0
DEFAULT_MIN_REFRESH_INTERVAL: Final = 15 * 60.0
DEFAULT_MAX_ENTRIES: Final = 10_000
DEFAULT_MAX_NUMBERS_PER_ENTRY: Final = 10
# Extension numbers are short; anything longer that is not a phone number matches nothing.
MAX_EXTENSION_DIGITS: Final = 8

_SEPARATORS: Final = re.compile(r"[\s().\-/\u00a0\u2010-\u2015]")
_E164: Final = re.compile(r"^\+[1-9]\d{6,14}$")
_URI_SCHEME: Final = re.compile(r"^(?:tel|sip|sips):", re.IGNORECASE)


def normalize_number(raw: str | None, *, default_country_code: str = "1") -> str | None:
    """The E.164 form (`+16505550100`) of a phone number, or None when `raw` is not one.

    Accepts `+` and `00` international forms, `tel:` / `sip:` URIs, separators (spaces, dashes, dots,
    parentheses), and national numbers of the default country: for `1` (North America) 10 digits or 11
    starting with 1 (and `011` as the international prefix), elsewhere numbers with a trunk `0`.
    Extension numbers, names and anything else give None.
    """
    if not isinstance(raw, str):
        return None
    text = _URI_SCHEME.sub("", raw.strip())
    text = text.split("@", 1)[0].split(";", 1)[0]
    text = _SEPARATORS.sub("", text)
    if text.startswith("+"):
        digits = text[1:]
    elif text.startswith("00"):
        digits = text[2:]
    elif text.startswith("011") and default_country_code == "1":
        digits = text[3:]
    elif default_country_code == "1":
        digits = _north_american(text)
    elif text.startswith("0") and not text.startswith("00"):
        digits = default_country_code + text[1:]
    else:
        return None
    if not digits.isascii() or not digits.isdigit():
        return None
    candidate = "+" + digits
    return candidate if _E164.match(candidate) else None


def _north_american(text: str) -> str:
    """`1NXXNXXXXXX` for a 10-digit or 11-digit (leading 1) North American number, else ``."""
    if len(text) == 10 and text[:1] not in ("0", "1"):
        return "1" + text
    if len(text) == 11 and text.startswith("1") and text[1:2] not in ("0", "1"):
        return text
    return ""


def _extension_key(raw: str) -> str | None:
    digits = _SEPARATORS.sub("", raw.strip())
    if digits.isascii() and digits.isdigit() and len(digits) <= MAX_EXTENSION_DIGITS:
        return digits
    return None


@dataclass(frozen=True, slots=True)
class _Named:
    """An entry as the cache keeps it: an id, a name and its numbers (already bounded)."""

    id: str
    name: str
    numbers: tuple[str, ...]
    extension_number: str | None = None


class DirectoryCache:
    """Name lookups for numbers, from the company directory and the user's personal contacts."""

    def __init__(
        self,
        *,
        refresh_interval: float = DEFAULT_REFRESH_INTERVAL,
        min_refresh_interval: float = DEFAULT_MIN_REFRESH_INTERVAL,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        max_numbers_per_entry: int = DEFAULT_MAX_NUMBERS_PER_ENTRY,
        default_country_code: str = "1",
    ) -> None:
        if not 0 < min_refresh_interval <= refresh_interval:
            raise ValueError("need 0 < min_refresh_interval <= refresh_interval")
        if max_entries < 1 or max_numbers_per_entry < 1:
            raise ValueError("max_entries and max_numbers_per_entry must be positive")
        if not default_country_code.isdigit():
            raise ValueError("default_country_code must be digits, e.g. 1 or 44")
        self.refresh_interval = refresh_interval
        self.min_refresh_interval = min_refresh_interval
        self.max_entries = max_entries
        self.max_numbers_per_entry = max_numbers_per_entry
        self.default_country_code = default_country_code
        self._company: dict[str, _Named] = {}
        self._contacts: dict[str, _Named] = {}
        self._by_number: dict[str, str] = {}
        self._by_extension: dict[str, str] = {}
        self._by_contact_number: dict[str, str] = {}
        self._last_refresh: float | None = None
        self._last_attempt: float | None = None
        self._stale = False

    def __len__(self) -> int:
        return len(self._company) + len(self._contacts)

    # ---- lookups -----------------------------------------------------------------------------------

    def lookup(self, number: str | None) -> str | None:
        """The name for a number: the company directory's, else a personal contact's, else None."""
        if not number:
            return None
        e164 = normalize_number(number, default_country_code=self.default_country_code)
        if e164 is not None:
            return self._by_number.get(e164) or self._by_contact_number.get(e164)
        key = _extension_key(number)
        return None if key is None else self._by_extension.get(key)

    # ---- filling -----------------------------------------------------------------------------------

    def replace_directory(self, entries: Iterable[DirectoryEntry], now: float) -> None:
        """A refresh read the company directory: it replaces what was known (contacts are kept)."""
        self._company = {}
        for entry in entries:
            self._put(self._company, entry.id, entry.name, entry.numbers, entry.extension_number)
        self._last_refresh = now
        self._stale = False
        self._reindex()

    def replace_contacts(self, contacts: Iterable[Contact]) -> None:
        """A refresh read the personal contacts: they replace the previous ones."""
        self._contacts = {}
        for contact in contacts:
            self._put(self._contacts, contact.id, contact.name, contact.numbers, None)
        self._reindex()

    def clear_contacts(self) -> None:
        """Forget the personal contacts (the option was turned off, or ReadContacts is missing)."""
        self._contacts = {}
        self._reindex()

    def apply(self, event: DirectoryEvent) -> bool:
        """Patch the company directory from a notification; True when a lookup may answer differently."""
        changed = False
        for change in event.changes:
            entry = change.entry
            if change.deleted:
                changed = self._company.pop(entry.id, None) is not None or changed
            else:
                before = self._company.get(entry.id)
                self._put(self._company, entry.id, entry.name, entry.numbers, entry.extension_number)
                changed = changed or self._company.get(entry.id) != before
        if changed:
            self._reindex()
        return changed

    def _put(
        self,
        into: dict[str, _Named],
        entry_id: str,
        name: str | None,
        numbers: Iterable[str],
        extension_number: str | None,
    ) -> None:
        if not name:
            into.pop(entry_id, None)  # nothing to show for it
            return
        if entry_id not in into and len(self) >= self.max_entries:
            return  # full: the bound wins over completeness
        kept: list[str] = []
        for raw in numbers:
            e164 = normalize_number(raw, default_country_code=self.default_country_code)
            if e164 is not None and e164 not in kept:
                kept.append(e164)
            if len(kept) >= self.max_numbers_per_entry:
                break
        key = None if extension_number is None else _extension_key(extension_number)
        into[entry_id] = _Named(entry_id, name, tuple(kept), key)

    def _reindex(self) -> None:
        """Rebuild the number indexes; the first entry (in directory order) wins a shared number."""
        self._by_number = {}
        self._by_extension = {}
        for entry in self._company.values():
            for number in entry.numbers:
                self._by_number.setdefault(number, entry.name)
            if entry.extension_number is not None:
                self._by_extension.setdefault(entry.extension_number, entry.name)
        self._by_contact_number = {}
        for entry in self._contacts.values():
            for number in entry.numbers:
                self._by_contact_number.setdefault(number, entry.name)

    # ---- refresh cadence ---------------------------------------------------------------------------

    def refresh_due(self, now: float) -> bool:
        """Whether the caller should refresh now (call `begin_refresh` when it starts)."""
        if self._last_attempt is not None:
            elapsed = now - self._last_attempt
            # A clock that went backwards allows one refresh, which then restarts the count.
            if 0 <= elapsed < self.min_refresh_interval:
                return False
        if self._last_refresh is None or self._stale:
            return True
        return now - self._last_refresh >= self.refresh_interval or now < self._last_refresh

    def next_refresh_at(self, now: float) -> float:
        """When `refresh_due` turns true at the earliest (`now` when it already is)."""
        if self.refresh_due(now):
            return now
        floor = -math.inf if self._last_attempt is None else self._last_attempt + self.min_refresh_interval
        if self._last_refresh is None or self._stale:
            return max(now, floor)
        return max(now, floor, self._last_refresh + self.refresh_interval)

    def begin_refresh(self, now: float) -> None:
        """A refresh starts (successful or not, the next one waits at least `min_refresh_interval`)."""
        self._last_attempt = now

    def mark_stale(self) -> None:
        """Directory notifications may have been lost: refresh as soon as the floor allows."""
        self._stale = True

    def diagnostics(self) -> dict[str, Any]:
        """Sizes and times only: no names or numbers."""
        return {
            "directory_entries": len(self._company),
            "contacts": len(self._contacts),
            "numbers": len(self._by_number) + len(self._by_contact_number),
            "last_refresh": self._last_refresh,
            "stale": self._stale,
        }
