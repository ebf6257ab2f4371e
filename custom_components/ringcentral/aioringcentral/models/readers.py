"""The tolerant field readers every model's `from_dict` is built from, and `parse_time`.

A field of the wrong type raises `ParseError` naming the field (never `KeyError` / `TypeError`);
ids come as JSON numbers or strings and are read as `str`; missing or `null` optional fields are `None`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ..errors import ParseError

# The readers below test the common JSON types first, by exact type: `isinstance` against an ABC
# (Mapping) or a union costs several times more, and they run for every field of every notification.


def _mapping(raw: Any, what: str) -> Mapping[str, Any]:
    if type(raw) is dict:
        return raw
    if not isinstance(raw, Mapping):
        raise ParseError(f"{what}: expected a JSON object, got {type(raw).__name__}")
    return raw


def _opt_mapping(data: Mapping[str, Any], key: str, what: str) -> Mapping[str, Any] | None:
    value = data.get(key)
    if value is None:
        return None
    return _mapping(value, f"{what}.{key}")


def _list(data: Mapping[str, Any], key: str, what: str) -> list[Any]:
    value = data.get(key)
    if type(value) is list:
        return value
    if value is None:
        return []
    if not isinstance(value, list):
        raise ParseError(f"{what}.{key}: expected a list, got {type(value).__name__}")
    return value


def _opt_str(data: Mapping[str, Any], key: str, what: str) -> str | None:
    """A string field; numbers become strings (ids come as both)."""
    value = data.get(key)
    if value is None or type(value) is str:
        return value
    return _coerce_str(value, key, what)


_STR_OR_NONE: frozenset[type] = frozenset({str, type(None)})


def _opt_strs(data: Mapping[str, Any], what: str, *keys: str) -> list[str | None]:
    """`_opt_str` of several fields in one call: one check for all of them in the usual case."""
    values = list(map(data.get, keys))
    if _STR_OR_NONE.issuperset(map(type, values)):
        return values
    return [
        value if value is None or type(value) is str else _coerce_str(value, key, what)
        for key, value in zip(keys, values, strict=True)
    ]


def _coerce_str(value: Any, key: str, what: str) -> str:
    """The slow path of `_opt_str`: str subclasses and integer ids."""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise ParseError(f"{what}.{key}: expected a string, got {type(value).__name__}")


def _req_str(data: Mapping[str, Any], key: str, what: str) -> str:
    value = _opt_str(data, key, what)
    if value is None or value == "":
        raise ParseError(f"{what}.{key}: required but missing")
    return value


def _opt_bool(data: Mapping[str, Any], key: str, what: str) -> bool | None:
    value = data.get(key)
    if value is None or value is True or value is False:
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ParseError(f"{what}.{key}: expected a boolean, got {type(value).__name__}")


def _opt_int(data: Mapping[str, Any], key: str, what: str) -> int | None:
    value = data.get(key)
    if value is None or type(value) is int:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isascii():
        try:
            return int(value)
        except ValueError:
            pass
    raise ParseError(f"{what}.{key}: expected an integer, got {value!r:.40}")


def parse_time(value: Any, what: str = "time") -> datetime | None:
    """An ISO 8601 timestamp (`Z`, `+00:00` or `+0000`; naive means UTC) or epoch milliseconds, as UTC.

    `None` and `""` give `None`; anything else unreadable raises `ParseError`.
    """
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value / 1000, UTC)
        except (OverflowError, OSError, ValueError) as err:
            raise ParseError(f"{what}: epoch milliseconds out of range: {value!r}") from err
    if not isinstance(value, str):
        raise ParseError(f"{what}: expected a timestamp string, got {type(value).__name__}")
    text = value.strip()
    if text.isascii() and text.isdigit():
        return parse_time(int(text), what)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as err:
        raise ParseError(f"{what}: not an ISO 8601 timestamp: {value!r:.60}") from err
    if parsed.tzinfo is UTC:
        return parsed  # the usual `Z`: nothing to convert
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _opt_time(data: Mapping[str, Any], key: str, what: str) -> datetime | None:
    return _time_value(data.get(key), key, what)


def _time_value(value: Any, key: str, what: str) -> datetime | None:
    """`parse_time` of field `key`; the usual `…Z` first, without building the error's field name."""
    if type(value) is str and value[-1:] == "Z":
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            if parsed.tzinfo is UTC:
                return parsed
    return parse_time(value, f"{what}.{key}")
