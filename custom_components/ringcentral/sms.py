"""Sending SMS from an extension (the `ringcentral.send_sms` action), with Home Assistant's errors.

The SMS goes out from the extension's first number with the `SmsSender` feature (read once, and again
after RingCentral refused an SMS). Like every action it never waits for the rate budget the watching
side needs: a throttled send fails at once with the time to wait.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .aioringcentral.errors import ApiError, MissingPermissionsError, RateLimitedError, RingCentralError
from .aioringcentral.models_messages import SmsResult
from .aioringcentral.rest import RingCentralClient
from .const import DOMAIN, FEATURE_SMS
from .feeds import EntryPart
from .issues import async_create_feature_issue, async_delete_feature_issue

if TYPE_CHECKING:
    from .coordinator import RingCentralConfigEntry, RingCentralCoordinator


class SmsSender(EntryPart):
    """Sends SMS for one entry's extensions."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: RingCentralConfigEntry,
        client: RingCentralClient,
        coordinator: RingCentralCoordinator,
    ) -> None:
        super().__init__(hass, entry, client, coordinator)
        self._senders: dict[str, str] = {}

    async def async_send(self, ext_id: str, to: list[str], text: str) -> SmsResult:
        """Send an SMS from the extension's first `SmsSender` number; errors are Home Assistant's,
        translated (a missing permission also raises a repair issue)."""
        try:
            sender = await self._async_sms_sender(ext_id)
            result = await self._client.messages.send_sms(ext_id, from_number=sender, to=to, text=text)
        except ValueError as err:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="sms_invalid",
                translation_placeholders={"error": str(err)},
            ) from err
        except MissingPermissionsError as err:
            async_create_feature_issue(self._hass, self._entry, FEATURE_SMS)
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="sms_missing_permission",
                translation_placeholders={"permissions": ", ".join(err.permissions) or "SMS"},
            ) from err
        except RateLimitedError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="sms_rate_limited",
                translation_placeholders={"retry_after": f"{err.retry_after:.0f}"},
            ) from err
        except ApiError as err:
            # RingCentral refused this SMS (e.g. the number is not SMS-enabled): read the numbers again.
            self._senders.pop(ext_id, None)
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="sms_refused",
                translation_placeholders={"error": err.message},
            ) from err
        except RingCentralError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="sms_failed",
                translation_placeholders={"error": err.message},
            ) from err
        async_delete_feature_issue(self._hass, self._entry, FEATURE_SMS)
        return result

    async def _async_sms_sender(self, ext_id: str) -> str:
        """The extension's first number with the `SmsSender` feature (remembered)."""
        if (sender := self._senders.get(ext_id)) is not None:
            return sender
        numbers = await self._client.messages.list_phone_numbers(ext_id, max_wait=0)
        sender = next((number.number for number in numbers if number.sms_sender), None)
        if sender is None:
            info = self._coordinator.extensions.get(ext_id)
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="sms_no_sender",
                translation_placeholders={"extension": (info.name if info else None) or ext_id},
            )
        self._senders[ext_id] = sender
        return sender
