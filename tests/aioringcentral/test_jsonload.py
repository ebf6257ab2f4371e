"""`load_json` reads exactly what `json.loads` reads (it decodes with msgspec first, for speed), and
everything unreadable is a ParseError."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custom_components.ringcentral.aioringcentral.errors import ParseError
from custom_components.ringcentral.aioringcentral.jsonload import load_json

# Every JSON value, with integers far beyond 64 bits and floats of every size.
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


def same(a: Any, b: Any) -> bool:
    """Equal, and of the same types all the way down (1 is not 1.0, -0.0 is not 0.0, NaN is NaN)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):
        if math.isnan(a):
            return math.isnan(b)
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    return bool(a == b)


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(JSON_VALUES)
def test_reads_what_json_loads_reads(value: Any) -> None:
    for text in (json.dumps(value), json.dumps(value, ensure_ascii=False)):
        assert same(load_json(text, "t"), json.loads(text))
        raw = text.encode("utf-8", "surrogatepass")
        try:
            expected = json.loads(raw)
        except ValueError:  # a lone surrogate, unescaped: not UTF-8
            with pytest.raises(ParseError):
                load_json(raw, "t")
        else:
            assert same(load_json(raw, "t"), expected)


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=40) | st.binary(max_size=40))
def test_arbitrary_input_is_a_value_or_a_parse_error(raw: str | bytes) -> None:
    """Whatever json.loads accepts is read the same; everything else is a ParseError, never another error."""
    try:
        expected = json.loads(raw)
    except (ValueError, RecursionError):
        with pytest.raises(ParseError, match="what: not JSON"):
            load_json(raw, "what")
    else:
        assert same(load_json(raw, "what"), expected)


@pytest.mark.parametrize(
    "text",
    [
        '{"sequence": 123456789012345678901234567890}',  # beyond 64 bits: exact, never a float
        '{"id": 18446744073709551616, "n": -9223372036854775809}',
        '{"a": 1, "a": 2}',  # the last duplicate wins
        "[NaN, Infinity, 1e400]",  # json.loads's extensions: msgspec refuses them, the fallback reads them
        '["\\ud800"]',  # a lone surrogate escape
    ],
)
def test_edge_cases_match_json_loads(text: str) -> None:
    assert same(load_json(text, "t"), json.loads(text))


def test_big_integers_are_exact() -> None:
    assert load_json('{"sequence": 123456789012345678901234567890}', "t") == {
        "sequence": 123456789012345678901234567890
    }


def test_utf16_bytes_are_read_like_json_loads() -> None:
    raw = json.dumps({"a": "é"}).encode("utf-16")
    assert load_json(raw, "t") == {"a": "é"}


@pytest.mark.parametrize("raw", ["", "{", "[1] x", b"\xff", "[" * 100_000, "\ufeff[1]"])
def test_unreadable_is_a_parse_error(raw: str | bytes) -> None:
    with pytest.raises(ParseError, match="frame: not JSON"):
        load_json(raw, "frame")
