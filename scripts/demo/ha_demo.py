"""The simulator and a real Home Assistant wired to it, shared by ``scripts/develop`` and the browser test.

Everything goes through public interfaces, as a person would:
- the simulator is ``python -m rcsim`` in a subprocess; its credentials come from ``GET /sim/credentials``;
- Home Assistant is ``python -m homeassistant -c DIR`` in a subprocess, on a config dir prepared by
  ``bootstrap.py`` (owner user, onboarding done, long-lived token);
- the integration is added through the config-flow REST API (the real flow, no clicking) and its
  options through the options-flow REST API;
- the dashboard is created and saved through Home Assistant's WebSocket API, one card per extension.

Secrets (client secret, JWT, tokens) are never printed or logged here.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import os
import re
import shutil
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from scripts.demo.dashboard import (
    DASHBOARD_TITLE,
    DASHBOARD_URL_PATH,
    VIEW_PATH,
    ExtensionCard,
    dashboard_config,
    extension_cards,
)

ROOT = Path(__file__).resolve().parents[2]
FRONTEND_DIR = ROOT / ".cache" / "ha-frontend"
INTEGRATION_DIR = ROOT / "custom_components" / "ringcentral"
BOOTSTRAP = Path(__file__).resolve().with_name("bootstrap.py")
CONFIG_TEMPLATE = Path(__file__).resolve().with_name("configuration.yaml")
DEMO_MARKER = ".ringcentral-demo"

DOMAIN = "ringcentral"
USERNAME = "demo"
PASSWORD = "demo1234"  # noqa: S105  (the demo's published login, on a loopback-only server)

_URL_RE = re.compile(r"http://127\.0\.0\.1:\d+")


class DemoError(RuntimeError):
    """Something in the demo stack did not come up; the message says what and where to look."""


@dataclass(slots=True)
class Stack:
    """A running simulator + Home Assistant pair."""

    sim_url: str
    ha_url: str
    token: str
    config_dir: Path
    credentials: dict[str, str]
    entry_id: str
    cards: list[ExtensionCard] = field(default_factory=list)
    processes: list[ManagedProcess] = field(default_factory=list)

    @property
    def dashboard_url(self) -> str:
        """Where the dashboard is, in a browser."""
        return f"{self.ha_url}/{DASHBOARD_URL_PATH}/{VIEW_PATH}"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def port_is_free(port: int) -> bool:
    """Whether ``port`` on 127.0.0.1 can be bound."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def child_env() -> dict[str, str]:
    """Environment for the child Pythons: the repo importable, and HA's frontend package if kept aside.

    ``scripts/setup-browser`` installs ``home-assistant-frontend`` into ``.cache/ha-frontend`` rather than
    into the venv when the venv does not have it.
    """
    env = dict(os.environ)
    paths = [str(ROOT)]
    if importlib.util.find_spec("hass_frontend") is None and FRONTEND_DIR.is_dir():
        paths.append(str(FRONTEND_DIR))
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def frontend_available() -> bool:
    """Whether Home Assistant's frontend package can be imported by the child hass."""
    return importlib.util.find_spec("hass_frontend") is not None or (FRONTEND_DIR / "hass_frontend").is_dir()


async def wait_until[T](
    probe: Callable[[], Awaitable[T | None]], *, within: float, what: str, interval: float = 0.2
) -> T:
    """Poll ``probe`` until it returns something other than None; DemoError after ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        result = await probe()
        if result is not None:
            return result
        if time.monotonic() > deadline:
            raise DemoError(f"timed out after {within:.0f} s waiting for {what}")
        await asyncio.sleep(interval)


def prepare_config_dir(config_dir: Path, *, ha_port: int) -> None:
    """Create a fresh config dir (only ever wiping one this module created) with the integration linked."""
    if config_dir.exists():
        if not (config_dir / DEMO_MARKER).exists():
            raise DemoError(f"{config_dir} exists and was not made by the demo: move it away or pick another")
        shutil.rmtree(config_dir)
    config_dir.mkdir(parents=True)
    (config_dir / DEMO_MARKER).write_text("Made by scripts/demo; wiped on every run.\n")
    text = CONFIG_TEMPLATE.read_text().replace("@HA_PORT@", str(ha_port))
    (config_dir / "configuration.yaml").write_text(text)
    for name in ("automations.yaml", "scripts.yaml", "scenes.yaml"):
        (config_dir / name).write_text("[]\n" if name == "automations.yaml" else "{}\n")
    (config_dir / "custom_components").mkdir()
    (config_dir / "custom_components" / DOMAIN).symlink_to(INTEGRATION_DIR, target_is_directory=True)
    blueprints = ROOT / "blueprints" / "automation" / DOMAIN
    if blueprints.is_dir():
        target = config_dir / "blueprints" / "automation"
        target.mkdir(parents=True)
        (target / DOMAIN).symlink_to(blueprints, target_is_directory=True)


async def run_bootstrap(config_dir: Path) -> str:
    """Run bootstrap.py in a child Python and return the long-lived token it prints."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(BOOTSTRAP),
        "--config",
        str(config_dir),
        "--username",
        USERNAME,
        "--password",
        PASSWORD,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=child_env(),
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    if proc.returncode != 0:
        raise DemoError(f"bootstrap.py failed:\n{err.decode(errors='replace')[-2000:]}")
    return out.decode().strip().splitlines()[-1]


class ManagedProcess:
    """A child process whose output goes to a log file, stopped with SIGINT, then SIGTERM, then SIGKILL."""

    def __init__(self, name: str, proc: asyncio.subprocess.Process, log_path: Path) -> None:
        self.name = name
        self.proc = proc
        self.log_path = log_path

    @property
    def running(self) -> bool:
        """Whether the process has not exited."""
        return self.proc.returncode is None

    def log_tail(self, chars: int = 3000) -> str:
        """The end of the process's output, for error messages."""
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    async def stop(self, grace: float = 20.0) -> None:
        """Stop gracefully (SIGINT, as Ctrl-C would), then SIGTERM, then SIGKILL; never leaves it behind."""
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
            if not self.running:
                return
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(sig)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.proc.wait(), grace)
        await self.proc.wait()


async def _spawn(name: str, argv: list[str], log_path: Path, cwd: Path) -> ManagedProcess:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w") as log:
        proc = await asyncio.create_subprocess_exec(
            *argv, stdout=log, stderr=asyncio.subprocess.STDOUT, cwd=cwd, env=child_env()
        )
    return ManagedProcess(name, proc, log_path)


async def start_simulator(
    session: aiohttp.ClientSession, *, port: int, extensions: int, demo: bool, log_path: Path
) -> tuple[ManagedProcess, str, dict[str, str]]:
    """Start ``python -m rcsim``; return the process, its base URL and the admin's credentials."""
    argv = [sys.executable, "-m", "rcsim", "--host", "127.0.0.1", "--port", str(port)]
    argv += ["--extensions", str(extensions)] + (["--demo"] if demo else [])
    sim = await _spawn("simulator", argv, log_path, ROOT)

    async def url_printed() -> str | None:
        if not sim.running:
            raise DemoError(f"the simulator exited:\n{sim.log_tail()}")
        match = _URL_RE.search(sim.log_tail(100_000))
        return match.group(0) if match else None

    try:
        url = await wait_until(url_printed, within=30, what="the simulator to print its URL")
        creds = await _sim_credentials(session, url)
    except BaseException:
        await sim.stop()
        raise
    return sim, url, creds


async def _sim_credentials(session: aiohttp.ClientSession, sim_url: str) -> dict[str, str]:
    """The admin extension's credentials, from the simulator's control API."""
    async with session.get(f"{sim_url}/sim/credentials") as resp:
        body = await resp.json() if resp.status == 200 else None
    creds = body.get("credentials", body) if isinstance(body, dict) else {}
    missing = {"server", "client_id", "client_secret", "jwt"} - set(creds)
    if missing:
        raise DemoError(f"GET /sim/credentials did not give {sorted(missing)}")
    return {key: str(creds[key]) for key in ("server", "client_id", "client_secret", "jwt")}


# What the demo's first extension finds waiting: a voicemail (with its transcription) and an SMS.
DEMO_VOICEMAIL = {
    "from": "+14155550198",
    "from_name": "Jane Cooper",
    "duration": 14,
    "transcription": "Hi, it's Jane. Please call me back about tomorrow's delivery.",
}
DEMO_SMS = {
    "from": "+12125550176",
    "from_name": "ACME Deliveries",
    "text": "Your parcel is at the front desk.",
}


async def leave_messages(session: aiohttp.ClientSession, sim_url: str, extension_id: str) -> None:
    """A voicemail and an SMS arrive for the extension, through the simulator's control API."""
    for path, body in (("/sim/voicemail", DEMO_VOICEMAIL), ("/sim/sms", DEMO_SMS)):
        async with session.post(f"{sim_url}{path}", json={"to_extension": extension_id, **body}) as resp:
            if resp.status != 201:
                raise DemoError(f"POST {path} answered {resp.status}: {await resp.text()}")


async def start_home_assistant(config_dir: Path, *, ha_url: str, token: str) -> ManagedProcess:
    """Start hass on ``config_dir`` and wait until it reports RUNNING."""
    argv = [sys.executable, "-m", "homeassistant", "-c", str(config_dir), "--skip-pip"]
    hass = await _spawn("home-assistant", argv, config_dir / "hass.stdout.log", config_dir)
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(headers=headers) as session:

        async def running() -> bool | None:
            if not hass.running:
                raise DemoError(f"Home Assistant exited:\n{hass.log_tail()}")
            try:
                async with session.get(f"{ha_url}/api/config") as resp:
                    if resp.status == 200 and (await resp.json()).get("state") == "RUNNING":
                        return True
            except aiohttp.ClientError:
                pass
            return None

        try:
            await wait_until(running, within=180, what=f"Home Assistant at {ha_url}", interval=0.5)
        except BaseException:
            await hass.stop()
            raise
    return hass


class HomeAssistantApi:
    """The bits of Home Assistant's REST and WebSocket APIs the demo needs."""

    def __init__(self, session: aiohttp.ClientSession, ha_url: str, token: str) -> None:
        self._session = session
        self._url = ha_url
        self._headers = {"Authorization": f"Bearer {token}"}
        self._token = token

    async def rest(self, method: str, path: str, body: Any = None) -> Any:
        """Call the REST API; DemoError with HA's message on a non-2xx answer."""
        async with self._session.request(
            method, f"{self._url}{path}", json=body, headers=self._headers
        ) as resp:
            data = await resp.json(content_type=None)
            if resp.status >= 300:
                raise DemoError(f"{method} {path} answered {resp.status}: {data}")
            return data

    async def ws(self, *commands: dict[str, Any]) -> list[Any]:
        """Send WebSocket API commands in order on one connection; return their results."""
        results: list[Any] = []
        async with self._session.ws_connect(f"{self._url}/api/websocket") as ws:
            await ws.receive_json()  # auth_required
            await ws.send_json({"type": "auth", "access_token": self._token})
            if (await ws.receive_json()).get("type") != "auth_ok":
                raise DemoError("Home Assistant refused the demo token")
            for msg_id, command in enumerate(commands, start=1):
                await ws.send_json({"id": msg_id, **command})
                while True:
                    reply = await ws.receive_json(timeout=30)
                    if reply.get("id") == msg_id and reply.get("type") == "result":
                        break
                if not reply.get("success"):
                    raise DemoError(f"{command['type']} failed: {reply.get('error')}")
                results.append(reply.get("result"))
        return results

    async def state(self, entity_id: str) -> dict[str, Any]:
        """The state object of one entity."""
        result: dict[str, Any] = await self.rest("GET", f"/api/states/{entity_id}")
        return result


async def confirm_http_config(api: HomeAssistantApi) -> None:
    """Keep the ``http:`` settings of configuration.yaml, as the owner does in HA's confirmation dialog.

    From HA 2026.10 on, HA moves ``http:`` from YAML to its storage as a pending config on the first start,
    asks the owner to confirm it (a dialog over every page) and otherwise reverts to the defaults (port
    8123 on every interface) and restarts after five minutes. Older HA has no such step (unknown command).
    """
    try:
        (http,) = await api.ws({"type": "http/config"})
    except DemoError:
        return
    if http.get("pending") is not None and http.get("active_config_type") == "pending":
        await api.ws({"type": "http/config/promote"})


async def add_integration(api: HomeAssistantApi, credentials: dict[str, str]) -> str:
    """Add the integration through its config flow, as the UI would; return the entry id."""
    flow = await api.rest("POST", "/api/config/config_entries/flow", {"handler": DOMAIN})
    if flow.get("type") != "form" or flow.get("step_id") != "user":
        raise DemoError(f"unexpected first step of the config flow: {flow.get('type')} {flow.get('step_id')}")
    result = await api.rest("POST", f"/api/config/config_entries/flow/{flow['flow_id']}", credentials)
    if result.get("type") != "create_entry":
        raise DemoError(f"the config flow did not create an entry: {result.get('errors') or result}")
    entry_id: str = result["result"]["entry_id"]
    return entry_id


async def set_options(api: HomeAssistantApi, entry_id: str, wanted: dict[str, str]) -> None:
    """Walk the options flow choosing ``wanted`` values (e.g. monitor the whole account)."""
    flow = await api.rest("POST", "/api/config/config_entries/options/flow", {"handler": entry_id})
    for _ in range(5):
        if flow.get("type") == "create_entry":
            return
        if flow.get("type") != "form":
            raise DemoError(f"options flow ended with {flow.get('type')}: {flow.get('reason')}")
        fields = [f["name"] for f in flow.get("data_schema", [])]
        answer = {name: wanted[name] for name in fields if name in wanted}
        flow = await api.rest("POST", f"/api/config/config_entries/options/flow/{flow['flow_id']}", answer)
    raise DemoError("the options flow did not finish")


async def registry_cards(api: HomeAssistantApi, entry_id: str) -> list[ExtensionCard]:
    """The entry's extension cards, from HA's entity and device registries."""
    entities, devices = await api.ws(
        {"type": "config/entity_registry/list"}, {"type": "config/device_registry/list"}
    )
    return extension_cards(entities, devices, entry_id)


async def create_dashboard(api: HomeAssistantApi, entry_id: str, *, expected: int) -> list[ExtensionCard]:
    """Wait for ``expected`` extension devices (bounded), then save the dashboard; return its cards."""

    async def enough() -> list[ExtensionCard] | None:
        cards = await registry_cards(api, entry_id)
        return cards if len(cards) >= expected else None

    try:
        cards = await wait_until(enough, within=60, what=f"{expected} extensions in HA", interval=0.5)
    except DemoError:
        cards = await registry_cards(api, entry_id)
        if not cards:
            raise
    entities = (await api.ws({"type": "config/entity_registry/list"}))[0]
    account = [
        e["entity_id"]
        for e in entities
        if e.get("config_entry_id") == entry_id and e.get("translation_key") == "connected"
    ]
    await api.ws(
        {
            "type": "lovelace/dashboards/create",
            "url_path": DASHBOARD_URL_PATH,
            "title": DASHBOARD_TITLE,
            "icon": "mdi:phone-in-talk",
            "show_in_sidebar": True,
            "require_admin": False,
        },
        {
            "type": "lovelace/config/save",
            "url_path": DASHBOARD_URL_PATH,
            "config": dashboard_config(cards, account),
        },
    )
    return cards


@contextlib.asynccontextmanager
async def demo_stack(
    config_dir: Path,
    *,
    ha_port: int | None = None,
    sim_port: int | None = None,
    extensions: int = 5,
    demo: bool = True,
    log: Callable[[str], None] = lambda _msg: None,
) -> AsyncIterator[Stack]:
    """Start the simulator and Home Assistant, add the integration and the dashboard; stop both on exit."""
    if not frontend_available():
        raise DemoError("Home Assistant's frontend is not installed: run scripts/setup-browser --no-browser")
    ha_port = ha_port or free_port()
    sim_port = sim_port or free_port()
    ha_url = f"http://127.0.0.1:{ha_port}"
    prepare_config_dir(config_dir, ha_port=ha_port)
    log("Preparing Home Assistant (owner user, onboarding done)")
    token = await run_bootstrap(config_dir)
    processes: list[ManagedProcess] = []
    try:
        async with aiohttp.ClientSession() as session:
            log(f"Starting the simulator on 127.0.0.1:{sim_port}")
            sim, sim_url, credentials = await start_simulator(
                session, port=sim_port, extensions=extensions, demo=demo, log_path=config_dir / "rcsim.log"
            )
            processes.append(sim)
            log(f"Starting Home Assistant on {ha_url} (first start takes a while)")
            processes.append(await start_home_assistant(config_dir, ha_url=ha_url, token=token))
            api = HomeAssistantApi(session, ha_url, token)
            await confirm_http_config(api)
            log("Adding the RingCentral integration through its config flow")
            entry_id = await add_integration(api, credentials)
            await set_options(api, entry_id, {"monitor": "account", "transport": "websocket"})
            log("Creating the dashboard")
            cards = await create_dashboard(api, entry_id, expected=extensions)
            if demo and cards:
                log(f"Leaving {cards[0].name} a voicemail and a text message")
                await leave_messages(session, sim_url, cards[0].extension_id)
        yield Stack(sim_url, ha_url, token, config_dir, credentials, entry_id, cards, processes)
    finally:
        for proc in reversed(processes):
            await proc.stop()
