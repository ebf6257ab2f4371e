"""RingCentral batch answers (`207 Multi-Status`): one status and body per requested resource.

Two formats exist: a JSON array `[{resourceId, status, body}]` when the request accepts
`application/vnd.ringcentral.multipart+json` (what this library asks for), and RingCentral's default
`multipart/mixed`, whose first part is a summary `{"response": [{href, status}]}` followed by one
JSON part per resource in the same order. Both are read here, so a server that ignores the `Accept`
header still works.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

from .errors import ParseError
from .jsonload import load_json

BATCH_JSON: Final = "application/vnd.ringcentral.multipart+json"
_BOUNDARY: Final = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)
_HREF_ID: Final = re.compile(r"/extension/([^/?]+)/")


@dataclass(frozen=True, slots=True)
class BatchPart:
    """One resource of a batch answer."""

    resource_id: str | None
    status: int
    body: Any


def parse_batch(raw: bytes, content_type_header: str) -> list[BatchPart]:
    """Parse a 207 answer in either format; `ParseError` when it is neither."""
    if "multipart/mixed" in content_type_header.lower():
        return _parse_multipart(raw, content_type_header)
    data = load_json(raw, "batch answer")
    if not isinstance(data, list):
        raise ParseError("batch answer: expected a JSON array of parts")
    parts = []
    for index, item in enumerate(data):
        if not isinstance(item, dict) or not isinstance(item.get("status"), int):
            raise ParseError(f"batch answer[{index}]: expected an object with an integer status")
        resource = item.get("resourceId")
        parts.append(BatchPart(None if resource is None else str(resource), item["status"], item.get("body")))
    return parts


def _parse_multipart(raw: bytes, content_type_header: str) -> list[BatchPart]:
    match = _BOUNDARY.search(content_type_header)
    if match is None:
        raise ParseError("batch answer: multipart without a boundary")
    delimiter = b"--" + match.group(1).encode()
    bodies: list[Any] = []
    for chunk in raw.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break  # closing delimiter
        _headers, sep, payload = chunk.partition(b"\r\n\r\n")
        if not sep:
            raise ParseError("batch answer: multipart part without headers")
        bodies.append(load_json(payload.strip() or b"null", "batch answer: a multipart part"))
    if not bodies or not isinstance(bodies[0], dict) or not isinstance(bodies[0].get("response"), list):
        raise ParseError("batch answer: multipart without a summary part")
    summary: list[Any] = bodies[0]["response"]
    if len(summary) != len(bodies) - 1:
        raise ParseError("batch answer: summary and parts differ in number")
    parts = []
    for entry, body in zip(summary, bodies[1:], strict=True):
        if not isinstance(entry, dict) or not isinstance(entry.get("status"), int):
            raise ParseError("batch answer: summary entry without an integer status")
        href = entry.get("href")
        found = _HREF_ID.search(href) if isinstance(href, str) else None
        parts.append(BatchPart(found.group(1) if found else None, entry["status"], body))
    return parts
