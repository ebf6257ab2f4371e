"""Child processes that speak JSON lines (the WebSocket client workers)."""

from __future__ import annotations

import asyncio
import json
import re
import sys
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
# A WebSocket URL carries its token in the query; a library's error message may quote the URL.
_SECRET_PARAM = re.compile(r"((?:access_token|token|jwt|assertion|client_secret)=)[^&\s'\"]+", re.IGNORECASE)


def redact(text: str) -> str:
    """Text with token-like query parameters blanked, for error messages that end up in reports."""
    return _SECRET_PARAM.sub(r"\1***", text)


class JsonWorker:
    """`python -m <module>` with JSON lines on stdin/stdout; stderr is kept for error messages."""

    def __init__(self, module: str) -> None:
        self.module = module
        self._proc: asyncio.subprocess.Process | None = None

    async def start(self, config: dict[str, Any]) -> None:
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            self.module,
            cwd=REPO_ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        await self.send(config)

    async def send(self, message: dict[str, Any]) -> None:
        proc = self._running()
        assert proc.stdin is not None
        proc.stdin.write((json.dumps(message) + "\n").encode())
        await proc.stdin.drain()

    async def receive(self, within: float) -> dict[str, Any]:
        """The next message; raises RuntimeError with the worker's own error when it failed."""
        proc = self._running()
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), within)
        if not line:
            raise RuntimeError(f"{self.module} exited: {await self._stderr_tail()}")
        message: dict[str, Any] = json.loads(line)
        if "error" in message:
            raise RuntimeError(f"{self.module}: {redact(str(message['error']))}")
        return message

    async def stop(self, within: float = 10.0) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.returncode is None and proc.stdin is not None:
            proc.stdin.close()  # end of input means quit
            try:
                await asyncio.wait_for(proc.wait(), within)
            except TimeoutError:
                proc.kill()
                await proc.wait()

    def _running(self) -> asyncio.subprocess.Process:
        if self._proc is None:
            raise RuntimeError(f"{self.module} is not running")
        return self._proc

    async def _stderr_tail(self) -> str:
        proc = self._running()
        assert proc.stderr is not None
        data = await asyncio.wait_for(proc.stderr.read(), 5.0)
        return redact(data.decode(errors="replace")[-2000:]) or f"exit code {proc.returncode}"


class SimProcess:
    """`benchmarks.sim_server` in a child process: `async with SimProcess(1000) as sim: sim.url`."""

    def __init__(self, extensions: int, *, time_scale: float = 1.0) -> None:
        self.extensions = extensions
        self.time_scale = time_scale
        self.url = ""
        self._proc: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> SimProcess:
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "benchmarks.sim_server",
            "--extensions",
            str(self.extensions),
            "--time-scale",
            str(self.time_scale),
            cwd=REPO_ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert self._proc.stdout is not None
        line = await asyncio.wait_for(self._proc.stdout.readline(), 120)
        if not line:
            await self._proc.wait()
            raise RuntimeError(f"the simulator process exited (code {self._proc.returncode})")
        self.url = json.loads(line)["url"]
        return self

    async def __aexit__(self, *_exc: object) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.returncode is not None:
            return
        assert proc.stdin is not None
        proc.stdin.close()
        try:
            await asyncio.wait_for(proc.wait(), 15)
        except TimeoutError:
            proc.kill()
            await proc.wait()
