"""REST methods against the simulator: typed results, paging, batches, retries and errors."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from email.utils import formatdate
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from custom_components.ringcentral.aioringcentral import filters
from custom_components.ringcentral.aioringcentral.batch import parse_batch
from custom_components.ringcentral.aioringcentral.errors import (
    ApiError,
    MissingPermissionsError,
    ParseError,
    TemporarilyUnavailableError,
)
from custom_components.ringcentral.aioringcentral.models import Presence, parse_presence
from custom_components.ringcentral.aioringcentral.ratelimit import RateLimiter
from custom_components.ringcentral.aioringcentral.requester import Requester
from rcsim import SimConfig, Simulator

from .conftest import ClientFactory, SimFactory, requests_in_log

Control = Callable[[Simulator, str, dict[str, Any]], Awaitable[Any]]


def ext_ids(sim: Simulator) -> list[str]:
    return list(sim.state.account.extensions)


async def test_account_and_extension_info(sim: Simulator, make_client: ClientFactory) -> None:
    client = make_client(sim)
    account = await client.get_account_info()
    me = await client.get_extension_info()
    other_id = ext_ids(sim)[1]
    other = await client.get_extension_info(other_id)

    assert account.id == sim.state.account.id
    assert account.main_number == sim.state.account.main_number
    assert me.id == client.owner_id
    assert me.is_admin
    assert other.id == other_id
    assert other.name == sim.state.account.extensions[other_id].name
    assert other.extension_number == sim.state.account.extensions[other_id].extension_number


async def test_list_extensions_follows_every_page(make_sim: SimFactory, make_client: ClientFactory) -> None:
    sim = await make_sim(SimConfig(time_scale=60.0), extensions=7)
    client = make_client(sim)

    extensions = await client.list_extensions(per_page=3)

    assert [e.id for e in extensions] == ext_ids(sim)
    pages = requests_in_log(sim, path_contains="/extension")
    assert len([p for p in pages if p["path"].endswith("/extension")]) == 3


async def test_list_extensions_filters_by_type(sim: Simulator, make_client: ClientFactory) -> None:
    queue = sim.state.account.add_extension("Sales Queue", ext_type="Department")
    client = make_client(sim)

    users = await client.list_extensions(types=["User"], statuses=["Enabled"])
    departments = await client.list_extensions(types=["Department"])

    assert queue.id not in {e.id for e in users}
    assert [e.id for e in departments] == [queue.id]


async def test_presence_of_one_extension_is_detailed(sim: Simulator, make_client: ClientFactory) -> None:
    ext_id = ext_ids(sim)[1]
    tsid = sim.state.calls.start("inbound_answered", ext_id, step=True)
    sim.state.calls.step(tsid)
    client = make_client(sim)

    presence = await client.get_presence(ext_id)
    mine = await client.get_presence()

    truth = sim.state.calls.ground_truth()[ext_id]
    assert presence.extension_id == ext_id
    assert presence.detailed
    assert presence.telephony_status == truth["telephonyStatus"] != "NoCall"
    assert [c.telephony_session_id for c in presence.active_calls] == [tsid]
    assert presence.active_calls[0].sip_data is not None
    assert mine.extension_id == client.owner_id


async def test_presence_batches_of_thirty_with_per_id_errors(
    make_sim: SimFactory, make_client: ClientFactory
) -> None:
    sim = await make_sim(SimConfig(time_scale=60.0, rate_limits_enabled=False), extensions=35)
    client = make_client(sim)
    wanted = [*ext_ids(sim), "999999999"]

    result = await client.get_presences(wanted)

    assert set(result) == set(wanted)
    assert all(isinstance(result[e], Presence) for e in ext_ids(sim))
    missing = result["999999999"]
    assert isinstance(missing, ApiError)
    assert missing.status == 404
    batches = requests_in_log(sim, path_contains="/presence")
    assert len(batches) == 2  # 36 ids: 30 + 6
    assert all(path["path"].count(",") < 30 for path in batches)


async def test_presence_batch_of_one_uses_a_plain_request(sim: Simulator, make_client: ClientFactory) -> None:
    client = make_client(sim)

    result = await client.get_presences(["404404404"])

    error = result["404404404"]
    assert isinstance(error, ApiError)
    assert error.error_code == "CMN-102"


async def test_account_presence_follows_every_page(make_sim: SimFactory, make_client: ClientFactory) -> None:
    sim = await make_sim(SimConfig(time_scale=60.0), extensions=5)
    ext_id = ext_ids(sim)[2]
    tsid = sim.state.calls.start("inbound_answered", ext_id, step=True)
    sim.state.calls.step(tsid)
    client = make_client(sim)

    presences = await client.get_account_presence(per_page=2)

    assert [p.extension_id for p in presences] == ext_ids(sim)
    by_id = {p.extension_id: p for p in presences}
    assert by_id[ext_id].telephony_status == sim.state.calls.ground_truth()[ext_id]["telephonyStatus"]
    assert len(requests_in_log(sim, path_contains="/account/~/presence")) == 3


async def test_account_presence_needs_an_admin(sim: Simulator, make_client: ClientFactory) -> None:
    client = make_client(sim, extension_id=ext_ids(sim)[1])

    with pytest.raises(MissingPermissionsError) as caught:
        await client.get_account_presence()

    assert caught.value.permissions == ("ReadPresenceStatus",)


async def test_telephony_session_by_id(sim: Simulator, make_client: ClientFactory) -> None:
    ext_id = ext_ids(sim)[1]
    tsid = sim.state.calls.start("inbound_answered", ext_id, step=True)
    sim.state.calls.step(tsid)
    client = make_client(sim)

    session = await client.get_telephony_session(tsid)
    gone = await client.get_telephony_session("s-no-such-session")

    assert session is not None
    assert session.telephony_session_id == tsid
    assert any(party.extension_id == ext_id for party in session.parties)
    assert gone is None


async def test_subscription_crud(sim: Simulator, make_client: ClientFactory) -> None:
    client = make_client(sim)
    wanted = [filters.extension_presence(), filters.account_telephony_sessions()]

    created = await client.create_subscription(wanted, {"transportType": "PubNub", "encryption": True})
    listed = await client.list_subscriptions()
    fetched = await client.get_subscription(created.id)
    updated = await client.update_subscription(created.id, [filters.extension_presence()])
    renewed = await client.renew_subscription(created.id)
    deleted = await client.delete_subscription(created.id)
    deleted_again = await client.delete_subscription(created.id)

    assert created.transport_type == "PubNub"
    assert len(created.event_filters) == 2
    assert [s.id for s in listed] == [created.id]
    assert fetched.id == created.id
    assert len(updated.event_filters) == 1
    assert renewed.id == created.id
    assert renewed.expires_in is not None
    assert (deleted, deleted_again) == (True, False)
    with pytest.raises(ApiError) as caught:
        await client.get_subscription(created.id)
    assert caught.value.status == 404


async def test_invalid_filters_are_an_api_error(sim: Simulator, make_client: ClientFactory) -> None:
    client = make_client(sim)

    with pytest.raises(ApiError) as caught:
        await client.create_subscription(["/restapi/v1.0/nonsense"], {"transportType": "PubNub"})

    assert caught.value.status == 400
    assert caught.value.error_code == "SUB-508"


async def test_wstoken(sim: Simulator, make_client: ClientFactory) -> None:
    client = make_client(sim)

    token = await client.get_wstoken()

    assert token.uri == sim.url.replace("http://", "ws://") + "/ws"
    assert token.expires_at > sim.state.clock.now()
    assert token.token not in repr(token)


async def test_server_errors_are_retried(
    sim: Simulator, make_client: ClientFactory, control: Control
) -> None:
    await control(sim, "faults", {"type": "http", "path": r"/account/[^/]+$", "status": 503, "count": 2})
    client = make_client(sim)

    account = await client.get_account_info()

    assert account.id == sim.state.account.id
    statuses = [r["status"] for r in requests_in_log(sim) if r["path"].endswith("/account/~")]
    assert statuses == [503, 503, 200]


async def test_persistent_server_errors_give_up(
    sim: Simulator, make_client: ClientFactory, control: Control
) -> None:
    await control(sim, "faults", {"type": "http", "path": r"/account/[^/]+$", "status": 500, "count": 10})
    client = make_client(sim, max_retries=2)

    with pytest.raises(TemporarilyUnavailableError):
        await client.get_account_info()

    assert len([r for r in requests_in_log(sim) if r["path"].endswith("/account/~")]) == 3


async def test_server_error_with_a_long_retry_after_is_raised_at_once(
    sim: Simulator, make_client: ClientFactory, control: Control
) -> None:
    """Regression: a 503 asking for a day's pause used to hold the caller for that day."""
    await control(
        sim,
        "faults",
        {"type": "http", "path": r"/account/[^/]+$", "status": 503, "count": 1, "retry_after": 86400},
    )
    client = make_client(sim)

    with pytest.raises(TemporarilyUnavailableError, match="HTTP 503"):
        await client.get_account_info()

    assert len([r for r in requests_in_log(sim) if r["path"].endswith("/account/~")]) == 1


@pytest.fixture
async def date_retry_server(socket_enabled: None) -> AsyncIterator[str]:
    """A loopback server answering 503 with an HTTP-date `Retry-After` 5 s ahead, then 200."""
    answers: list[int] = []

    async def handler(_request: web.Request) -> web.Response:
        if not answers:
            answers.append(503)
            return web.Response(status=503, headers={"Retry-After": formatdate(time.time() + 5, usegmt=True)})
        answers.append(200)
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_get("/x", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_retry_after_as_an_http_date_is_relative_to_now(
    session: aiohttp.ClientSession, date_retry_server: str
) -> None:
    """Regression: the date form was measured from the epoch (a wait of ~56 years)."""
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    requester = Requester(session, date_retry_server, RateLimiter(sleep=sleep), sleep=sleep)

    response = await requester.request("GET", "/x")

    assert response.status == 200
    assert len(waits) == 1
    assert 0 < waits[0] <= 6


async def test_not_found_is_an_api_error(sim: Simulator, make_client: ClientFactory) -> None:
    client = make_client(sim)

    with pytest.raises(ApiError) as caught:
        await client.get_extension_info("123123123")

    assert caught.value.status == 404
    assert caught.value.error_code == "CMN-102"


@pytest.mark.parametrize("bad", ["", "1/2", "a?b", "../x", "1,2"])
async def test_bad_ids_are_refused_before_sending(
    sim: Simulator, make_client: ClientFactory, bad: str
) -> None:
    client = make_client(sim)

    with pytest.raises(ValueError, match="not a RingCentral id"):
        await client.get_extension_info(bad)

    assert requests_in_log(sim) == []


def test_bad_constructor_arguments(session: Any) -> None:
    from custom_components.ringcentral.aioringcentral.rest import RingCentralClient

    with pytest.raises(ValueError, match="server"):
        RingCentralClient(
            session, server="platform.ringcentral.com", client_id="a", client_secret="b", jwt="c"
        )
    with pytest.raises(ValueError, match="jwt"):
        RingCentralClient(session, server="https://x", client_id="a", client_secret="b", jwt=" ")


@pytest.fixture
async def silent_server() -> AsyncIterator[str]:
    """A loopback server that accepts connections and never answers (a hung RingCentral)."""
    connections: list[asyncio.StreamWriter] = []

    async def accept(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    for writer in connections:
        writer.close()
    server.close()
    await server.wait_closed()


async def test_timeouts_are_retried_then_reported(
    sim: Simulator, make_client: ClientFactory, silent_server: str
) -> None:
    client = make_client(sim, server=silent_server, request_timeout=0.05, max_retries=1)

    with pytest.raises(TemporarilyUnavailableError, match="TimeoutError"):
        await client.login()


async def test_unreachable_server_is_temporarily_unavailable(
    make_sim: SimFactory, make_client: ClientFactory
) -> None:
    sim = await make_sim(SimConfig(time_scale=60.0))
    client = make_client(sim, max_retries=1)
    await sim.stop()

    with pytest.raises(TemporarilyUnavailableError):
        await client.get_account_info()


async def test_default_multipart_batch_answer_is_read(
    sim: Simulator, make_client: ClientFactory, session: Any
) -> None:
    """RingCentral's default batch format (multipart/mixed), fetched raw from the simulator."""
    client = make_client(sim)
    token = await client.auth.access_token()
    ids = ext_ids(sim)[:2]
    url = f"{sim.url}/restapi/v1.0/account/~/extension/{','.join([*ids, '777'])}/presence"
    async with session.get(url, headers={"Authorization": f"Bearer {token}"}) as resp:
        raw, content_type = await resp.read(), resp.headers["Content-Type"]

    parts = parse_batch(raw, content_type)

    assert resp.status == 207
    assert [(p.resource_id, p.status) for p in parts] == [(ids[0], 200), (ids[1], 200), ("777", 404)]
    assert parse_presence(parts[1].body).extension_id == ids[1]


@pytest.mark.parametrize(
    ("raw", "content_type", "message"),
    [
        (b"{", "application/json", "not JSON"),
        (b"{}", "application/json", "JSON array"),
        (b'[{"status": "200"}]', "application/json", "integer status"),
        (b"--b\r\nno headers", "multipart/mixed; boundary=b", "without headers"),
        (b"x", "multipart/mixed", "boundary"),
        (b'--b\r\n\r\n{"response": []}\r\n--b\r\n\r\n{}\r\n--b--', "multipart/mixed; boundary=b", "differ"),
        (b"--b\r\n\r\n[1]\r\n--b--", "multipart/mixed; boundary=b", "summary"),
        (b"--b\r\n\r\n{oops\r\n--b--", "multipart/mixed; boundary=b", "not JSON"),
        # Regression: RecursionError escaped instead of a ParseError.
        pytest.param(b"[" * 100_000, "application/json", "not JSON", id="nested-too-deeply"),
    ],
)
def test_malformed_batch_answers_are_parse_errors(raw: bytes, content_type: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_batch(raw, content_type)
