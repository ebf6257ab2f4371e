"""Argument checks shared by the REST methods: a bad argument is a `ValueError` before anything is sent.

Messages name the argument, never echo more than a short prefix of the value (phone numbers stay out
of logs built from them).
"""

from __future__ import annotations

import math
import re
from typing import Final
from urllib.parse import quote

# Ids go into paths: RingCentral ids are digits, `~` means "me"; reject anything else clearly.
_ID: Final = re.compile(r"^[A-Za-z0-9~._!-][A-Za-z0-9~._!=-]*$")
# E.164-ish: an optional `+` and 7 to 15 digits, nothing else (callers strip spaces and dashes).
_PHONE_NUMBER: Final = re.compile(r"^\+?[0-9]{7,15}$")
_EXTENSION_NUMBER: Final = re.compile(r"^[0-9]{1,16}$")


def path_id(value: str, name: str = "id") -> str:
    """A RingCentral id (or `~`), quoted for a URL path."""
    if not isinstance(value, str) or not _ID.match(value):
        raise ValueError(f"not a RingCentral id for {name}: {value!r:.40}")
    return quote(value, safe="~")


def phone_number(value: str, name: str = "phone number") -> str:
    if not isinstance(value, str) or not _PHONE_NUMBER.match(value):
        raise ValueError(f"{name} must be a phone number: an optional + and 7 to 15 digits")
    return value


def extension_number(value: str, name: str = "extension number") -> str:
    if not isinstance(value, str) or not _EXTENSION_NUMBER.match(value):
        raise ValueError(f"{name} must be an extension number (digits only)")
    return value


def one_of(value: str, allowed: tuple[str, ...], name: str) -> str:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {value!r:.40}")
    return value


def max_wait(value: float | None) -> float | None:
    """A wait allowance: None (the limiter's) or a finite number of seconds >= 0."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise ValueError(f"max_wait must be None or a number of seconds >= 0, not {value!r:.40}")
    return float(value)
