"""RingCentral's PubNub payload encryption: base64(AES-128-ECB(PKCS#7(UTF-8 JSON))).

The key is the subscription's `deliveryMode.encryptionKey`, base64-encoded 16 bytes. ECB is what
RingCentral chose for this legacy transport; it is not a choice this library makes.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from .errors import ParseError
from .jsonload import load_json

_BLOCK_BITS = 128


def decode_key(encryption_key: str) -> bytes:
    """The raw AES key of a base64 `encryptionKey`; `ParseError` unless it is 16 bytes."""
    try:
        key = base64.b64decode(encryption_key, validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise ParseError("PubNub encryptionKey is not valid base64") from None
    if len(key) != 16:
        raise ParseError(f"PubNub encryptionKey must be 16 bytes (AES-128), got {len(key)}")
    return key


def decrypt_notification(payload: str, encryption_key: str) -> dict[str, Any]:
    """The notification object inside an encrypted PubNub message; `ParseError` for anything else."""
    key = decode_key(encryption_key)
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise ParseError("PubNub message is not valid base64") from None
    if not data or len(data) % 16:
        raise ParseError(f"PubNub message is not a whole number of AES blocks ({len(data)} bytes)")
    decryptor = Cipher(algorithms.AES(key), modes.ECB()).decryptor()  # noqa: S305  (RingCentral's format)
    padded = decryptor.update(data) + decryptor.finalize()
    unpadder = padding.PKCS7(_BLOCK_BITS).unpadder()
    try:
        plain = unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        raise ParseError("PubNub message has invalid padding (wrong encryptionKey?)") from None
    try:
        result = load_json(plain, "PubNub message")
    except ParseError:
        raise ParseError("PubNub message does not decrypt to JSON (wrong encryptionKey?)") from None
    if not isinstance(result, dict):
        raise ParseError("PubNub message does not decrypt to a JSON object")
    return result


def encrypt_notification(notification: dict[str, Any], encryption_key: str) -> str:
    """The reverse of `decrypt_notification` (what RingCentral publishes); used by tests and tools."""
    key = decode_key(encryption_key)
    padder = padding.PKCS7(_BLOCK_BITS).padder()
    plain = json.dumps(notification, separators=(",", ":")).encode("utf-8")
    padded = padder.update(plain) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()  # noqa: S305  (RingCentral's format)
    return base64.b64encode(encryptor.update(padded) + encryptor.finalize()).decode("ascii")
