"""HTTP Basic client credentials for requests to the simulator's OAuth endpoints.

Written out (RFC 7617) instead of `aiohttp.BasicAuth`, which aiohttp 3.14 deprecates, so the same
tests run on every aiohttp the supported Home Assistant versions ship.
"""

from __future__ import annotations

import base64


def basic_headers(client_id: str, client_secret: str) -> dict[str, str]:
    """The `Authorization: Basic` header for an app's id and secret."""
    credentials = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode("ascii")
    return {"Authorization": f"Basic {credentials}"}
