"""Reading JSON that came over the wire, with one error for everything unreadable.

Every frame and answer is decoded here, so the decoder is msgspec's (about 2.5 times as fast as
`json.loads` on a notification). It reads integers of any size exactly, as `json.loads` does; orjson,
which Home Assistant ships, reads those beyond 64 bits as floats. Whatever msgspec refuses is read
again by `json.loads`, so what is accepted, and how, stays exactly `json.loads`'s: it also takes
`NaN`, lone surrogate escapes and UTF-16 bytes, which msgspec does not. Both decoders raise
`RecursionError`, not `ValueError`, for a document nested deeper than the interpreter allows
(`[[[[…`): a single hostile or broken frame must not escape a receive loop or a request handler as
an unexpected exception.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec

from .errors import ParseError

_decode = msgspec.json.Decoder().decode


def load_json(raw: str | bytes, what: str) -> Any:
    """The JSON value in `raw`; `ParseError` naming `what` when it is not readable JSON."""
    try:
        return _decode(raw)
    except (ValueError, RecursionError):  # msgspec.DecodeError is a ValueError
        pass
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as err:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise ParseError(f"{what}: not JSON") from err
