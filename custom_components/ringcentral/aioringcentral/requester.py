"""One HTTP request to RingCentral: rate limiting, bounded retries, and error mapping.

Shared by `Auth` (token endpoints, HTTP Basic in a header it builds) and `RingCentralClient` (REST,
Bearer). Retries: network errors, timeouts and 5xx are retried `max_retries` times with exponential
backoff and jitter (a 503's `Retry-After` is honoured, unless it is longer than the limiter's
`max_wait`: then the error is raised at once); a 429 puts the group in its penalty window and the
request is retried once the window is over, unless that is longer than the limiter's `max_wait`.
Other answers are returned to the caller, which maps them with `error_from_response`.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import aiohttp

from .errors import (
    ApiError,
    MissingPermissionsError,
    ParseError,
    RateLimitedError,
    RingCentralError,
    TemporarilyUnavailableError,
)
from .jsonload import load_json
from .ratelimit import RateLimiter, group_for, parse_retry_after
from .timebase import Clock, Sleep

_LOGGER = logging.getLogger(__name__)

DEFAULT_REQUEST_TIMEOUT: Final = 30.0
DEFAULT_MAX_RETRIES: Final = 3
_MAX_MESSAGE: Final = 300
_PERMISSION_IN_MESSAGE: Final = re.compile(r"\[([A-Za-z]+)\]")
# RingCentral echoes phone numbers in some messages (`Parameter [from] value [+1650…] is invalid`):
# errors end up in logs, which must not hold phone numbers.
_PHONE_NUMBER: Final = re.compile(r"\+?\d[\d\s().-]{5,}\d")

type BearerSource = Callable[[], Awaitable[str]]


@dataclass(frozen=True, slots=True)
class Response:
    """A RingCentral answer, fully read."""

    status: int
    headers: Mapping[str, str]
    content_type: str
    raw: bytes

    def json(self) -> Any:
        """The body as JSON (None when empty); `ParseError` when it is not JSON."""
        if not self.raw:
            return None
        return load_json(self.raw, f"RingCentral's HTTP {self.status} answer")

    def json_object(self) -> dict[str, Any]:
        """The body as a JSON object; `ParseError` otherwise."""
        body = self.json()
        if not isinstance(body, dict):
            raise ParseError(f"RingCentral answered HTTP {self.status} without a JSON object")
        return body


class Requester:
    """Sends requests to one RingCentral server through a shared `RateLimiter`."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        server: str,
        limiter: RateLimiter,
        *,
        sleep: Sleep,
        clock: Clock = time.time,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        backoff: float = 0.5,
        rng: random.Random | None = None,
    ) -> None:
        """`request_timeout` is in real seconds (it bounds network waits, not RingCentral's clock)."""
        self.session = session
        self.server = server.rstrip("/")
        self.limiter = limiter
        self._sleep = sleep
        self._clock = clock
        self._timeout = aiohttp.ClientTimeout(total=request_timeout)
        self.max_retries = max_retries
        self.backoff = backoff
        self._rng = rng or random.Random()

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else self.server + path

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        form: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        bearer: BearerSource | None = None,
        group: str | None = None,
        max_wait: float | None = None,
        retry_failures: bool = True,
    ) -> Response:
        """Send with retries; returns any non-retryable answer (2xx and 4xx), raises otherwise.

        `max_wait`: longest wait for the group's budget (None: the limiter's); `retry_failures`:
        False for requests that must not be sent twice (a timeout may hide one that went through),
        so network errors, timeouts and 5xx raise at once (a 429 is still retried: nothing was done).
        """
        group = group or group_for(method, path)
        wait_limit = self.limiter.max_wait if max_wait is None else max_wait
        retries = self.max_retries if retry_failures else 0
        failures = 0
        throttled = 0
        penalty = 0.0
        while True:
            send_headers = {"Accept": "application/json", **(headers or {})}
            if bearer is not None:
                # Fetched outside the group's slot: a token refresh needs the Auth group itself.
                send_headers["Authorization"] = "Bearer " + await bearer()
            try:
                async with self.limiter.slot(group, max_wait=max_wait):
                    response = await self._send(
                        method,
                        path,
                        params=params,
                        json_body=json_body,
                        form=form,
                        headers=send_headers,
                    )
                    if response.status == 429:
                        penalty = self.limiter.penalize(group, response.headers)
                    else:
                        self.limiter.update(group, response.headers)
            except (aiohttp.ClientError, TimeoutError) as err:
                failures += 1
                _LOGGER.debug("%s %s failed (%s), attempt %d", method, path, type(err).__name__, failures)
                if failures > retries:
                    raise TemporarilyUnavailableError(
                        f"RingCentral unreachable ({type(err).__name__}) after {failures} attempts"
                    ) from None
                await self._sleep(self._backoff_delay(failures))
                continue
            if response.status == 429:
                throttled += 1
                if throttled > self.max_retries:
                    raise RateLimitedError(
                        f"RingCentral rate limit for the {group} group", retry_after=penalty, group=group
                    )
                continue  # the next slot waits out the penalty, or raises if it is too long
            if response.status >= 500:
                failures += 1
                _LOGGER.debug("%s %s answered %d, attempt %d", method, path, response.status, failures)
                if failures > retries:
                    raise error_from_response(response, f"{method} {path}")
                retry_after = parse_retry_after(response.headers.get("Retry-After"), self._clock())
                delay = max(retry_after or 0.0, self._backoff_delay(failures))
                if wait_limit is not None and delay > wait_limit:
                    # Not worth holding the caller for: report it now, like a long rate-limit wait.
                    raise error_from_response(response, f"{method} {path}")
                await self._sleep(delay)
                continue
            return response

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None,
        json_body: Any,
        form: Mapping[str, str] | None,
        headers: Mapping[str, str],
    ) -> Response:
        async with self.session.request(
            method,
            self.url(path),
            params=params,
            json=json_body,
            data=form,
            headers=headers,
            timeout=self._timeout,
        ) as resp:
            raw = await resp.read()
            _LOGGER.debug("%s %s -> %d", method, path, resp.status)
            return Response(resp.status, resp.headers, resp.content_type, raw)

    def _backoff_delay(self, failures: int) -> float:
        """Exponential backoff with jitter in its upper half (never near zero, so retries spread out)."""
        ceiling = self.backoff * float(2 ** (failures - 1))
        return ceiling / 2 + self._rng.uniform(0, ceiling / 2)


def error_details(response: Response) -> tuple[str | None, str, dict[str, Any]]:
    """RingCentral's `errorCode`, message and body of an error answer (REST or OAuth shape)."""
    try:
        body = response.json()
    except ParseError:
        body = None
    if not isinstance(body, dict):
        return None, f"HTTP {response.status}", {}
    code = body.get("errorCode")
    message = body.get("message") or body.get("error_description")
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        code = code or errors[0].get("errorCode")
        message = message or errors[0].get("message")
    if code is None and isinstance(body.get("error"), str):
        code = body["error"]
    text = _PHONE_NUMBER.sub("[number]", str(message)) if message else f"HTTP {response.status}"
    return (str(code) if code is not None else None), text[:_MAX_MESSAGE], body


def permissions_in(body: Mapping[str, Any], message: str) -> tuple[str, ...]:
    """Permission names a 403 names (`permissionName` fields, or `[Name]` in the message)."""
    found: list[str] = []
    entries: list[Any] = [body]
    errors = body.get("errors")
    if isinstance(errors, list):
        entries.extend(errors)
    for entry in entries:
        if isinstance(entry, dict) and isinstance(entry.get("permissionName"), str):
            found.append(entry["permissionName"])
    found.extend(_PERMISSION_IN_MESSAGE.findall(message))
    return tuple(dict.fromkeys(found))


def error_from_response(response: Response, what: str) -> RingCentralError:
    """The library error for an error answer (401 is the caller's business: it knows the context)."""
    code, message, body = error_details(response)
    status = response.status
    text = f"{what}: {message} ({code or 'no error code'}, HTTP {status})"
    if status == 403:
        permissions = permissions_in(body, message)
        if permissions or (code or "").startswith("CMN-40"):
            return MissingPermissionsError(text, permissions)
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("Retry-After"), time.time())
        return RateLimitedError(
            text, retry_after=retry_after or 60.0, group=response.headers.get("X-Rate-Limit-Group", "")
        )
    if status >= 500:
        return TemporarilyUnavailableError(text)
    return ApiError(text, status, code)
