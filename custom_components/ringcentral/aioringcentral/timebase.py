"""How the library reads the time and waits.

RingCentral states every duration (token lifetimes, `Retry-After`, rate windows, `recoveryTimeout`)
in its own seconds. The client takes a `clock` and a matching `sleep` so that a caller (a test
against a simulator running faster than real time) can supply both; the defaults are the wall clock
and `asyncio.sleep`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

type Clock = Callable[[], float]
"""Epoch seconds now."""

type Sleep = Callable[[float], Awaitable[None]]
"""Wait the given number of `Clock` seconds."""
