"""A real browser on the demo dashboard: Debian's headless chromium, driven by playwright-core.

The test starts the simulator and Home Assistant as subprocesses (``scripts/demo/ha_demo.py``, the same
code ``scripts/develop`` runs), logs in through HA's login page, and watches an extension's card while the
simulator plays an answered inbound call step by step: "Ringing", then the connected state, then no call,
each with the translated names HA renders. Then the call's history: the dashboard's timeline and call log
as they update live and again after a reload (from the recorder's database), and the Activity panel's
entries for the call's events. Screenshots go to ``artifacts/browser/``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from scripts.demo.dashboard import (
    HISTORY_TITLE,
    LOGBOOK_TITLE,
    ROW_CALL_STATUS,
    ROW_LAST_EVENT,
    ROW_ON_CALL,
    ExtensionCard,
)
from scripts.demo.ha_demo import (
    PASSWORD,
    ROOT,
    USERNAME,
    HomeAssistantApi,
    Stack,
    demo_stack,
    wait_until,
)

CHROMIUM = shutil.which("chromium")
NODE = shutil.which("node")
DRIVER = Path(__file__).with_name("driver.cjs")
PLAYWRIGHT = ROOT / ".cache" / "browser" / "node_modules" / "playwright-core"
ARTIFACTS = ROOT / "artifacts" / "browser"
TRANSLATIONS = ROOT / "custom_components" / "ringcentral" / "translations" / "en.json"

pytestmark = [
    pytest.mark.browser,
    # Starting HA and a browser takes tens of seconds on a 2-core machine; every wait inside is bounded.
    pytest.mark.timeout(300),
    # CI installs chromium (scripts/test runs scripts/setup-browser): there a missing browser fails.
    pytest.mark.skipif(
        CHROMIUM is None and not os.environ.get("CI"),
        reason="Debian's chromium is not installed (scripts/setup-browser)",
    ),
]


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


def call_status_names() -> dict[str, str]:
    """The call-status sensor's state names as HA renders them (English)."""
    data = json.loads(TRANSLATIONS.read_text())
    names: dict[str, str] = data["entity"]["sensor"]["call_status"]["state"]
    return names


def event_type_names() -> dict[str, str]:
    """The call event entity's event-type names as HA renders them (English)."""
    data = json.loads(TRANSLATIONS.read_text())
    names: dict[str, str] = data["entity"]["event"]["call"]["state_attributes"]["event_type"]["state"]
    return names


def snake(status: str) -> str:
    """RingCentral's telephonyStatus (CallConnected) as the sensor's state (call_connected)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", status).lower()


class CallPlayer:
    """Plays a step-mode scenario through the simulator's control API, in step with Home Assistant."""

    def __init__(
        self, session: aiohttp.ClientSession, stack: Stack, extension_id: str, entity_id: str
    ) -> None:
        self._session = session
        self._stack = stack
        self._extension_id = extension_id
        self._entity_id = entity_id
        self._api = HomeAssistantApi(session, stack.ha_url, stack.token)
        self.tsid = ""

    async def _sim(self, method: str, path: str, body: Any = None) -> Any:
        async with self._session.request(method, f"{self._stack.sim_url}{path}", json=body) as resp:
            assert resp.status in (200, 201), f"{method} {path}: {resp.status} {await resp.text()}"
            return await resp.json()

    async def start(self, scenario: str) -> None:
        body = {"scenario": scenario, "extension_id": self._extension_id, "step": True}
        self.tsid = (await self._sim("POST", "/sim/calls", body))["telephonySessionId"]

    async def step(self) -> str | None:
        """One step; waits until HA's sensor shows the simulator's ground truth. None when finished."""
        if not (await self._sim("POST", f"/sim/calls/{self.tsid}/step"))["stepped"]:
            return None
        truth = snake(
            (await self._sim("GET", "/sim/state"))["extensions"][self._extension_id]["telephonyStatus"]
        )

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


async def see_call_history(browser: Browser, card: ExtensionCard, states: dict[str, str]) -> None:
    """The finished call on the dashboard's timeline (status and on-call rows) and in its call log."""
    status = [states["ringing"], states["call_connected"], states["no_call"]]
    row = await browser.call("waitTimeline", card=HISTORY_TITLE, entity=card.call_status, states=status)
    assert row["name"] == card.name, row
    if card.on_call:
        await browser.call(
            "waitTimeline", card=HISTORY_TITLE, entity=card.on_call, states=["Off", "On", "Off"]
        )
    # Each entry names the extension and its call-status row, in the order the HA version lays them out
    # ("Alice Johnson Call status changed to Ringing"; from 2026.10 on "Call status Ringing Alice Johnson").
    for state in status:
        await browser.call("waitLogbook", card=LOGBOOK_TITLE, texts=[card.name, ROW_CALL_STATUS, state])


async def test_dashboard_follows_a_call(tmp_path: Path, socket_enabled: None) -> None:
    """Log in, open the dashboard, see Ringing, then the connected state, then No call, then the call's
    history and logbook entries."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    states, events = call_status_names(), event_type_names()
    browser = Browser(tmp_path / "driver.log")
    async with (
        demo_stack(tmp_path / "config", extensions=3, demo=False) as stack,
        aiohttp.ClientSession() as session,
    ):
        assert len(stack.cards) == 3, [card.name for card in stack.cards]
        card = stack.cards[0]
        player = CallPlayer(session, stack, card.extension_id, card.call_status)
        await browser.start()
        try:
            await browser.call("launch", executablePath=CHROMIUM, userDataDir=str(tmp_path / "chromium"))
            await browser.call("goto", url=stack.dashboard_url)
            await browser.call("login", username=USERNAME, password=PASSWORD)
            await browser.call("waitCard", card=card.name)
            await browser.call("waitRow", card=card.name, row=ROW_CALL_STATUS, text=states["no_call"])
            await browser.call("screenshot", path=str(ARTIFACTS / "01-no-call.png"))

            await player.start("inbound_answered")
            await player.step_until("ringing")
            ringing = await browser.call(
                "waitRow", card=card.name, row=ROW_CALL_STATUS, text=states["ringing"]
            )
            assert ringing["text"] == f"{ROW_CALL_STATUS} {states['ringing']}"
            await browser.call("waitRow", card=card.name, row=ROW_LAST_EVENT, text=events["ringing"])
            await browser.call("screenshot", path=str(ARTIFACTS / "02-ringing.png"))

            await player.step_until("call_connected")
            connected = states["call_connected"]
            shown = await browser.call("waitRow", card=card.name, row=ROW_CALL_STATUS, text=connected)
            assert shown["text"] == f"{ROW_CALL_STATUS} {connected}"
            assert (await browser.call("waitRow", card=card.name, row=ROW_ON_CALL, text="On"))["text"] == (
                f"{ROW_ON_CALL} On"
            )
            await browser.call("waitRow", card=card.name, row=ROW_LAST_EVENT, text=events["answered"])
            await browser.call("screenshot", path=str(ARTIFACTS / "03-on-a-call.png"))

            await player.finish()
            await browser.call("waitRow", card=card.name, row=ROW_CALL_STATUS, text=states["no_call"])
            await browser.call("waitRow", card=card.name, row=ROW_ON_CALL, text="Off")
            await browser.call("waitRow", card=card.name, row=ROW_LAST_EVENT, text=events["ended"])
            await browser.call("screenshot", path=str(ARTIFACTS / "04-ended.png"))

            # The other extensions' cards were never touched by this call.
            for other in stack.cards[1:]:
                text = (await browser.call("cardText", card=other.name))["text"]
                assert states["no_call"] in text, text
                assert states["ringing"] not in text, text

            await see_call_history(browser, card, states)
            await browser.call("screenshot", path=str(ARTIFACTS / "05-history.png"))
            # A newcomer who opens the dashboard after the call: history and logbook from the database.
            assert (stack.config_dir / "home-assistant_v2.db").is_file()
            await browser.call("goto", url=stack.dashboard_url)
            await see_call_history(browser, card, states)
            other = stack.cards[1]
            untouched = await browser.call(
                "waitTimeline", card=HISTORY_TITLE, entity=other.call_status, states=[states["no_call"]]
            )
            assert states["ringing"] not in untouched["states"], untouched

            # HA's Activity panel reads the call's events as logbook.py describes them.
            await browser.call("sidebar", href="/logbook")
            for text in ("has an incoming call from", "answered a call with", "ended the call with"):
                await browser.call("waitLogbook", texts=[card.name, text])
            await browser.call("screenshot", path=str(ARTIFACTS / "06-activity.png"))
        except BaseException:
            with contextlib.suppress(Exception):
                await browser.call("screenshot", path=str(ARTIFACTS / "failure.png"), within=20)
            raise
        finally:
            await browser.close()
    assert sorted(p.name for p in ARTIFACTS.glob("0*.png")) == [
        "01-no-call.png",
        "02-ringing.png",
        "03-on-a-call.png",
        "04-ended.png",
        "05-history.png",
        "06-activity.png",
    ]
