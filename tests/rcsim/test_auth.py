"""OAuth over HTTP: JWT login, refresh, session limit, revoke, WebSocket tokens, Bearer errors."""

from __future__ import annotations

import aiohttp
import pytest

from rcsim import Simulator
from rcsim.auth import AuthSession

from .basic_auth import basic_headers
from .conftest import JWT_GRANT, Api, error_code

ME = "/restapi/v1.0/account/~/extension/~"


async def oauth_error(response: aiohttp.ClientResponse) -> tuple[int, str, str]:
    body = await response.json()
    assert body["error_description"] == body["message"]
    return response.status, body["error"], await error_code(response)


async def test_jwt_login_answers_a_full_token_set(api: Api, simulator: Simulator) -> None:
    admin = api.extension_ids[0]
    tokens = await api.login()
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == simulator.config.access_token_ttl
    assert tokens["refresh_token_expires_in"] == simulator.config.refresh_token_ttl
    assert tokens["owner_id"] == admin
    assert tokens["endpoint_id"]
    assert "ReadPresence" in tokens["scope"].split()
    assert tokens["access_token"] != tokens["refresh_token"]
    me = await api.get(ME, tokens["access_token"])
    assert me.status == 200
    assert str((await me.json())["id"]) == admin


async def test_login_as_another_extension(api: Api) -> None:
    other = api.extension_ids[2]
    tokens = await api.login(other)
    me = await api.get(ME, tokens["access_token"])
    assert str((await me.json())["id"]) == other


@pytest.mark.parametrize(
    ("auth", "expected"),
    [
        (basic_headers("sim-client-id", "wrong"), (401, "invalid_client", "OAU-140")),
        (basic_headers("other-client", "sim-client-secret"), (401, "invalid_client", "OAU-140")),
    ],
)
async def test_bad_client_credentials(api: Api, auth: dict[str, str], expected: tuple[int, str, str]) -> None:
    jwt = api.sim.credentials()["jwt"]
    response = await api.token({"grant_type": JWT_GRANT, "assertion": jwt}, auth=auth)
    assert await oauth_error(response) == expected


async def test_missing_client_credentials(api: Api) -> None:
    jwt = api.sim.credentials()["jwt"]
    response = await api.http.post(
        f"{api.sim.url}/restapi/oauth/token", data={"grant_type": JWT_GRANT, "assertion": jwt}
    )
    assert await oauth_error(response) == (401, "invalid_client", "OAU-140")


async def test_garbage_basic_header(api: Api) -> None:
    response = await api.http.post(
        f"{api.sim.url}/restapi/oauth/token",
        data={"grant_type": JWT_GRANT, "assertion": "x"},
        headers={"Authorization": "Basic !!!not-base64"},
    )
    assert await oauth_error(response) == (401, "invalid_client", "OAU-140")


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        ({"grant_type": JWT_GRANT, "assertion": "not-a-known-jwt"}, (400, "invalid_grant", "OAU-140")),
        ({"grant_type": JWT_GRANT}, (400, "invalid_request", "OAU-101")),
        (
            {"grant_type": "password", "username": "a", "password": "b"},
            (400, "unsupported_grant_type", "OAU-112"),
        ),
        ({"grant_type": "client_credentials"}, (400, "unsupported_grant_type", "OAU-112")),
        ({"assertion": "x"}, (400, "invalid_request", "OAU-101")),
        ({"grant_type": "refresh_token"}, (400, "invalid_request", "OAU-101")),
        ({"grant_type": "refresh_token", "refresh_token": "nope"}, (400, "invalid_grant", "OAU-149")),
    ],
)
async def test_token_request_errors(api: Api, form: dict[str, str], expected: tuple[int, str, str]) -> None:
    response = await api.token(form)
    assert await oauth_error(response) == expected


async def test_token_endpoint_needs_a_form(api: Api) -> None:
    response = await api.http.post(
        f"{api.sim.url}/restapi/oauth/token", json={"grant_type": JWT_GRANT}, headers=api.basic()
    )
    assert response.status == 415
    assert await error_code(response) == "CMN-415"


async def test_disabled_extension_cannot_log_in(api: Api) -> None:
    ext = api.sim.state.account.extensions[api.extension_ids[1]]
    ext.status = "Disabled"
    response = await api.token({"grant_type": JWT_GRANT, "assertion": ext.jwt})
    assert await oauth_error(response) == (400, "invalid_grant", "OAU-140")


async def test_secrets_never_appear_in_error_bodies(api: Api) -> None:
    jwt = api.sim.credentials()["jwt"]
    response = await api.token({"grant_type": JWT_GRANT, "assertion": jwt}, api.basic("bad-secret"))
    text = await response.text()
    assert jwt not in text
    assert "bad-secret" not in text
    assert api.sim.config.client_secret not in text


async def test_access_token_expires_on_simulated_time(api: Api, simulator: Simulator) -> None:
    tokens = await api.login()
    simulator.state.clock.advance(simulator.config.access_token_ttl - 5)
    assert (await api.get(ME, tokens["access_token"])).status == 200
    simulator.state.clock.advance(10)
    response = await api.get(ME, tokens["access_token"])
    assert response.status == 401
    assert await error_code(response) == "OAU-128"


async def test_refresh_issues_a_new_pair(api: Api, simulator: Simulator) -> None:
    tokens = await api.login()
    simulator.state.clock.advance(3000)
    response = await api.token({"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert response.status == 200
    fresh = await response.json()
    assert fresh["access_token"] != tokens["access_token"]
    assert fresh["refresh_token"] != tokens["refresh_token"]
    assert fresh["expires_in"] == simulator.config.access_token_ttl
    assert fresh["owner_id"] == tokens["owner_id"]
    # The new access token outlives the old one's expiry.
    simulator.state.clock.advance(1000)
    assert (await api.get(ME, fresh["access_token"])).status == 200
    assert (await api.get(ME, tokens["access_token"])).status == 401


async def test_refresh_token_is_single_use_after_the_grace_period(api: Api, simulator: Simulator) -> None:
    tokens = await api.login()
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    first = await (await api.token(form)).json()
    # A retry within the grace period (e.g. a lost response) gets the same new pair.
    retry = await api.token(form)
    assert retry.status == 200
    assert (await retry.json())["refresh_token"] == first["refresh_token"]
    simulator.state.clock.advance(simulator.config.refresh_grace + 1)
    late = await api.token(form)
    assert await oauth_error(late) == (400, "invalid_grant", "OAU-149")
    # The replaced access token also stopped working; the new pair still works.
    assert (await api.get(ME, tokens["access_token"])).status == 401
    assert (await api.get(ME, first["access_token"])).status == 200
    again = await api.token({"grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
    assert again.status == 200


async def test_expired_refresh_token_is_rejected(api: Api, simulator: Simulator) -> None:
    tokens = await api.login()
    simulator.state.clock.advance(simulator.config.refresh_token_ttl + 1)
    response = await api.token({"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert await oauth_error(response) == (400, "invalid_grant", "OAU-149")


async def test_sixth_login_revokes_the_oldest_session(api: Api, simulator: Simulator) -> None:
    limit = simulator.config.max_sessions_per_user
    simulator.config.rate_limits["Auth"] = 100
    sessions = [await api.login() for _ in range(limit + 1)]
    oldest, *kept = sessions
    response = await api.get(ME, oldest["access_token"])
    assert response.status == 401
    assert (await error_code(response)).startswith("OAU-")
    refresh = await api.token({"grant_type": "refresh_token", "refresh_token": oldest["refresh_token"]})
    assert await oauth_error(refresh) == (400, "invalid_grant", "OAU-149")
    for tokens in kept:
        assert (await api.get(ME, tokens["access_token"])).status == 200
    assert len(simulator.state.auth.sessions_of(api.extension_ids[0])) == limit


async def test_session_limit_is_per_user(api: Api, simulator: Simulator) -> None:
    simulator.config.rate_limits["Auth"] = 100
    limit = simulator.config.max_sessions_per_user
    mine = [await api.login() for _ in range(limit)]
    await api.login(api.extension_ids[1])
    for tokens in mine:
        assert (await api.get(ME, tokens["access_token"])).status == 200


@pytest.mark.parametrize("which", ["access_token", "refresh_token"])
async def test_revoke_ends_the_whole_session(api: Api, which: str) -> None:
    tokens = await api.login()
    response = await api.http.post(
        f"{api.sim.url}/restapi/oauth/revoke", data={"token": tokens[which]}, headers=api.basic()
    )
    assert response.status == 200
    assert (await api.get(ME, tokens["access_token"])).status == 401
    refresh = await api.token({"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert refresh.status == 400


async def test_revoke_errors(api: Api) -> None:
    url = f"{api.sim.url}/restapi/oauth/revoke"
    missing = await api.http.post(url, data={}, headers=api.basic())
    assert missing.status == 400
    assert await error_code(missing) == "OAU-101"
    # Revoking an unknown token is not an error (RFC 7009).
    assert (await api.http.post(url, data={"token": "unknown"}, headers=api.basic())).status == 200
    bad_client = await api.http.post(url, data={"token": "x"}, headers=api.basic("wrong"))
    assert bad_client.status == 401


async def test_revoke_all_and_callbacks(api: Api, simulator: Simulator) -> None:
    revoked: list[AuthSession] = []
    simulator.state.auth.on_revoke(revoked.append)
    first = await api.login()
    second = await api.login(api.extension_ids[1])
    simulator.state.auth.revoke_all()
    assert {s.extension.id for s in revoked} == {api.extension_ids[0], api.extension_ids[1]}
    for tokens in (first, second):
        assert (await api.get(ME, tokens["access_token"])).status == 401
    assert simulator.state.auth.sessions == []


async def test_wstoken(api: Api, simulator: Simulator) -> None:
    tokens = await api.login()
    response = await api.http.post(
        f"{api.sim.url}/restapi/oauth/wstoken", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert response.status == 200
    body = await response.json()
    assert body["uri"] == f"ws://127.0.0.1:{api.sim.url.rsplit(':', 1)[1]}/ws"
    assert body["expires_in"] == simulator.config.wstoken_ttl
    auth = simulator.state.auth
    session = auth.validate_ws_token(body["ws_access_token"])
    assert session is not None
    assert session.extension.id == api.extension_ids[0]
    assert session.access_token == tokens["access_token"]
    # Single use.
    assert auth.validate_ws_token(body["ws_access_token"]) is None


async def _wstoken(api: Api, access_token: str) -> str:
    response = await api.http.post(
        f"{api.sim.url}/restapi/oauth/wstoken", headers={"Authorization": f"Bearer {access_token}"}
    )
    assert response.status == 200
    token: str = (await response.json())["ws_access_token"]
    return token


async def test_wstoken_expires_and_dies_with_its_session(api: Api, simulator: Simulator) -> None:
    tokens = await api.login()
    auth = simulator.state.auth
    expiring = await _wstoken(api, tokens["access_token"])
    revoked = await _wstoken(api, tokens["access_token"])
    simulator.state.clock.advance(simulator.config.wstoken_ttl + 1)
    assert auth.validate_ws_token(expiring) is None
    fresh = await _wstoken(api, tokens["access_token"])
    auth.revoke_all()
    assert auth.validate_ws_token(fresh) is None
    assert auth.validate_ws_token(revoked) is None
    assert auth.validate_ws_token("never-issued") is None


async def test_wstoken_errors(api: Api, simulator: Simulator) -> None:
    url = f"{api.sim.url}/restapi/oauth/wstoken"
    anonymous = await api.http.post(url)
    assert anonymous.status == 401
    assert await error_code(anonymous) == "OAU-123"
    tokens = await api.login()
    simulator.state.app.permissions.discard("WebSocketsSubscriptions")
    forbidden = await api.http.post(url, headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert forbidden.status == 403
    assert await error_code(forbidden) == "CMN-408"
    assert "[WebSocketsSubscriptions]" in (await forbidden.json())["message"]


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (None, "OAU-123"),
        ("Bearer", "OAU-123"),
        ("Basic abc", "OAU-123"),
        ("Bearer not-a-token", "OAU-213"),
    ],
)
async def test_bad_bearer_on_rest(api: Api, header: str | None, code: str) -> None:
    headers = {"Authorization": header} if header else {}
    response = await api.get(ME, None, headers=headers)
    assert response.status == 401
    assert await error_code(response) == code
