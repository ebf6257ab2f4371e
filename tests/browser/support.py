"""What the browser test drives: the JSON-lines browser driver, the simulator's control API (played in step
with Home Assistant), and the integration's English names as HA renders them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import shutil
from pathlib import Path
from typing import Any

import aiohttp

from scripts.demo.ha_demo import ROOT, HomeAssistantApi, Stack, wait_until

CHROMIUM = shutil.which("chromium")
NODE = shutil.which("node")
DRIVER = Path(__file__).with_name("driver.cjs")
PLAYWRIGHT = ROOT / ".cache" / "browser" / "node_modules" / "playwright-core"
ARTIFACTS = ROOT / "artifacts" / "browser"
TRANSLATIONS = ROOT / "custom_components" / "ringcentral" / "translations" / "en.json"


class Browser:
    """The JSON-lines driver (driver.cjs) in a node subprocess; each call is bounded."""

    def __init__(self, log_path: Path) -> None:
        self._log_path = log_path
        self._proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        """Start node with the driver; fails clearly if node or playwright-core is missing."""
        assert NODE is not None, "node is not installed (scripts/setup-browser installs it)"
        assert PLAYWRIGHT.is_dir(), "playwright-core is not installed (run scripts/setup-browser)"
        with self._log_path.open("w") as log:
            self._proc = await asyncio.create_subprocess_exec(
                NODE, str(DRIVER), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=log
            )

    async def call(self, cmd: str, *, within: float = 60, **args: Any) -> dict[str, Any]:
        """Run one driver command; AssertionError with the driver's message when it fails."""
        assert self._proc is not None
        assert self._proc.stdin is not None
        assert self._proc.stdout is not None
        self._proc.stdin.write((json.dumps({"cmd": cmd, **args}) + "\n").encode())
        await self._proc.stdin.drain()
        line = await asyncio.wait_for(self._proc.stdout.readline(), within)
        if not line:
            raise AssertionError(f"the browser driver exited: {self._log_path.read_text()[-2000:]}")
        reply: dict[str, Any] = json.loads(line)
        if not reply.pop("ok"):
            raise AssertionError(f"browser {cmd}: {reply['error']}")
        return reply

    async def close(self) -> None:
        """Close the browser and the driver, forcefully if it does not exit."""
        if self._proc is None or self._proc.returncode is not None:
            return
        with contextlib.suppress(Exception):
            await self.call("close", within=30)
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        try:
            await asyncio.wait_for(self._proc.wait(), 15)
        except TimeoutError:
            self._proc.kill()
            await self._proc.wait()


def entity_translation(platform: str, key: str) -> dict[str, Any]:
    """The English strings of one entity of the integration (translations/en.json), as HA renders them."""
    strings: dict[str, Any] = json.loads(TRANSLATIONS.read_text())["entity"][platform][key]
    return strings


def call_status_names() -> dict[str, str]:
    """The call-status sensor's state names as HA renders them (English)."""
    names: dict[str, str] = entity_translation("sensor", "call_status")["state"]
    return names


def event_type_names() -> dict[str, str]:
    """The call event entity's event-type names as HA renders them (English)."""
    names: dict[str, str] = entity_translation("event", "call")["state_attributes"]["event_type"]["state"]
    return names


def snake(status: str) -> str:
    """RingCentral's telephonyStatus (CallConnected) as the sensor's state (call_connected)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", status).lower()


class SimControl:
    """The simulator's control API: its ground truth, and calls and messages played on it."""

    def __init__(self, session: aiohttp.ClientSession, sim_url: str) -> None:
        self._session = session
        self._url = sim_url

    async def request(self, method: str, path: str, body: Any = None, **params: str) -> Any:
        async with self._session.request(method, f"{self._url}{path}", json=body, params=params) as resp:
            assert resp.status in (200, 201), f"{method} {path}: {resp.status} {await resp.text()}"
            return await resp.json()

    async def presence(self, extension_id: str) -> dict[str, Any]:
        """What the extension's presence reports now (telephonyStatus, dndStatus, ...)."""
        truth: dict[str, Any] = (await self.request("GET", "/sim/state"))["extensions"][extension_id]
        return truth

    async def unread_voicemails(self, extension_id: str) -> int:
        """The extension's unread voicemails in the simulator's message store."""
        messages = (await self.request("GET", "/sim/messages", extension_id=extension_id))["messages"]
        return sum(1 for m in messages if m["type"] == "VoiceMail" and m["read_status"] == "Unread")


class CallPlayer:
    """Plays a step-mode scenario through the simulator's control API, in step with Home Assistant."""

    def __init__(
        self, session: aiohttp.ClientSession, stack: Stack, extension_id: str, entity_id: str
    ) -> None:
        self._sim = SimControl(session, stack.sim_url)
        self._extension_id = extension_id
        self._entity_id = entity_id
        self._api = HomeAssistantApi(session, stack.ha_url, stack.token)
        self.tsid = ""

    async def start(self, scenario: str) -> None:
        body = {"scenario": scenario, "extension_id": self._extension_id, "step": True}
        self.tsid = (await self._sim.request("POST", "/sim/calls", body))["telephonySessionId"]

    async def step(self) -> str | None:
        """One step; waits until HA's sensor shows the simulator's ground truth. None when finished."""
        if not (await self._sim.request("POST", f"/sim/calls/{self.tsid}/step"))["stepped"]:
            return None
        truth = snake((await self._sim.presence(self._extension_id))["telephonyStatus"])

        async def shown() -> bool | None:
            return True if (await self._api.state(self._entity_id))["state"] == truth else None

        await wait_until(shown, within=15, what=f"{self._entity_id} to become {truth}")
        return truth

    async def step_until(self, status: str) -> None:
        while (shown := await self.step()) != status:
            assert shown is not None, f"the scenario ended before {status}"

    async def finish(self) -> None:
        while await self.step() is not None:
            pass
