"""Errors raised by aioringcentral.

Callers branch on the class: `InvalidCredentialsError` needs the user, `TemporarilyUnavailableError`
(and its `RateLimitedError`) means "try again later", `ParseError` means RingCentral sent something
this library cannot read. No message or attribute ever contains a token, secret or JWT.
"""

from __future__ import annotations


class RingCentralError(Exception):
    """Base class of every error this library raises."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidCredentialsError(RingCentralError):
    """The credentials were rejected: the user must act."""


class MissingPermissionsError(RingCentralError):
    """The app lacks permissions RingCentral requires for a request."""

    def __init__(self, message: str, permissions: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.permissions = permissions


class TemporarilyUnavailableError(RingCentralError):
    """Network trouble, a timeout or a server error that persisted after retries."""


class RateLimitedError(TemporarilyUnavailableError):
    """RingCentral throttled a usage-plan group; nothing may be sent in it for `retry_after` seconds."""

    def __init__(self, message: str, retry_after: float, group: str) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.group = group


class ApiError(RingCentralError):
    """RingCentral answered a request with an error status."""

    def __init__(self, message: str, status: int, error_code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code


class ParseError(RingCentralError):
    """A payload from RingCentral did not have the expected shape."""


class TransportUnavailableError(RingCentralError):
    """RingCentral refused a notification transport (e.g. PubNub for this app or account): the caller
    should fall back to another transport (WebSocket) and tell the user. `status`/`error_code` are
    RingCentral's answer when there was one."""

    def __init__(
        self, message: str, transport: str, status: int | None = None, error_code: str | None = None
    ) -> None:
        super().__init__(message)
        self.transport = transport
        self.status = status
        self.error_code = error_code
