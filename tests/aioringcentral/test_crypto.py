"""RingCentral's PubNub payload crypto: known vectors, the simulator's encoder, and bad input."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custom_components.ringcentral.aioringcentral.crypto import (
    decode_key,
    decrypt_notification,
    encrypt_notification,
)
from custom_components.ringcentral.aioringcentral.errors import ParseError
from rcsim.pubnub_gateway import encrypt as sim_encrypt

KEY = base64.b64encode(bytes(range(16))).decode()
OTHER_KEY = base64.b64encode(bytes(range(1, 17))).decode()

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=12,
)


def test_known_vector() -> None:
    # AES-128-ECB of '{}' + 14 bytes of PKCS#7 padding under key 00..0f (computed independently
    # with pycryptodome, which the simulator uses).
    payload = sim_encrypt({}, bytes(range(16)))
    assert decrypt_notification(payload, KEY) == {}
    assert encrypt_notification({}, KEY) == payload


@given(st.dictionaries(st.text(), json_values, max_size=6))
def test_simulator_payloads_decrypt(notification: dict[str, Any]) -> None:
    payload = sim_encrypt(notification, bytes(range(16)))
    assert decrypt_notification(payload, KEY) == notification
    assert decrypt_notification(encrypt_notification(notification, KEY), KEY) == notification


@pytest.mark.parametrize(
    ("payload", "key", "message"),
    [
        ("not base64!", KEY, "not valid base64"),
        (base64.b64encode(b"short").decode(), KEY, "whole number of AES blocks"),
        ("", KEY, "whole number of AES blocks"),
        (encrypt_notification({"a": 1}, KEY), OTHER_KEY, "wrong encryptionKey"),
        (encrypt_notification({"a": 1}, KEY), "AAAA", "16 bytes"),
        (encrypt_notification({"a": 1}, KEY), "%%%", "not valid base64"),
    ],
)
def test_bad_input_raises_parse_error(payload: str, key: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        decrypt_notification(payload, key)


def test_non_object_json_is_refused() -> None:
    payload = sim_encrypt([1, 2], bytes(range(16)))  # type: ignore[arg-type]
    with pytest.raises(ParseError, match="JSON object"):
        decrypt_notification(payload, KEY)


def test_decode_key() -> None:
    assert decode_key(KEY) == bytes(range(16))
    with pytest.raises(ParseError):
        decode_key(base64.b64encode(bytes(32)).decode())
