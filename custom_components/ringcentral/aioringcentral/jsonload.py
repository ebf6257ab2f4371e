"""Reading JSON that came over the wire, with one error for everything unreadable.

`json.loads` raises `ValueError` for bad syntax and bad UTF-8, but `RecursionError` for a document
nested deeper than the interpreter's recursion limit (`[[[[…`): a single hostile or broken frame
must not escape a receive loop or a request handler as an unexpected exception.
"""

from __future__ import annotations

import json
from typing import Any

from .errors import ParseError


def load_json(raw: str | bytes, what: str) -> Any:
    """The JSON value in `raw`; `ParseError` naming `what` when it is not readable JSON."""
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as err:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise ParseError(f"{what}: not JSON") from err
