"""Ids that go into URL paths: RingCentral's ids, or `~` for "me"; anything else is refused."""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import quote

_ID: Final = re.compile(r"^[A-Za-z0-9~._!-][A-Za-z0-9~._!=-]*$")


def path_id(value: str) -> str:
    """An id for a URL path; `ValueError` for anything that is not a plain id."""
    if not isinstance(value, str) or not _ID.match(value):
        raise ValueError(f"not a RingCentral id: {value!r:.40}")
    return quote(value, safe="~")
