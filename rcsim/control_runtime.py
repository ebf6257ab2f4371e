"""Control API: run-time settings, simulated time, and what the simulator knows and did.

`/sim/config`, `/sim/time`, `/sim/state` (ground truth and subscriptions) and `/sim/log`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from aiohttp import web

from .calls import CallEngine
from .clock import SimClock
from .config import SimConfig
from .control import ControlError, get_field, json_object, number
from .log import SimLog
from .model import ALL_PERMISSIONS, App
from .subscriptions import SubscriptionManager

# Config fields `POST /sim/config` must not change at run time (identity, listening socket, seeding),
# or changes through its own keys (`permissions`, `rate_limits`, `time_scale`).
_FIXED_CONFIG = frozenset({"host", "port", "client_id", "client_secret", "seed", "demo"})
_SPECIAL_CONFIG = frozenset({"permissions", "rate_limits", "time_scale"})
_HIDDEN_CONFIG = frozenset({"client_secret"})


class RuntimeControl:
    """The request handlers, over the settings, the clock, and what the ground truth and log hold."""

    def __init__(
        self,
        *,
        config: SimConfig,
        clock: SimClock,
        app: App,
        calls: CallEngine,
        subscriptions: SubscriptionManager,
        log: SimLog,
    ) -> None:
        self._config = config
        self._clock = clock
        self._app = app
        self._calls = calls
        self._subscriptions = subscriptions
        self._log = log

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/sim/config", self.get_config)
        router.add_post("/sim/config", self.set_config)
        router.add_get("/sim/time", self.get_time)
        router.add_post("/sim/time", self.advance_time)
        router.add_get("/sim/state", self.get_state)
        router.add_get("/sim/log", self.get_log)

    # -- config ----------------------------------------------------------------------------------

    def describe_config(self) -> dict[str, Any]:
        config = {k: v for k, v in dataclasses.asdict(self._config).items() if k not in _HIDDEN_CONFIG}
        config["time_scale"] = self._clock.time_scale
        return {**config, "permissions": sorted(self._app.permissions)}

    async def get_config(self, request: web.Request) -> web.Response:
        return web.json_response(self.describe_config())

    def _config_value(self, body: dict[str, Any], name: str) -> Any:
        """`body[name]` checked against the type of the current setting (durations and counts are >= 0)."""
        current = getattr(self._config, name)
        if isinstance(current, bool):
            return get_field(body, name, bool, required=True)
        if isinstance(current, str):
            return get_field(body, name, str, required=True)
        if isinstance(current, int):
            value = number(body, name, required=True)
            if value is None or not value.is_integer():
                raise ControlError(f"Field [{name}] must be an integer")
            return int(value)
        if isinstance(current, float):
            return number(body, name, required=True)
        raise ControlError(f"Field [{name}] cannot be changed at run time")

    async def set_config(self, request: web.Request) -> web.Response:
        config = self._config
        body = await json_object(request)
        tunable = {f.name for f in dataclasses.fields(config)} - _FIXED_CONFIG - _SPECIAL_CONFIG
        unknown = set(body) - tunable - _SPECIAL_CONFIG
        if unknown:
            raise ControlError(f"Unknown or fixed config field(s): {sorted(unknown)}")
        # Validate everything before changing anything.
        permissions = get_field(body, "permissions", list)
        if permissions is not None:
            bad = [p for p in permissions if p not in ALL_PERMISSIONS]
            if bad:
                raise ControlError(
                    f"Field [permissions]: unknown permission(s) {bad}; known: {sorted(ALL_PERMISSIONS)}"
                )
        rate_limits = get_field(body, "rate_limits", dict)
        if rate_limits is not None:
            for group, limit in rate_limits.items():
                if group not in config.rate_limits:
                    raise ControlError(f"Field [rate_limits]: unknown group {group!r}")
                if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
                    raise ControlError(f"Field [rate_limits.{group}] must be a non-negative integer")
        time_scale = number(body, "time_scale")
        if time_scale is not None and time_scale <= 0:
            raise ControlError("Field [time_scale] must be positive")
        values = {name: self._config_value(body, name) for name in tunable & set(body)}

        if permissions is not None:
            self._app.permissions = set(permissions)
        if rate_limits is not None:
            config.rate_limits.update(rate_limits)
        if time_scale is not None:
            self._clock.set_time_scale(time_scale)
            config.time_scale = time_scale
        for name, value in values.items():
            setattr(config, name, value)
        self._log.record("control", action="config", fields=sorted(body))
        return web.json_response(self.describe_config())

    # -- time ------------------------------------------------------------------------------------

    async def advance_time(self, request: web.Request) -> web.Response:
        body = await json_object(request)
        seconds = number(body, "advance", required=True) or 0.0
        self._clock.advance(seconds)
        return web.json_response(self._now())

    async def get_time(self, request: web.Request) -> web.Response:
        return web.json_response(self._now())

    def _now(self) -> dict[str, Any]:
        clock = self._clock
        return {"now": clock.now(), "iso": clock.iso(), "time_scale": clock.time_scale}

    # -- inspection ------------------------------------------------------------------------------

    async def get_state(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"extensions": self._calls.ground_truth(), "subscriptions": self._subscriptions.describe()}
        )

    async def get_log(self, request: web.Request) -> web.Response:
        log = self._log
        try:
            since = int(request.query.get("since", "0"))
        except ValueError:
            raise ControlError("Query parameter [since] must be an integer") from None
        if since < 0:
            raise ControlError("Query parameter [since] must be >= 0")
        kinds = set(request.query.getall("kind", []))
        first = log.dropped
        entries = [
            {"index": first + offset, **entry}
            for offset, entry in enumerate(log.entries[max(0, since - first) :], start=max(0, since - first))
            if not kinds or entry["kind"] in kinds
        ]
        return web.json_response({"entries": entries, "next": first + len(log.entries)})
