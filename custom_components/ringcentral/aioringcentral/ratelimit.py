"""Client-side rate limiting per RingCentral usage-plan group.

RingCentral budgets requests per user, per app and per group (`Light`, `Medium`, `Heavy`, `Auth`).
Going over answers `429` and opens a penalty window (60 s by default) that restarts on every request
made during it, so the only safe behaviour is to send nothing in a group until its window is over.

Decisions:
- One request in flight per group. The budgets are per minute, far below what a single in-flight
  request can use, and serialising guarantees a `429` is seen before the next request in the group
  is sent (parallel requests would land in the penalty window and restart it).
- A request that would be sent into a penalty window, or while the group's `remaining` budget is 0,
  waits. If that wait would exceed `max_wait` seconds (per limiter, overridable per request), it
  raises `RateLimitedError` at once instead, so callers with deadlines fail fast.
- `remaining == 0` means "wait one full window from when it was read": RingCentral does not say when
  a window started, and a full window from the last observation is safe for fixed and sliding windows.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Final

from .errors import RateLimitedError
from .timebase import Clock, Sleep

_LOGGER = logging.getLogger(__name__)

LIGHT: Final = "Light"
MEDIUM: Final = "Medium"
HEAVY: Final = "Heavy"
AUTH: Final = "Auth"
GROUPS: Final = (LIGHT, MEDIUM, HEAVY, AUTH)

# Used when a 429 carries no usable Retry-After: RingCentral's penalty window is 60 s.
DEFAULT_PENALTY: Final = 60.0
DEFAULT_MAX_WAIT: Final = 120.0

_ACCOUNT: Final = r"^/restapi/v1\.0/account/[^/]+"
_EXTENSION: Final = _ACCOUNT + r"/extension/[^/]+"
_MESSAGE: Final = _EXTENSION + r"/message-store/[^/]+"


def _route(method: str | None, pattern: str, group: str) -> tuple[str | None, re.Pattern[str], str]:
    return method, re.compile(pattern + r"/?$"), group


# (method or None for any, path pattern, group), from the spec's `x-throttling-group`; first match
# wins. Paths are without query strings.
_ENDPOINT_GROUPS: Final[tuple[tuple[str | None, re.Pattern[str], str], ...]] = (
    (None, re.compile(r"^/restapi/oauth/"), AUTH),
    _route("POST", r"^/restapi/v1\.0/subscription/[^/]+/renew", LIGHT),
    _route("GET", r"^/restapi/v1\.0/subscription(/[^/]+)?", LIGHT),
    _route(None, r"^/restapi/v1\.0/subscription(/[^/]+)?", MEDIUM),
    _route("GET", _ACCOUNT + r"/presence", HEAVY),
    _route("GET", _ACCOUNT + r"/directory/entries", MEDIUM),
    _route(None, _ACCOUNT + r"/extension", MEDIUM),  # list (GET) and create (POST)
    _route("GET", _EXTENSION + r"/presence", LIGHT),
    _route("PUT", _EXTENSION + r"/presence", MEDIUM),
    _route("GET", _EXTENSION + r"/ring-out/[^/]+", LIGHT),
    _route(None, _EXTENSION + r"/ring-out(/[^/]+)?", HEAVY),
    _route("GET", _EXTENSION + r"/message-store(/[^/]+)?", LIGHT),
    _route(None, _EXTENSION + r"/message-store(/[^/]+)?", MEDIUM),  # PUT and DELETE
    _route("GET", _MESSAGE + r"/content/[^/]+", MEDIUM),
    _route("POST", _EXTENSION + r"/sms", MEDIUM),
    _route("GET", _EXTENSION + r"/phone-number", LIGHT),
    _route(None, _EXTENSION + r"/address-book/contact", HEAVY),
    _route(None, _EXTENSION + r"/call-log", HEAVY),
    _route("GET", _EXTENSION, LIGHT),
    _route(None, _EXTENSION, MEDIUM),  # PUT and DELETE
    _route(None, _ACCOUNT + r"/telephony/sessions/[^/]+(/parties/[^/]+(/[a-z]+)?)?", LIGHT),
    _route("GET", _ACCOUNT, LIGHT),
)


def group_for(method: str, path: str) -> str:
    """The usage-plan group RingCentral counts a request against (`Light` when unknown: it is the
    smallest cost RingCentral assigns, and the server's `X-Rate-Limit-Group` header corrects us)."""
    path = path.split("?", 1)[0]
    method = method.upper()
    for want, pattern, group in _ENDPOINT_GROUPS:
        if (want is None or want == method) and pattern.search(path):
            return group
    return LIGHT


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds from a `Retry-After` header (delta-seconds or an HTTP date); None when absent or bad."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - now
        except (TypeError, ValueError, IndexError):
            return None
    return max(0.0, seconds) if math.isfinite(seconds) else None


@dataclass
class GroupState:
    """What the limiter knows about one group. Times are `Clock` seconds."""

    name: str
    limit: int | None = None
    remaining: int | None = None
    window: float | None = None
    observed_at: float | None = None  # when `remaining` was last read from a response
    penalty_until: float = 0.0
    throttled: int = 0  # 429 answers seen
    lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    def refill(self, now: float) -> None:
        """A spent budget is whole again one window after it was last read."""
        if (
            self.remaining is not None
            and self.remaining <= 0
            and self.observed_at is not None
            and now >= self.observed_at + (self.window or DEFAULT_PENALTY)
        ):
            self.remaining = self.limit

    def ready_at(self) -> float:
        """Earliest time a request may be sent."""
        ready = self.penalty_until
        if self.remaining is not None and self.remaining <= 0 and self.observed_at is not None:
            ready = max(ready, self.observed_at + (self.window or DEFAULT_PENALTY))
        return ready

    def as_dict(self) -> dict[str, Any]:
        return {
            "limit": self.limit,
            "remaining": self.remaining,
            "window": self.window,
            "penalty_until": self.penalty_until or None,
            "throttled": self.throttled,
        }


class RateLimiter:
    """Per-group budgets shared by every request of one client (one user, one app)."""

    def __init__(
        self,
        *,
        clock: Clock = time.time,
        sleep: Sleep = asyncio.sleep,
        max_wait: float | None = DEFAULT_MAX_WAIT,
        default_penalty: float = DEFAULT_PENALTY,
    ) -> None:
        """`max_wait`: longest a request may wait for its group (None: no limit)."""
        self._clock = clock
        self._sleep = sleep
        self.max_wait = max_wait
        self.default_penalty = default_penalty
        self._groups: dict[str, GroupState] = {}

    def group(self, name: str) -> GroupState:
        state = self._groups.get(name)
        if state is None:
            state = self._groups[name] = GroupState(name)
        return state

    def delay(self, name: str) -> float:
        """Seconds until a request in the group may be sent (0 when it may go now)."""
        return max(0.0, self.group(name).ready_at() - self._clock())

    @asynccontextmanager
    async def slot(self, name: str, *, max_wait: float | None = None) -> AsyncIterator[None]:
        """Hold the group's single in-flight slot, after waiting out its penalty and budget.

        Raises `RateLimitedError` without waiting when the wait would exceed `max_wait`
        (default: the limiter's). The response must be reported with `update`/`penalize`
        before leaving the block so the next request sees it.
        """
        limit = self.max_wait if max_wait is None else max_wait
        deadline = None if limit is None else self._clock() + limit
        state = self.group(name)
        async with state.lock:
            while True:
                now = self._clock()
                state.refill(now)
                wait = state.ready_at() - now
                if wait <= 0:
                    break
                if deadline is not None and now + wait > deadline:
                    raise RateLimitedError(
                        f"RingCentral rate limit for the {name} group: retry in {wait:.0f} s",
                        retry_after=wait,
                        group=name,
                    )
                _LOGGER.debug("Waiting %.1f s before the next %s request", wait, name)
                await self._sleep(wait)
            if state.remaining is not None:
                # Count the request now: if the answer carries no headers, the budget still shrinks.
                state.remaining -= 1
                state.observed_at = self._clock()
            yield

    def update(self, name: str, headers: Mapping[str, str]) -> str:
        """Read `X-Rate-Limit-*` from a response; returns the group they describe."""
        group = headers.get("X-Rate-Limit-Group") or name
        state = self.group(group)
        limit = _int(headers.get("X-Rate-Limit-Limit"))
        remaining = _int(headers.get("X-Rate-Limit-Remaining"))
        window = _int(headers.get("X-Rate-Limit-Window"))
        if limit is not None:
            state.limit = limit
        if window is not None:
            state.window = float(window)
        if remaining is not None:
            state.remaining = remaining
            state.observed_at = self._clock()
        if group != name:
            _LOGGER.debug("Server counted a request of the %s group as %s", name, group)
        return group

    def penalize(self, name: str, headers: Mapping[str, str]) -> float:
        """Record a 429: nothing is sent in the group until the penalty is over. Returns its length."""
        now = self._clock()
        retry_after = parse_retry_after(headers.get("Retry-After"), now)
        penalty = self.default_penalty if retry_after is None else retry_after
        group = self.update(name, headers)
        # Be conservative when the server names another group than we assumed: stop both.
        for affected in {name, group}:
            state = self.group(affected)
            state.penalty_until = max(state.penalty_until, now + penalty)
            state.throttled += 1
        _LOGGER.debug("Rate limited in the %s group for %.1f s", group, penalty)
        return penalty

    def as_dict(self) -> dict[str, dict[str, Any]]:
        """Diagnostics: what is known about each group."""
        return {name: state.as_dict() for name, state in sorted(self._groups.items())}


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(float(value.strip()))
    except (ValueError, OverflowError):  # not a number, NaN, or infinite
        return None
