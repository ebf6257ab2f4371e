"""The phone numbers an extension may use (`GET …/extension/{id}/phone-number`) and what each can do.

Every extension owns its direct number (`DirectNumber`, features `CallerId` and `SmsSender`); the
operator (the first administrator) also sees the company's main number (`MainCompanyNumber`,
`CallerId` only: it cannot send SMS). The control API may change a number's features, e.g. to take
`SmsSender` away (sending from it then answers `403 MSG-367`).
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import Account, Extension

DIRECT_FEATURES: tuple[str, ...] = ("CallerId", "SmsSender")
MAIN_NUMBER_FEATURES: tuple[str, ...] = ("CallerId",)
FEATURES: frozenset[str] = frozenset(
    {"CallerId", "SmsSender", "A2PSmsSender", "MmsSender", "InternationalSmsSender", "Delegated"}
)


@dataclass(frozen=True)
class NumberRecord:
    """One number as the phone-number list shows it."""

    id: str
    phone_number: str
    usage_type: str  # DirectNumber | MainCompanyNumber
    features: tuple[str, ...]
    type: str = "VoiceFax"


class PhoneNumbers:
    """Numbers per extension, derived from the account, with feature changes made at run time."""

    def __init__(self, account: Account) -> None:
        self._account = account
        self._features: dict[str, tuple[str, ...]] = {}  # by number: features changed at run time
        self._ids: dict[str, str] = {}
        self._next_id = 1045512008

    def records(self, ext: Extension) -> list[NumberRecord]:
        found = [self._record(ext.phone_number, "DirectNumber", DIRECT_FEATURES)] if ext.phone_number else []
        operator = next((e for e in self._account.extensions.values() if e.admin), None)
        if operator is ext:
            found.append(self._record(self._account.main_number, "MainCompanyNumber", MAIN_NUMBER_FEATURES))
        return found

    def record(self, ext: Extension, phone_number: str) -> NumberRecord | None:
        """The extension's record of a number (None when the number is not the extension's)."""
        return next((r for r in self.records(ext) if r.phone_number == phone_number), None)

    def set_features(self, phone_number: str, features: tuple[str, ...]) -> None:
        self._features[phone_number] = features

    def _record(self, number: str, usage_type: str, default: tuple[str, ...]) -> NumberRecord:
        number_id = self._ids.get(number)
        if number_id is None:
            number_id = self._ids[number] = str(self._next_id)
            self._next_id += 1000
        return NumberRecord(number_id, number, usage_type, self._features.get(number, default))
