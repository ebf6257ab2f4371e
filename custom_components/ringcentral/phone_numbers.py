"""Phone numbers as people type them, checked before anything is sent (shared by the options flow and
the actions; imports neither)."""

from __future__ import annotations

import re
from typing import Final

# Digits with an optional leading +; spaces, dots, dashes and parentheses are ignored. Short numbers
# (an extension, a service code) are allowed: RingCentral decides what it can dial.
_PHONE: Final = re.compile(r"^\+?[0-9]{2,15}$")
_NOISE: Final = re.compile(r"[\s().\-]")


def normalise_phone_number(value: str) -> str | None:
    """The number as RingCentral takes it (`+1 (650) 555-0100` → `+16505550100`), or None."""
    number = _NOISE.sub("", value)
    return number if _PHONE.match(number) else None
