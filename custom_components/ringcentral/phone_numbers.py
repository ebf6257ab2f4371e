"""Phone numbers as people type them, checked before anything is sent (shared by the options flow and
the actions; imports neither)."""

from __future__ import annotations

import re
from typing import Final

# Digits with an optional leading +, 7 to 15 of them (E.164 at most; what the client library accepts);
# spaces, dots, dashes and parentheses are ignored. Extensions are reached by extension number instead.
_PHONE: Final = re.compile(r"^\+?[0-9]{7,15}$")
_NOISE: Final = re.compile(r"[\s().\-]")


def normalise_phone_number(value: str) -> str | None:
    """The number as RingCentral takes it (`+1 (650) 555-0100` → `+16505550100`), or None."""
    number = _NOISE.sub("", value)
    return number if _PHONE.match(number) else None
