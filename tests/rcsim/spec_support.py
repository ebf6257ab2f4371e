"""Validation of bodies against the official spec subset: inline response schemas of a path, the
notification schemas, and the official samples (two of which are not valid JSON as published).

Bodies are validated in a strict variant of the schema that also forbids undeclared fields, so a
misspelt field cannot slip through.
"""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from typing import Any

from openapi_schema_validator import OAS30Validator, oas30_format_checker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from tests.reference import SAMPLES_DIR, openapi_spec

SPEC_URI = "urn:ringcentral:openapi-subset"


def _closed(schema: Any) -> Any:
    """A copy of `schema` where every object with declared properties allows no other fields."""
    if isinstance(schema, dict):
        closed = {key: _closed(value) for key, value in schema.items()}
        if "properties" in closed and "additionalProperties" not in closed:
            closed["additionalProperties"] = False
        return closed
    if isinstance(schema, list):
        return [_closed(item) for item in schema]
    return schema


@cache
def _document(strict: bool) -> dict[str, Any]:
    spec = openapi_spec()
    return _closed(copy.deepcopy(spec)) if strict else spec


def _pointer(*parts: str) -> str:
    return "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


def _validator(pointer: str, strict: bool) -> OAS30Validator:
    registry: Registry[Any] = Registry().with_resource(
        SPEC_URI, Resource.from_contents(_document(strict), default_specification=DRAFT4)
    )
    return OAS30Validator(
        {"$ref": f"{SPEC_URI}#/{pointer}"}, registry=registry, format_checker=oas30_format_checker
    )


def response_errors(
    body: Any, method: str, path: str, status: str = "200", *, strict: bool = True
) -> list[str]:
    """What is wrong with `body` as the JSON answer of `method path` (a spec path template)."""
    operation = openapi_spec()["paths"][path][method.lower()]
    responses = operation["responses"]
    code = status if status in responses else "default"
    pointer = _pointer(
        "paths", path, method.lower(), "responses", code, "content", "application/json", "schema"
    )
    errors = sorted(_validator(pointer, strict).iter_errors(body), key=lambda e: list(e.absolute_path))
    return [f"{list(e.absolute_path)}: {e.message}" for e in errors]


def assert_response(body: Any, method: str, path: str, status: str = "200") -> None:
    errors = response_errors(body, method, path, status)
    assert not errors, "\n".join(errors)


def schema_errors(body: Any, name: str, *, strict: bool = True) -> list[str]:
    """What is wrong with `body` as an instance of the component schema `name`."""
    errors = _validator(_pointer("components", "schemas", name), strict).iter_errors(body)
    return [f"{list(e.absolute_path)}: {e.message}" for e in sorted(errors, key=lambda e: list(e.path))]


def assert_schema(body: Any, name: str, *, strict: bool = True) -> None:
    errors = schema_errors(body, name, strict=strict)
    assert not errors, "\n".join(errors)


def sample(name: str) -> dict[str, Any]:
    """An official sample, repaired where it is not JSON as published (`...` placeholders, missing
    and trailing commas): `message.json` and `instant-message.json`."""
    text = (SAMPLES_DIR / name).read_text()
    text = re.sub(r"^\s*\.\.\.\s*$", "", text, flags=re.MULTILINE)
    text = re.sub(r"}\s*{", "}, {", text)
    text = re.sub(r",(\s*[}\]])", r"\1", text)
    data: dict[str, Any] = json.loads(text)
    return data
