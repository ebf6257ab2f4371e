"""The WebHook transport inside Home Assistant: RingCentral POSTs to one of HA's webhooks.

The address is Home Assistant Cloud's cloudhook when Nabu Casa is active, else HA's external URL,
which must be https (RingCentral only calls public https addresses). The webhook id and the
subscription's verification token are generated once and kept in the entry's data, so a restart
keeps the address and deliveries still in flight are accepted.

`HomeAssistantWebhookTransport` serves the webhook before the library's `WebhookTransport` creates
the subscription (RingCentral validates the address right then) and forwards every request to its
`handle_delivery`; it unregisters on stop.

Simulator mode (`allow_plain_http`): when the entry talks to the RingCentral simulator on loopback
(see `transports.simulator_host`), a plain-http URL is accepted, because the simulator only ever
POSTs to loopback addresses. With a real RingCentral server https is always required.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from aiohttp import web
from homeassistant.components import webhook
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.network import NoURLAvailableError, get_url

from .aioringcentral.errors import TransportUnavailableError
from .aioringcentral.rest import RingCentralClient
from .aioringcentral.transport import TransportListener
from .aioringcentral.webhook import WebhookTransport
from .const import CONF_CLOUDHOOK_URL, CONF_WEBHOOK_ID, CONF_WEBHOOK_TOKEN, DOMAIN, LOGGER

if TYPE_CHECKING:
    from .coordinator import RingCentralConfigEntry

WEBHOOK_NAME = "RingCentral notifications"
NO_ADDRESS = (
    "Home Assistant has no public https address RingCentral could send notifications to "
    "(set an external https URL, or use Home Assistant Cloud)"
)


def _cloud() -> Any:
    """HA's cloud component, imported only once it is loaded (it pulls in much of HA; a Core install
    may lack its requirements)."""
    from homeassistant.components import cloud  # noqa: PLC0415

    return cloud


@callback
def _cloud_active(hass: HomeAssistant) -> bool:
    """Whether Home Assistant Cloud (Nabu Casa) is set up with an active subscription."""
    return "cloud" in hass.config.components and bool(_cloud().async_active_subscription(hass))


@callback
def webhook_possible(hass: HomeAssistant, *, allow_plain_http: bool) -> bool:
    """Whether RingCentral could reach a webhook of this Home Assistant (the options flow asks)."""
    if not allow_plain_http and _cloud_active(hass):
        return True
    try:
        _base_url(hass, allow_plain_http=allow_plain_http)
    except NoURLAvailableError:
        return False
    return True


def _base_url(hass: HomeAssistant, *, allow_plain_http: bool) -> str:
    """HA's external https URL (any URL, external first, in simulator mode)."""
    if allow_plain_http:
        return get_url(hass, allow_cloud=False, prefer_external=True)
    return get_url(hass, allow_internal=False, allow_cloud=False, require_ssl=True, prefer_external=True)


@callback
def async_webhook_credentials(hass: HomeAssistant, entry: RingCentralConfigEntry) -> tuple[str, str]:
    """The entry's webhook id and verification token, generated and saved on first use."""
    webhook_id = entry.data.get(CONF_WEBHOOK_ID)
    token = entry.data.get(CONF_WEBHOOK_TOKEN)
    if isinstance(webhook_id, str) and webhook_id and isinstance(token, str) and token:
        return webhook_id, token
    webhook_id = webhook.async_generate_id()
    token = secrets.token_urlsafe(32)  # 43 characters; RingCentral accepts up to 64
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, CONF_WEBHOOK_ID: webhook_id, CONF_WEBHOOK_TOKEN: token}
    )
    return webhook_id, token


async def async_webhook_address(
    hass: HomeAssistant, entry: RingCentralConfigEntry, webhook_id: str, *, allow_plain_http: bool
) -> str:
    """Where RingCentral should POST: the cloudhook, else the external URL; raises
    `TransportUnavailableError` when there is neither."""
    if not allow_plain_http and _cloud_active(hass):
        if stored := entry.data.get(CONF_CLOUDHOOK_URL):
            return str(stored)
        cloud = _cloud()
        try:
            url: str = await cloud.async_get_or_create_cloudhook(hass, webhook_id)
        except (cloud.CloudNotAvailable, cloud.CloudNotConnected):
            LOGGER.debug("No Home Assistant Cloud webhook right now; trying the external URL")
        else:
            hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_CLOUDHOOK_URL: url})
            return url
    try:
        base = _base_url(hass, allow_plain_http=allow_plain_http)
    except NoURLAvailableError:
        raise TransportUnavailableError(NO_ADDRESS, WebhookTransport.transport_type) from None
    return f"{base}{webhook.async_generate_path(webhook_id)}"


async def async_remove_webhook(hass: HomeAssistant, entry: RingCentralConfigEntry) -> None:
    """Delete the entry's cloudhook (when one was created); called when the entry is removed."""
    loaded = "cloud" in hass.config.components
    if loaded and CONF_CLOUDHOOK_URL in entry.data and CONF_WEBHOOK_ID in entry.data:
        cloud = _cloud()
        try:
            await cloud.async_delete_cloudhook(hass, entry.data[CONF_WEBHOOK_ID])
        except cloud.CloudNotAvailable:
            LOGGER.debug("Home Assistant Cloud is gone; nothing to delete")


class HomeAssistantWebhookTransport:
    """A `Transport`: serves the entry's webhook and keeps RingCentral's WebHook subscription on it."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: RingCentralConfigEntry,
        client: RingCentralClient,
        filters: Iterable[str],
        listener: TransportListener,
        *,
        allow_plain_http: bool,
        **tuning: Any,
    ) -> None:
        """`tuning` goes to `WebhookTransport` (renew margin, check interval, retries)."""
        self._hass = hass
        self._entry = entry
        self._client = client
        self._filters = list(filters)
        self._listener = listener
        self._allow_plain_http = allow_plain_http
        self._tuning = tuning
        self._transport: WebhookTransport | None = None
        self._webhook_id: str | None = None
        self._stopping = False

    def diagnostics(self) -> dict[str, Any]:
        """The library transport's secret-free state (no address: it contains the webhook id)."""
        return {} if self._transport is None else self._transport.diagnostics()

    async def run(self) -> None:
        """Register the webhook, then subscribe and deliver until `stop()`."""
        webhook_id, token = async_webhook_credentials(self._hass, self._entry)
        address = await async_webhook_address(
            self._hass, self._entry, webhook_id, allow_plain_http=self._allow_plain_http
        )
        if self._stopping:
            return
        transport = self._transport = WebhookTransport(
            self._client,
            self._filters,
            self._listener,
            address=address,
            verification_token=token,
            **self._tuning,
        )

        async def _async_handle(hass: HomeAssistant, webhook_id: str, request: web.Request) -> web.Response:
            """One request to the webhook, answered as the library decides (handshake, 200, 401, 400)."""
            status, headers = await transport.handle_delivery(request.headers, await request.read())
            return web.Response(status=status, headers=headers)

        webhook.async_register(
            self._hass,
            DOMAIN,
            WEBHOOK_NAME,
            webhook_id,
            _async_handle,
            local_only=False,
            allowed_methods=["POST"],
        )
        self._webhook_id = webhook_id
        try:
            await self._transport.run()
        finally:
            self._unregister()

    async def stop(self) -> None:
        """Delete the subscription and stop serving the webhook."""
        self._stopping = True
        if self._transport is not None:
            await self._transport.stop()
        self._unregister()

    @callback
    def _unregister(self) -> None:
        if self._webhook_id is not None:
            webhook.async_unregister(self._hass, self._webhook_id)
            self._webhook_id = None
