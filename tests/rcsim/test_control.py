"""The `/sim/*` control API over HTTP: what each route changes, and clear 400s for bad input."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from rcsim import Simulator

from .conftest import Api, error_code


async def ok(api: Api, method: str, path: str, body: Any = None, status: int = 200) -> Any:
    response = await api.control(method, path, body)
    assert response.status == status, await response.text()
    return await response.json()


async def rejected(api: Api, method: str, path: str, body: Any, fragment: str) -> None:
    response = await api.control(method, path, body)
    assert response.status == 400, await response.text()
    assert await error_code(response) == "SIM-400"
    message = (await response.json())["message"]
    assert fragment in message, message


# -- extensions ------------------------------------------------------------------------------------


async def test_create_extensions_by_count(api: Api, simulator: Simulator) -> None:
    body = await ok(api, "POST", "extensions", {"count": 3}, status=201)
    created = body["extensions"]
    assert len(created) == 3
    assert len(simulator.state.account.extensions) == 8
    for ext in created:
        assert ext["admin"] is False
        assert simulator.state.account.extensions[ext["id"]].jwt == ext["jwt"]
    # Every new extension can log in.
    tokens = await api.login(created[-1]["id"])
    assert tokens["owner_id"] == created[-1]["id"]


async def test_create_extensions_by_spec(api: Api, simulator: Simulator) -> None:
    spec = [
        {"name": "Support Queue", "type": "Department", "extension_number": "800"},
        {"name": "Second Admin", "admin": True},
    ]
    created = (await ok(api, "POST", "extensions", {"extensions": spec}, status=201))["extensions"]
    queue = simulator.state.account.extensions[created[0]["id"]]
    assert (queue.name, queue.type, queue.extension_number) == ("Support Queue", "Department", "800")
    assert simulator.state.account.extensions[created[1]["id"]].admin is True
    listed = (await ok(api, "GET", "extensions"))["extensions"]
    assert [e["id"] for e in listed][-2:] == [c["id"] for c in created]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({}, "exactly one of"),
        ({"count": 1, "extensions": []}, "exactly one of"),
        ({"count": 0}, "[count]"),
        ({"count": "3"}, "[count] must be of type int"),
        ({"count": True}, "[count] must be of type int"),
        ({"extensions": []}, "must not be empty"),
        ({"extensions": ["Bob"]}, "[extensions[0]] must be an object"),
        ({"extensions": [{}]}, "[name] is required"),
        ({"extensions": [{"name": " "}]}, "name] must not be empty"),
        ({"extensions": [{"name": "A", "type": "Robot"}]}, "type] must be one of"),
        ({"extensions": [{"name": "A", "extension_number": "12a"}]}, "digits"),
        ({"extensions": [{"name": "A", "extension_number": "101"}]}, "already in use"),
        (
            {
                "extensions": [
                    {"name": "A", "extension_number": "900"},
                    {"name": "B", "extension_number": "900"},
                ]
            },
            "Duplicate",
        ),
        ({"extensions": [{"name": "A", "admin": "yes"}]}, "[admin] must be of type bool"),
        ([1, 2], "JSON object"),
    ],
)
async def test_create_extensions_validation(api: Api, body: Any, fragment: str) -> None:
    before = len(api.extension_ids)
    await rejected(api, "POST", "extensions", body, fragment)
    assert len(api.extension_ids) == before


async def test_body_that_is_not_json(api: Api) -> None:
    response = await api.http.post(f"{api.sim.url}/sim/extensions", data=b"count=3")
    assert response.status == 400
    assert "not valid JSON" in (await response.json())["message"]


# -- calls and presence ----------------------------------------------------------------------------


async def test_scenarios_and_step_mode_calls(api: Api, simulator: Simulator) -> None:
    scenarios = (await ok(api, "GET", "calls"))["scenarios"]
    assert "inbound_answered" in scenarios
    target = api.extension_ids[1]
    started = await ok(
        api,
        "POST",
        "calls",
        {"scenario": "inbound_answered", "extension_id": target, "step": True},
        status=201,
    )
    tsid = started["telephonySessionId"]
    assert simulator.state.calls.ground_truth()[target]["telephonyStatus"] == "NoCall"
    stepped = await ok(api, "POST", f"calls/{tsid}/step")
    assert stepped == {"telephonySessionId": tsid, "stepped": True}
    assert simulator.state.calls.ground_truth()[target]["telephonyStatus"] == "Ringing"
    assert (await ok(api, "POST", "calls/unknown/step"))["stepped"] is False


async def test_timed_call_with_two_extensions_runs_to_the_end(api: Api, simulator: Simulator) -> None:
    first, second = api.extension_ids[1], api.extension_ids[2]
    body = {"scenario": "internal_call", "extension_id": first, "other_extension_id": second, "speed": 1000}
    await ok(api, "POST", "calls", body, status=201)
    await simulator.state.calls.drain()
    truth = (await ok(api, "GET", "state"))["extensions"]
    assert truth[first]["telephonyStatus"] == truth[second]["telephonyStatus"] == "NoCall"
    assert any(e["kind"] == "scenario" for e in simulator.state.log)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"extension_id": "X"}, "[scenario] is required"),
        ({"scenario": "inbound_answered"}, "[extension_id] is required"),
        ({"scenario": "inbound_answered", "extension_id": "nobody"}, "unknown extension"),
        ({"scenario": "no_such_scenario", "extension_id": "EXT1"}, "no_such_scenario"),
        ({"scenario": "inbound_answered", "extension_id": "EXT1", "speed": -1}, "[speed]"),
        ({"scenario": "inbound_answered", "extension_id": "EXT1", "speed": 0}, "[speed]"),
        ({"scenario": "inbound_answered", "extension_id": "EXT1", "step": "yes"}, "[step]"),
        (
            {"scenario": "internal_call", "extension_id": "EXT1", "other_extension_id": "nobody"},
            "unknown extension",
        ),
    ],
)
async def test_start_call_validation(api: Api, body: dict[str, Any], fragment: str) -> None:
    body = {k: (api.extension_ids[1] if v == "EXT1" else v) for k, v in body.items()}
    await rejected(api, "POST", "calls", body, fragment)


async def test_set_presence(api: Api, simulator: Simulator) -> None:
    target = api.extension_ids[2]
    body = await ok(api, "POST", "presence", {"extension_id": target, "dnd_status": "DoNotAcceptAnyCalls"})
    assert body["dndStatus"] == "DoNotAcceptAnyCalls"
    await ok(api, "POST", "presence", {"extension_id": target, "user_status": "Busy"})
    truth = simulator.state.calls.ground_truth()[target]
    assert (truth["userStatus"], truth["dndStatus"]) == ("Busy", "DoNotAcceptAnyCalls")


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"user_status": "Busy"}, "[extension_id] is required"),
        ({"extension_id": "EXT1"}, "user_status"),
        ({"extension_id": "EXT1", "user_status": "Asleep"}, "[user_status] must be one of"),
        ({"extension_id": "EXT1", "dnd_status": "Never"}, "[dnd_status] must be one of"),
        ({"extension_id": "nobody", "user_status": "Busy"}, "unknown extension"),
    ],
)
async def test_set_presence_validation(api: Api, body: dict[str, Any], fragment: str) -> None:
    body = {k: (api.extension_ids[1] if v == "EXT1" else v) for k, v in body.items()}
    await rejected(api, "POST", "presence", body, fragment)


# -- faults ----------------------------------------------------------------------------------------


async def test_notification_fault(api: Api, simulator: Simulator) -> None:
    body = {"type": "notifications", "drop": 0.5, "duplicate": 0.25, "reorder": 0.1, "delay": 2, "count": 10}
    assert (await ok(api, "POST", "faults", body))["active"] is True
    faults = simulator.state.faults.notifications
    assert (faults.drop, faults.duplicate, faults.reorder, faults.delay, faults.remaining) == (
        0.5,
        0.25,
        0.1,
        2.0,
        10,
    )
    await ok(api, "POST", "faults", {"type": "clear"})
    assert not simulator.state.faults.notifications.active


async def test_http_fault_is_compiled(api: Api, simulator: Simulator) -> None:
    await ok(
        api,
        "POST",
        "faults",
        {"type": "http", "path": r"/presence$", "status": 503, "method": "get", "count": 2},
    )
    (fault,) = simulator.state.faults.http
    assert fault.path.pattern == "/presence$"
    assert (fault.status, fault.method, fault.remaining) == (503, "GET", 2)
    assert fault.matches("GET", "/restapi/v1.0/account/~/extension/~/presence")


async def test_fail_recovery_and_revoke_tokens(api: Api, simulator: Simulator) -> None:
    await ok(api, "POST", "faults", {"type": "fail_recovery", "count": 2})
    assert simulator.state.faults.fail_recoveries == 2
    tokens = await api.login()
    assert (await ok(api, "POST", "faults", {"type": "revoke_tokens"}))["revoked"] == 1
    response = await api.get("/restapi/v1.0/account/~", tokens["access_token"])
    assert response.status == 401


async def test_delivery_faults_reach_their_managers(api: Api, simulator: Simulator) -> None:
    assert (await ok(api, "POST", "faults", {"type": "drop_connections", "error_code": "WSG-902"}))[
        "connections"
    ] == 0
    await ok(api, "POST", "faults", {"type": "drop_connections"})
    await ok(api, "POST", "faults", {"type": "malformed_frame"})
    await ok(api, "POST", "faults", {"type": "expire_subscription"})
    await ok(api, "POST", "faults", {"type": "blacklist_subscription", "subscription_id": "nope"})
    kinds = [e.get("type") for e in simulator.state.log if e["kind"] == "fault"]
    assert kinds == [
        "drop_connections",
        "drop_connections",
        "malformed_frame",
        "expire_subscription",
        "blacklist_subscription",
    ]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({}, "[type] is required"),
        ({"type": "earthquake"}, "[type] must be one of"),
        ({"type": "drop_connections", "error_code": "boom"}, "WSG-9xx"),
        ({"type": "notifications", "drop": 2}, "probability"),
        ({"type": "notifications", "drop": -0.1}, "[drop] must be >= 0"),
        ({"type": "notifications", "delay": "long"}, "[delay] must be of type"),
        ({"type": "notifications", "count": 0}, "[count] must be >= 1"),
        ({"type": "fail_recovery"}, "[count] is required"),
        ({"type": "http", "status": 500}, "[path] is required"),
        ({"type": "http", "path": "(", "status": 500}, "not a valid regular expression"),
        ({"type": "http", "path": "/x"}, "[status] is required"),
        ({"type": "http", "path": "/x", "status": 200}, "400-599"),
        ({"type": "http", "path": "/x", "status": 500, "retry_after": -1}, "[retry_after]"),
        ({"type": "expire_subscription", "subscription_id": 5}, "[subscription_id] must be of type str"),
    ],
)
async def test_fault_validation(api: Api, simulator: Simulator, body: dict[str, Any], fragment: str) -> None:
    await rejected(api, "POST", "faults", body, fragment)
    assert simulator.state.faults.http == []
    assert not simulator.state.faults.notifications.active


# -- config, time, state, credentials --------------------------------------------------------------


async def test_config_changes(api: Api, simulator: Simulator) -> None:
    body = {
        "permissions": ["ReadAccounts", "ReadPresence"],
        "rate_limits": {"Heavy": 2},
        "rate_limits_enabled": False,
        "access_token_ttl": 120,
        "refresh_grace": 2.5,
        "ws_recovery_timeout": 30,
        "webhook_validation_timeout": 1,
    }
    config = await ok(api, "POST", "config", body)
    assert config["permissions"] == ["ReadAccounts", "ReadPresence"]
    assert simulator.state.app.permissions == {"ReadAccounts", "ReadPresence"}
    assert simulator.config.rate_limits["Heavy"] == 2
    assert simulator.config.rate_limits["Light"] == 50
    assert simulator.config.rate_limits_enabled is False
    assert (simulator.config.access_token_ttl, simulator.config.refresh_grace) == (120, 2.5)
    assert isinstance(simulator.config.access_token_ttl, int)
    assert simulator.config.ws_recovery_timeout == 30
    assert simulator.config.webhook_validation_timeout == 1.0
    assert "client_secret" not in config
    assert (await api.login())["expires_in"] == 120
    assert await ok(api, "GET", "config") == config


async def test_time_scale_keeps_time_continuous(api: Api, simulator: Simulator) -> None:
    before = simulator.state.clock.now()
    await ok(api, "POST", "config", {"time_scale": 600})
    after = simulator.state.clock.now()
    assert simulator.state.clock.time_scale == simulator.config.time_scale == 600
    assert before <= after < before + 600  # no jump by (elapsed real time) x 600


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"colour": "blue"}, "Unknown or fixed config field"),
        ({"client_secret": "new"}, "Unknown or fixed config field"),
        ({"port": 1}, "Unknown or fixed config field"),
        ({"permissions": ["Root"]}, "unknown permission"),
        ({"permissions": "ReadAccounts"}, "[permissions] must be of type list"),
        ({"rate_limits": {"Ultra": 3}}, "unknown group"),
        ({"rate_limits": {"Light": -1}}, "non-negative integer"),
        ({"rate_limits": {"Light": 1.5}}, "non-negative integer"),
        ({"rate_limits_enabled": "no"}, "must be of type bool"),
        ({"time_scale": 0}, "[time_scale] must be positive"),
        ({"access_token_ttl": 1.5}, "must be an integer"),
        ({"access_token_ttl": -5}, ">= 0"),
        ({"refresh_grace": "soon"}, "[refresh_grace] must be of type"),
        ({"access_token_ttl": None}, "[access_token_ttl] is required"),
    ],
)
async def test_config_validation_changes_nothing(
    api: Api, simulator: Simulator, body: dict[str, Any], fragment: str
) -> None:
    before = await ok(api, "GET", "config")
    await rejected(api, "POST", "config", {"access_token_ttl": 99, **body}, fragment)
    assert await ok(api, "GET", "config") == before


async def test_advance_time_expires_tokens(api: Api, simulator: Simulator) -> None:
    tokens = await api.login()
    before = simulator.state.clock.now()
    body = await ok(api, "POST", "time", {"advance": 3600})
    assert body["now"] >= before + 3600
    assert body["iso"].endswith("Z")
    response = await api.get("/restapi/v1.0/account/~", tokens["access_token"])
    assert response.status == 401
    assert (await ok(api, "GET", "time"))["now"] >= body["now"]
    await rejected(api, "POST", "time", {"advance": -1}, "[advance] must be >= 0")
    await rejected(api, "POST", "time", {}, "[advance] is required")


async def test_state_reports_ground_truth_and_subscriptions(api: Api, simulator: Simulator) -> None:
    target = api.extension_ids[1]
    tsid = simulator.state.calls.start("inbound_answered", target, step=True)
    simulator.state.calls.step(tsid)
    body = await ok(api, "GET", "state")
    assert set(body["extensions"]) == set(api.extension_ids)
    assert body["extensions"][target] == simulator.state.calls.ground_truth()[target]
    assert body["extensions"][target]["telephonyStatus"] == "Ringing"
    assert isinstance(body["subscriptions"], list)


async def test_credentials(api: Api, simulator: Simulator) -> None:
    default = await ok(api, "GET", "credentials")
    assert default == simulator.credentials()
    assert default["server"] == simulator.url
    assert default["extension_id"] == api.extension_ids[0]
    other = api.extension_ids[3]
    response = await api.http.get(f"{api.sim.url}/sim/credentials", params={"extension_id": other})
    assert (await response.json())["jwt"] == simulator.state.account.extensions[other].jwt
    unknown = await api.http.get(f"{api.sim.url}/sim/credentials", params={"extension_id": "nobody"})
    assert unknown.status == 400


# -- command line ----------------------------------------------------------------------------------


def test_cli_prints_credentials_and_stops_cleanly(socket_enabled: None) -> None:
    repo = Path(__file__).resolve().parents[2]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rcsim",
            "--port",
            "0",
            "--extensions",
            "3",
            "--time-scale",
            "10",
            "--seed",
            "7",
        ],
        cwd=repo,
        env={**os.environ, "PYTHONPATH": str(repo)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        printed: dict[str, str] = {}
        for line in process.stdout:  # bounded by the test timeout if the server never gets ready
            if line.startswith("Ready"):
                break
            key, sep, value = line.partition(": ")
            if sep:
                printed[key] = value.strip()
        assert printed["server"].startswith("http://127.0.0.1:")
        assert printed["client_id"] == "sim-client-id"
        assert printed["client_secret"] == "sim-client-secret"
        url = f"{printed['server']}/sim/credentials"
        assert url.startswith("http://")
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310  (http only, checked above)
            served = json.load(response)
        assert served["jwt"] == printed["jwt"]
        assert printed["extension"].startswith(served["extension_id"])
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
        assert "Stopped." in process.stdout.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


@pytest.mark.parametrize("args", [["--extensions", "0"], ["--time-scale", "-2"], ["--port", "x"]])
def test_cli_rejects_bad_arguments(args: list[str]) -> None:
    from rcsim.__main__ import parse_args

    with pytest.raises(SystemExit) as exc:
        parse_args(args)
    assert exc.value.code == 2
