"""What an action (a select, a call action, click-to-dial) tells the user when RingCentral refuses it.

Each library error becomes a translated `HomeAssistantError` saying what happened and what to do. A
missing app permission also turns the features needing it off, with a repair issue naming it; a
missing user permission (acting on another user's extension without an admin JWT) only says so. Messages
carry RingCentral's error code and status, never its text (it may quote phone numbers, and Home
Assistant logs failed actions).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.exceptions import HomeAssistantError

from .aioringcentral.errors import (
    ApiError,
    InvalidCredentialsError,
    MissingPermissionsError,
    RateLimitedError,
    RingCentralError,
)
from .const import CONTROL_PERMISSIONS, DOMAIN

if TYPE_CHECKING:
    from .coordinator import RingCentralCoordinator


def action_error(
    coordinator: RingCentralCoordinator, err: RingCentralError, needs: str
) -> HomeAssistantError:
    """The error to raise for `err`, from an action that needs the app permission `needs`."""
    if isinstance(err, MissingPermissionsError):
        app = [p for p in err.permissions if p in CONTROL_PERMISSIONS] or ([] if err.permissions else [needs])
        if not app:
            # A user permission (e.g. EditPresenceStatus): the JWT's user may not act on this extension.
            return HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="action_user_permission",
                translation_placeholders={"permissions": ", ".join(err.permissions)},
            )
        coordinator.control.async_refused(app)
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="action_missing_permissions",
            translation_placeholders={"permissions": ", ".join(app)},
        )
    if isinstance(err, RateLimitedError):
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="action_rate_limited",
            translation_placeholders={"retry_after": f"{max(err.retry_after, 1):.0f}"},
        )
    if isinstance(err, InvalidCredentialsError):
        coordinator.entry.async_start_reauth(coordinator.hass)
        return HomeAssistantError(translation_domain=DOMAIN, translation_key="action_authentication_error")
    if isinstance(err, ApiError) and err.status == 404:
        return HomeAssistantError(translation_domain=DOMAIN, translation_key="action_not_found")
    if isinstance(err, ApiError) and err.status in (409, 422):
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="action_refused",
            translation_placeholders={"status": str(err.status), "code": err.error_code or "none"},
        )
    if isinstance(err, ApiError):
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="action_failed",
            translation_placeholders={"status": str(err.status), "code": err.error_code or "none"},
        )
    return HomeAssistantError(translation_domain=DOMAIN, translation_key="action_unavailable")
