"""API rate limits by usage-plan group (Light, Medium, Heavy, Auth), per user per app.

RingCentral counts requests per group over a window (`rate_window`, 60 s) and, once a caller
exceeds the group's limit, answers 429 for a penalty window (`penalty_window`, 60 s) that
restarts with every request made during it. `Retry-After` and `X-Rate-Limit-Window` are in
simulated seconds (the simulator's clock), so clients of a fast simulator wait for a shorter
real time only if they scale them; at `time_scale` 1 they are plain seconds.
"""

from __future__ import annotations

import math
import re
from collections import deque
from dataclasses import dataclass

from .clock import SimClock
from .config import SimConfig

_ACCOUNT = r"/restapi/v1\.0/account/[^/]+"
_EXTENSION = _ACCOUNT + r"/extension/[^/]+"
_SUBSCRIPTION = r"/restapi/v1\.0/subscription"

# (method, path pattern, group) from RingCentral's API reference; first match wins.
ROUTE_GROUPS: tuple[tuple[str, re.Pattern[str], str], ...] = tuple(
    (method, re.compile(pattern + r"/?$"), group)
    for method, pattern, group in (
        ("POST", r"/restapi/oauth/(token|revoke|wstoken)", "Auth"),
        ("POST", _SUBSCRIPTION, "Medium"),
        ("GET", _SUBSCRIPTION, "Light"),
        ("POST", _SUBSCRIPTION + r"/[^/]+/renew", "Light"),
        ("GET", _SUBSCRIPTION + r"/[^/]+", "Light"),
        ("PUT", _SUBSCRIPTION + r"/[^/]+", "Medium"),
        ("DELETE", _SUBSCRIPTION + r"/[^/]+", "Medium"),
        ("GET", _EXTENSION + r"/presence", "Light"),
        # messages, SMS, numbers, names and call history
        ("GET", _EXTENSION + r"/message-store", "Light"),
        ("GET", _EXTENSION + r"/message-store/[^/]+", "Light"),
        ("PUT", _EXTENSION + r"/message-store/[^/]+", "Medium"),
        ("GET", _EXTENSION + r"/message-store/[^/]+/content/[^/]+", "Medium"),
        ("POST", _EXTENSION + r"/sms", "Medium"),
        ("GET", _EXTENSION + r"/phone-number", "Light"),
        ("GET", _ACCOUNT + r"/directory/entries", "Medium"),
        ("GET", _EXTENSION + r"/address-book/contact", "Heavy"),
        ("GET", _EXTENSION + r"/call-log", "Heavy"),
        ("GET", _ACCOUNT + r"/presence", "Heavy"),
        ("GET", _ACCOUNT + r"/extension", "Medium"),
        ("GET", _EXTENSION, "Light"),
        ("GET", _ACCOUNT + r"/telephony/sessions/[^/]+", "Light"),
        ("GET", _ACCOUNT, "Light"),
    )
)


def group_for(method: str, path: str) -> str | None:
    """The usage-plan group of a request, or None for routes that are not limited."""
    for route_method, pattern, group in ROUTE_GROUPS:
        if route_method == method.upper() and pattern.match(path):
            return group
    return None


@dataclass(frozen=True)
class RateDecision:
    """The outcome of counting one request, with the values of the `X-Rate-Limit-*` headers."""

    allowed: bool
    group: str
    limit: int
    remaining: int
    window: int
    retry_after: int | None = None

    def headers(self) -> dict[str, str]:
        headers = {
            "X-Rate-Limit-Group": self.group,
            "X-Rate-Limit-Limit": str(self.limit),
            "X-Rate-Limit-Remaining": str(self.remaining),
            "X-Rate-Limit-Window": str(self.window),
        }
        if self.retry_after is not None:
            headers["Retry-After"] = str(self.retry_after)
        return headers


class _Bucket:
    """Request times of one caller in one group, and its penalty deadline."""

    __slots__ = ("penalty_until", "times")

    def __init__(self) -> None:
        self.times: deque[float] = deque()
        self.penalty_until = 0.0


class RateLimiter:
    """Sliding-window request counters; limits are read from `config` at every request."""

    def __init__(self, config: SimConfig, clock: SimClock) -> None:
        self._config = config
        self._clock = clock
        self._buckets: dict[tuple[str, str], _Bucket] = {}

    @property
    def enabled(self) -> bool:
        return self._config.rate_limits_enabled

    def reset(self) -> None:
        """Forget every counter and penalty (control API)."""
        self._buckets.clear()

    def check(self, group: str, key: str) -> RateDecision:
        """Count one request by `key` (user and app) in `group`; decide whether it may be served."""
        config = self._config
        limit = config.rate_limits.get(group, 0)
        window = config.rate_window
        now = self._clock.now()
        bucket = self._buckets.setdefault((group, key), _Bucket())
        while bucket.times and bucket.times[0] <= now - window:
            bucket.times.popleft()
        window_header = math.ceil(window)
        if now < bucket.penalty_until or len(bucket.times) >= limit:
            # Every request during the penalty restarts it.
            bucket.penalty_until = now + config.penalty_window
            return RateDecision(
                False, group, limit, 0, window_header, retry_after=math.ceil(config.penalty_window)
            )
        bucket.times.append(now)
        return RateDecision(True, group, limit, limit - len(bucket.times), window_header)
