"""Auth against the simulator: login, refresh, fallback, sessions, persistence, revocation."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Any

import pytest

from custom_components.ringcentral.aioringcentral.auth import TokenSet, basic_authorization
from custom_components.ringcentral.aioringcentral.errors import (
    InvalidCredentialsError,
    MissingPermissionsError,
)
from rcsim import Simulator
from rcsim.faults import HttpFault

from .conftest import ClientFactory


def auth_actions(sim: Simulator) -> list[str]:
    """What the simulator's OAuth endpoints did, in order (`jwt-bearer`, `refresh_token`, `revoked`)."""
    return [entry["action"] for entry in sim.state.log if entry["kind"] == "auth"]


async def test_login_issues_tokens_and_reports_them(sim: Simulator, make_client: ClientFactory) -> None:
    seen: list[TokenSet | None] = []
    client = make_client(sim, on_tokens=seen.append)

    tokens = await client.login()

    admin = sim.credentials()["extension_id"]
    assert client.owner_id == admin
    assert seen == [tokens]
    assert tokens.access_expires_at > sim.state.clock.now()
    assert auth_actions(sim) == ["jwt-bearer"]
    info = await client.get_extension_info()
    assert info.id == admin


async def test_refresh_before_expiry(sim: Simulator, make_client: ClientFactory) -> None:
    seen: list[TokenSet | None] = []
    client = make_client(sim, on_tokens=seen.append)
    first = await client.login()

    # Within the refresh margin of the access token's expiry: the next call refreshes first.
    sim.state.clock.advance(first.access_expires_at - sim.state.clock.now() - 30)
    await client.get_account_info()

    assert auth_actions(sim) == ["jwt-bearer", "refresh_token"]
    assert len(seen) == 2
    second = seen[1]
    assert second is not None
    assert second.access_token != first.access_token
    assert second.refresh_token != first.refresh_token
    assert client.auth.refreshes == 1


async def test_concurrent_callers_share_one_refresh(sim: Simulator, make_client: ClientFactory) -> None:
    client = make_client(sim)
    tokens = await client.login()
    sim.state.clock.advance(tokens.access_expires_at - sim.state.clock.now() + 1)

    results = await asyncio.gather(*(client.get_extension_info() for _ in range(8)))

    assert {info.id for info in results} == {client.owner_id}
    # Refresh tokens are single use: exactly one exchange, no fallback login.
    assert auth_actions(sim) == ["jwt-bearer", "refresh_token"]


async def test_rejected_refresh_falls_back_to_jwt_login(sim: Simulator, make_client: ClientFactory) -> None:
    client = make_client(sim)
    tokens = await client.login()
    # The server ends the session (e.g. an admin revoked it) and the access token is also due.
    sim.state.auth.revoke_all()
    sim.state.clock.advance(tokens.access_expires_at - sim.state.clock.now() + 1)

    await client.get_account_info()

    assert auth_actions(sim) == ["jwt-bearer", "revoked", "jwt-bearer"]
    assert client.auth.logins == 2


async def test_revoked_access_token_is_renewed_on_401(sim: Simulator, make_client: ClientFactory) -> None:
    client = make_client(sim)
    await client.login()
    sim.state.auth.revoke_all()

    results = await asyncio.gather(*(client.get_extension_info() for _ in range(4)))

    assert len(results) == 4
    # Four requests saw the 401 but the session was renewed once: the refresh was refused
    # (the session is gone), so one JWT login followed.
    assert auth_actions(sim) == ["jwt-bearer", "revoked", "jwt-bearer"]


async def test_sixth_session_revocation_is_survived(sim: Simulator, make_client: ClientFactory) -> None:
    sim.state.config.rate_limits["Auth"] = 20  # six logins a minute: not what this test is about
    client = make_client(sim)
    await client.login()
    others = [make_client(sim) for _ in range(5)]
    for other in others:
        await other.login()
    # RingCentral keeps five sessions per user and app: ours, the oldest, was pushed out.
    assert auth_actions(sim).count("revoked") == 1

    info = await client.get_account_info()

    assert info.id
    assert client.auth.logins == 2


async def test_invalid_jwt_raises_credentials_error(sim: Simulator, make_client: ClientFactory) -> None:
    seen: list[TokenSet | None] = []
    bad_jwt = "not-the-jwt-" + "x" * 20
    client = make_client(sim, jwt=bad_jwt, on_tokens=seen.append)

    with pytest.raises(InvalidCredentialsError) as caught:
        await client.login()

    assert bad_jwt not in str(caught.value)
    assert "OAU-140" in caught.value.message
    assert seen == []


async def test_invalid_client_secret_raises_credentials_error(
    sim: Simulator, make_client: ClientFactory
) -> None:
    secret = "wrong-secret-123456"
    client = make_client(sim, client_secret=secret)

    with pytest.raises(InvalidCredentialsError) as caught:
        await client.get_account_info()

    assert secret not in str(caught.value)


async def test_jwt_revoked_after_login_raises_credentials_error(
    sim: Simulator, make_client: ClientFactory
) -> None:
    seen: list[TokenSet | None] = []
    client = make_client(sim, on_tokens=seen.append)
    await client.login()
    # The user's JWT credential was replaced and the session ended: only the user can fix this.
    admin = sim.state.account.extensions[client.owner_id or ""]
    admin.jwt = "sim-jwt-rotated"
    sim.state.auth.revoke_all()

    with pytest.raises(InvalidCredentialsError):
        await client.get_account_info()

    assert seen[-1] is None
    assert client.tokens is None


async def test_tokens_resume_after_restart_without_login(sim: Simulator, make_client: ClientFactory) -> None:
    store: dict[str, Any] = {}

    async def save(tokens: TokenSet | None) -> None:
        store.clear()
        if tokens is not None:
            store.update(json.loads(json.dumps(tokens.as_dict())))

    first = make_client(sim, on_tokens=save)
    await first.get_account_info()
    await first.close(revoke=False)
    assert store

    second = make_client(sim, tokens=TokenSet.from_dict(store), on_tokens=save)
    info = await second.get_extension_info()

    assert info.id == first.owner_id
    assert second.auth.logins == 0
    assert auth_actions(sim) == ["jwt-bearer"]
    assert len(sim.state.auth.sessions) == 1


async def test_resumed_expired_tokens_are_refreshed(sim: Simulator, make_client: ClientFactory) -> None:
    first = make_client(sim)
    tokens = await first.login()
    sim.state.clock.advance(tokens.access_expires_at - sim.state.clock.now() + 60)

    second = make_client(sim, tokens=tokens)
    await second.get_account_info()

    assert auth_actions(sim) == ["jwt-bearer", "refresh_token"]
    assert second.auth.logins == 0


async def test_close_revokes_the_session(sim: Simulator, make_client: ClientFactory) -> None:
    seen: list[TokenSet | None] = []
    client = make_client(sim, on_tokens=seen.append)
    tokens = await client.login()

    await client.close()

    assert seen == [tokens, None]
    assert sim.state.auth.sessions == []
    assert auth_actions(sim)[-1] == "revoked"
    # A later use starts a new session rather than sending the revoked token.
    await client.get_account_info()
    assert client.auth.logins == 2


async def test_failing_token_callback_does_not_break_login(
    sim: Simulator, make_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(tokens: TokenSet | None) -> None:
        raise RuntimeError("disk full")

    client = make_client(sim, on_tokens=broken)

    await client.login()

    assert client.tokens is not None
    assert "on_tokens callback failed" in caplog.text


async def test_missing_permission_is_named(sim: Simulator, make_client: ClientFactory) -> None:
    sim.state.app.permissions.discard("ReadAccounts")
    client = make_client(sim)

    with pytest.raises(MissingPermissionsError) as caught:
        await client.get_account_info()

    assert caught.value.permissions == ("ReadAccounts",)


async def test_no_secret_reaches_the_log(
    sim: Simulator, make_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    issued: list[TokenSet] = []
    client = make_client(sim, on_tokens=lambda t: issued.append(t) if t else None)
    creds = sim.credentials()

    tokens = await client.login()
    sim.state.clock.advance(tokens.access_expires_at - sim.state.clock.now() + 1)
    await client.get_account_info()
    sim.state.auth.revoke_all()
    await client.get_account_info()
    await client.get_wstoken()
    await client.close()

    secrets = {creds["jwt"], creds["client_secret"]}
    for t in issued:
        secrets |= {t.access_token, t.refresh_token}
    logged = caplog.text + " ".join(repr(r.args) for r in caplog.records)
    assert len(issued) == 3
    assert not [s for s in secrets if s in logged]
    assert not [s for s in secrets if s in repr(client) + repr(issued)]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "access_token"),
        ({"access_token": "a", "refresh_token": ""}, "refresh_token"),
        ({"access_token": "a", "refresh_token": "r", "access_expires_at": "soon"}, "access_expires_at"),
        (
            {"access_token": "a", "refresh_token": "r", "access_expires_at": 1, "refresh_expires_at": None},
            "refresh_expires_at",
        ),
        (
            {
                "access_token": "a",
                "refresh_token": "r",
                "access_expires_at": 1,
                "refresh_expires_at": 2,
                "owner_id": 5,
            },
            "owner_id",
        ),
        ([], "mapping"),
    ],
)
def test_stored_tokens_are_validated(data: Any, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        TokenSet.from_dict(data)


def test_token_set_round_trips_and_hides_secrets() -> None:
    tokens = TokenSet("at-secret", "rt-secret", 10.0, 20.0, "42", "ReadAccounts")

    assert TokenSet.from_dict(json.loads(json.dumps(tokens.as_dict()))) == tokens
    assert "secret" not in repr(tokens)


def test_basic_authorization_follows_rfc_7617() -> None:
    # The example of RFC 7617 section 2, then a non-ASCII secret (UTF-8, the charset the RFC names).
    assert basic_authorization("Aladdin", "open sesame") == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
    assert basic_authorization("app", "s\u00e9cret") == "Basic YXBwOnPDqWNyZXQ="
    with pytest.raises(ValueError, match="colon") as caught:
        basic_authorization("a:b", "hidden-secret")
    assert "hidden-secret" not in str(caught.value)


async def test_401_on_a_just_renewed_token_logs_in_again(sim: Simulator, make_client: ClientFactory) -> None:
    """The renewed token is refused too (the session was revoked again right after it was issued):
    the client checks the JWT with a login and carries on, it does not call the credentials bad."""
    client = make_client(sim)
    await client.login()
    sim.state.faults.http.append(
        HttpFault(path=re.compile(r"/restapi/v1\.0/account/~$"), status=401, remaining=2)
    )

    info = await client.get_account_info()

    assert info.id == sim.state.account.id
    assert auth_actions(sim) == ["jwt-bearer", "refresh_token", "jwt-bearer"]
    await client.close(revoke=False)


async def test_401_on_a_just_renewed_token_then_a_refused_jwt_is_a_credentials_error(
    sim: Simulator, make_client: ClientFactory
) -> None:
    client = make_client(sim)
    await client.login()
    sim.state.faults.http.append(
        HttpFault(path=re.compile(r"/restapi/v1\.0/account/~$"), status=401, remaining=2)
    )
    admin = sim.state.account.extensions[client.owner_id or ""]
    admin.jwt = "sim-jwt-rotated"

    with pytest.raises(InvalidCredentialsError):
        await client.get_account_info()

    assert client.tokens is None
