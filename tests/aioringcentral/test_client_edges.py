"""Edges of the client: errors RingCentral answers with, and calls the integration makes rarely.

Against the simulator over loopback (its HTTP fault injection stands in for RingCentral's failures);
answer parsing that no simulator produces is tested on the parsers directly.
"""

from __future__ import annotations

import re
from typing import Any

import aiohttp
import pytest

from custom_components.ringcentral.aioringcentral.auth import TokenSet
from custom_components.ringcentral.aioringcentral.errors import (
    ApiError,
    InvalidCredentialsError,
    MissingPermissionsError,
    ParseError,
    RateLimitedError,
    RingCentralError,
    TemporarilyUnavailableError,
)
from custom_components.ringcentral.aioringcentral.models import parse_presence, parse_time
from custom_components.ringcentral.aioringcentral.requester import (
    Response,
    error_details,
    error_from_response,
)
from custom_components.ringcentral.aioringcentral.transport import describe_error
from rcsim import Simulator
from rcsim.faults import HttpFault

from .conftest import ClientFactory


def _fault(sim: Simulator, path: str, status: int, *, count: int = 1, method: str | None = None) -> None:
    sim.state.faults.http.append(
        HttpFault(path=re.compile(path), status=status, method=method, remaining=count)
    )


def _response(status: int, raw: bytes, headers: dict[str, str] | None = None) -> Response:
    return Response(status=status, headers=headers or {}, content_type="application/json", raw=raw)


# --- auth ----------------------------------------------------------------------------------------------


async def test_explicit_login_and_refresh(sim: Simulator, make_client: ClientFactory) -> None:
    client = make_client(sim)
    first = await client.auth.login()
    refreshed = await client.auth.refresh()
    assert refreshed.access_token != first.access_token
    assert client.auth.refreshes == 1
    assert "logged_in=True" in repr(client.auth)
    assert first.access_token not in repr(client.auth)
    await client.close()


async def test_revocation_failure_still_forgets_the_tokens(
    sim: Simulator, make_client: ClientFactory
) -> None:
    client = make_client(sim, max_retries=0)
    await client.login()
    _fault(sim, r"/restapi/oauth/revoke$", 503, count=5)
    assert await client.auth.revoke() is False
    assert client.tokens is None


async def test_revocation_refused_is_not_confirmed(sim: Simulator, make_client: ClientFactory) -> None:
    client = make_client(sim)
    await client.login()
    _fault(sim, r"/restapi/oauth/revoke$", 400)
    assert await client.auth.revoke() is False
    assert client.tokens is None


async def test_refresh_server_error_is_raised(sim: Simulator, make_client: ClientFactory) -> None:
    """A 5xx on refresh is not a refused refresh token: no JWT login, the error goes up."""
    client = make_client(sim, max_retries=0)
    await client.login()
    _fault(sim, r"/restapi/oauth/token$", 503, count=5)
    with pytest.raises(RingCentralError) as raised:
        await client.auth.refresh()
    assert not isinstance(raised.value, InvalidCredentialsError)
    assert client.auth.logins == 1
    await client.close(revoke=False)


async def test_login_server_error_is_not_a_credentials_error(
    sim: Simulator, make_client: ClientFactory
) -> None:
    client = make_client(sim, max_retries=0)
    _fault(sim, r"/restapi/oauth/token$", 500, count=5)
    with pytest.raises(RingCentralError) as raised:
        await client.login()
    assert not isinstance(raised.value, InvalidCredentialsError)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"refresh_token": "r", "expires_in": 3600, "refresh_token_expires_in": 1}, "lacks"),
        (
            {"access_token": "a", "refresh_token": "r", "expires_in": "soon", "refresh_token_expires_in": 1},
            "lacks",
        ),
        (
            {"access_token": "", "refresh_token": "r", "expires_in": 1, "refresh_token_expires_in": 1},
            "malformed",
        ),
        (
            {"access_token": 5, "refresh_token": "r", "expires_in": 1, "refresh_token_expires_in": 1},
            "malformed",
        ),
    ],
)
def test_malformed_token_answers(body: dict[str, Any], message: str) -> None:
    with pytest.raises(ParseError, match=message):
        TokenSet.from_response(body, 0.0)


# --- REST ----------------------------------------------------------------------------------------------


async def test_fresh_tokens_refused_while_the_jwt_works_is_temporary(
    sim: Simulator, make_client: ClientFactory
) -> None:
    """401 on the token, on its renewal and on a JWT login's token: the JWT still works, so it is
    not a credentials problem (no reauth), but the request fails for now."""
    client = make_client(sim)
    await client.login()
    _fault(sim, r"/restapi/v1\.0/account/~$", 401, count=3)
    with pytest.raises(TemporarilyUnavailableError, match="just issued") as raised:
        await client.get_account_info()
    assert not isinstance(raised.value, InvalidCredentialsError)
    assert client.auth.logins == 2  # the first login, then the JWT check after the second 401
    await client.close()


async def test_telephony_session_errors_other_than_404_are_raised(
    sim: Simulator, make_client: ClientFactory
) -> None:
    client = make_client(sim)
    _fault(sim, r"/telephony/sessions/", 400)
    with pytest.raises(ApiError):
        await client.get_telephony_session("s-123")
    await client.close()


async def test_subscription_update_with_delivery_mode_and_lifetime(
    sim: Simulator, make_client: ClientFactory
) -> None:
    client = make_client(sim)
    mode = {"transportType": "PubNub", "encryption": True}
    filters = ["/restapi/v1.0/account/~/extension/~/presence?detailedTelephonyState=true"]
    created = await client.create_subscription(filters, mode)
    updated = await client.update_subscription(created.id, filters, delivery_mode=mode, expires_in=600)
    assert updated.id == created.id
    assert [f.endswith("/presence?detailedTelephonyState=true") for f in updated.event_filters] == [True]
    assert await client.delete_subscription(created.id) is True
    assert await client.delete_subscription(created.id) is False  # gone: 404 is not an error here
    await client.close()


async def test_subscription_delete_refused_is_raised(sim: Simulator, make_client: ClientFactory) -> None:
    client = make_client(sim)
    _fault(sim, r"/restapi/v1\.0/subscription/", 400, method="DELETE")
    with pytest.raises(ApiError):
        await client.delete_subscription("sub-1")
    await client.close()


async def test_page_size_is_checked(sim: Simulator, make_client: ClientFactory) -> None:
    client = make_client(sim)
    with pytest.raises(ValueError, match="per_page"):
        await client.get_account_presence(per_page=0)
    await client.close(revoke=False)


async def test_rate_limit_beyond_the_retries_is_raised(sim: Simulator, make_client: ClientFactory) -> None:
    client = make_client(sim, max_retries=1)
    await client.login()
    sim.state.faults.http.append(
        HttpFault(path=re.compile(r"/restapi/v1\.0/account/~$"), status=429, remaining=5, retry_after=0.01)
    )
    with pytest.raises(RateLimitedError) as raised:
        await client.get_account_info()
    assert raised.value.retry_after >= 0
    await client.close()


# --- error answers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (_response(502, b"<html>bad gateway</html>"), (None, "HTTP 502")),
        (_response(500, b"[1, 2]"), (None, "HTTP 500")),
        (_response(400, b'{"error": "invalid_grant"}'), ("invalid_grant", "HTTP 400")),
        (
            _response(400, b'{"errors": [{"errorCode": "CMN-101", "message": "Parameter [x] is invalid"}]}'),
            ("CMN-101", "Parameter [x] is invalid"),
        ),
    ],
)
def test_error_details_of_odd_answers(response: Response, expected: tuple[str | None, str]) -> None:
    code, message, _ = error_details(response)
    assert (code, message) == expected


def test_empty_and_non_object_bodies() -> None:
    assert _response(204, b"").json() is None
    with pytest.raises(ParseError, match="without a JSON object"):
        _response(200, b"[]").json_object()


def test_error_from_response_kinds() -> None:
    throttled = error_from_response(
        _response(429, b'{"errorCode": "CMN-301", "message": "Request rate exceeded"}', {"Retry-After": "7"}),
        "GET x",
    )
    assert isinstance(throttled, RateLimitedError)
    assert throttled.retry_after == pytest.approx(7.0, abs=1.0)
    forbidden = error_from_response(
        _response(
            403, b'{"errorCode": "CMN-408", "message": "In order to call this API you need [ReadPresence]"}'
        ),
        "GET y",
    )
    assert isinstance(forbidden, MissingPermissionsError)


def test_transport_loss_reasons_carry_no_url() -> None:
    assert describe_error(TimeoutError()) == "timed out"
    assert describe_error(ApiError("GET z: denied", status=403)) == "GET z: denied"
    assert describe_error(OSError("https://secret@host")) == "OSError"


# --- lenient but strict parsing of presence fields -----------------------------------------------------


def test_presence_fields_in_string_form_are_read() -> None:
    """RingCentral sometimes sends numbers and booleans as strings; they are read, not refused."""
    presence = parse_presence(
        {
            "extensionId": "1",
            "telephonyStatus": "NoCall",
            "sequence": "12",
            "activeCalls": [
                {"id": "c1", "telephonySessionId": "t1", "direction": "Inbound", "queueCall": "true"}
            ],
        },
        extension_id="1",
        detailed=True,
    )
    assert presence.sequence == 12
    assert presence.active_calls[0].queue_call is True


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"extensionId": "1", "sequence": 1.5}, "presence.sequence: expected an integer"),
        ({"extensionId": "1", "activeCalls": "x"}, "presence.activeCalls: expected a list"),
        ({"extensionId": "1", "activeCalls": [{"queueCall": "maybe"}]}, "queueCall: expected a boolean"),
    ],
)
def test_malformed_presence_fields_are_named(body: dict[str, Any], message: str) -> None:
    with pytest.raises(ParseError, match=re.escape(message)):
        parse_presence(body, extension_id="1", detailed=True)


def test_epoch_out_of_range_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="out of range"):
        parse_time(10**20)


def test_refused_websocket_handshake_is_described_by_status() -> None:
    refused = aiohttp.WSServerHandshakeError(None, (), status=403)  # type: ignore[arg-type]
    assert describe_error(refused) == "WebSocket handshake refused (HTTP 403)"
