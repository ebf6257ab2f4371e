"""Where the vendored official RingCentral reference data lives (see fixtures/ringcentral/README.md)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

REFERENCE_DIR = Path(__file__).parent / "fixtures" / "ringcentral"
SPEC_PATH = REFERENCE_DIR / "ringcentral-openapi-subset.json"
SAMPLES_DIR = REFERENCE_DIR / "samples"


@cache
def openapi_spec() -> dict[str, Any]:
    """The OpenAPI subset, parsed once per test process (callers must not mutate it)."""
    spec: dict[str, Any] = json.loads(SPEC_PATH.read_text())
    return spec
