"""The PubNub SDK as `PubNubTransport` uses it: one `PubNubAsyncio` instance per subscription, its
long-poll on the caller's `aiohttp` session, each subscribe poll's outcome reported (the SDK reports
no status when a reconnect succeeds), and every task it starts known, so closing it leaves none.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Final

import aiohttp
from pubnub.callbacks import SubscribeCallback
from pubnub.pnconfiguration import PNConfiguration
from pubnub.pubnub_asyncio import PubNubAsyncio
from pubnub.request_handlers.async_aiohttp import AsyncAiohttpRequestHandler

_LOGGER = logging.getLogger(__name__)

_SUBSCRIBE_PATH: Final = "/v2/subscribe/"


class PubNubSdk:
    """One PubNubAsyncio instance on one channel, on the given aiohttp session, whose tasks are
    all known (so closing it leaves none behind)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        config: PNConfiguration,
        *,
        on_poll: Callable[[str | None], None],
        on_message: Callable[[str, Any], None],
    ) -> None:
        self.subscribe_key: str = config.subscribe_key
        self._loop = _TaskTrackingLoop(asyncio.get_running_loop())
        handler = _session_handler(session, on_poll)
        self._pubnub = PubNubAsyncio(config, custom_event_loop=self._loop, custom_request_handler=handler)
        self._pubnub.add_listener(_Callback(on_message))
        self._closed = False

    def subscribe(self, channel: str) -> None:
        self._pubnub.subscribe().channels([channel]).execute()

    def switch(self, old: str | None, new: str) -> None:
        """Listen on `new` instead of `old`, keeping the cursor (nothing in between is missed)."""
        self._pubnub.subscribe().channels([new]).execute()
        if old is not None and old != new:
            self._pubnub.unsubscribe().channels([old]).execute()

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self._pubnub.unsubscribe_all()
        except Exception:  # the SDK's bookkeeping; nothing to recover
            _LOGGER.debug("PubNub unsubscribe_all failed", exc_info=True)
        await self._pubnub.stop()
        await self._loop.cancel_all()
        # The SDK's subscription manager makes a private event loop it never uses or closes.
        spare = getattr(self._pubnub._subscription_manager, "loop", None)
        if isinstance(spare, asyncio.AbstractEventLoop) and not spare.is_running() and not spare.is_closed():
            spare.close()


class _TaskTrackingLoop:
    """The running loop, recording the tasks the SDK creates on it."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.tasks: set[asyncio.Task[Any]] = set()

    def create_task(
        self, coro: Coroutine[Any, Any, Any], *, name: str | None = None, **kwargs: Any
    ) -> asyncio.Task[Any]:
        task = self._loop.create_task(coro, name=f"pubnub-{name}" if name else None, **kwargs)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def cancel_all(self) -> None:
        tasks = list(self.tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loop, name)


class _Callback(SubscribeCallback):  # type: ignore[misc]  # the SDK is untyped
    def __init__(self, on_message: Callable[[str, Any], None]) -> None:
        super().__init__()
        self._on_message = on_message

    def status(self, pubnub: Any, status: Any) -> None:
        _LOGGER.debug("PubNub status: %s", getattr(status, "category", status))

    def presence(self, pubnub: Any, presence: Any) -> None:
        return None

    def message(self, pubnub: Any, message: Any) -> None:
        self._on_message(str(message.channel), message.message)


def _session_handler(session: aiohttp.ClientSession, on_poll: Callable[[str | None], None]) -> type[Any]:
    """The SDK's aiohttp request handler on `session`, reporting each subscribe poll's outcome."""

    class SessionRequestHandler(AsyncAiohttpRequestHandler):  # type: ignore[misc]  # untyped SDK
        def __init__(self, pubnub: Any) -> None:
            self.pubnub = pubnub
            self._connector = None
            self._session = session

        async def create_session(self) -> None:
            return None

        async def close_session(self) -> None:
            return None  # the session is the caller's

        async def async_request(self, options_func: Callable[[], Any], cancellation_event: Any) -> Any:
            seen: list[Any] = []

            def options() -> Any:
                made = options_func()
                seen.append(made)
                return made

            try:
                result = await super().async_request(options, cancellation_event)
            except asyncio.CancelledError:
                raise
            except Exception as err:
                if _is_subscribe(seen):
                    on_poll(_poll_error(err))
                raise
            if result is not None and _is_subscribe(seen):
                on_poll(None)
            return result

    return SessionRequestHandler


def _is_subscribe(seen: list[Any]) -> bool:
    return bool(seen) and str(getattr(seen[0], "path", "")).startswith(_SUBSCRIBE_PATH)


def _poll_error(err: Exception) -> str:
    """A short, URL-free description of a failed poll."""
    status = getattr(err, "_status_code", None) or getattr(getattr(err, "status", None), "status_code", None)
    if isinstance(status, int) and status:
        return f"HTTP {status}"
    if isinstance(err, TimeoutError):
        return "timed out"
    return type(err).__name__
