"""RingCentral's WebHook notification transport: RingCentral POSTs notifications to an address.

The caller serves the address (Home Assistant: a registered webhook) and passes every request to
`handle_delivery`, which answers RingCentral's validation handshake, refuses requests that do not
carry this subscription's verification token, and hands notifications to the listener.

`run()` creates the subscription (RingCentral validates the address at that moment, so the address
must already be served), renews it long before it expires, checks its status every
`check_interval` and re-creates it when RingCentral blacklisted it (after failed deliveries) or
dropped it; a re-creation announces `LOST` (notifications may have been missed: resync).

Decisions:
- Deliveries carry the token in `Verification-Token` (older docs) or `Validation-Token` (current
  docs); both are accepted, compared in constant time.
- A request with a `Validation-Token` header and no body is the handshake: the header is echoed
  (when it is a plausible token, so the answer stays far below RingCentral's 1024-byte limit).
- Every outcome is a status code, never an exception: 200 delivered (or a stale/duplicate
  notification dropped), 401 missing or wrong token, 400 unreadable body, 413 too large.
"""

from __future__ import annotations

import hmac
import logging
import random
import re
import secrets
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Final

from .errors import ParseError, TransportUnavailableError
from .jsonload import load_json
from .models import SubscriptionInfo
from .rest import RingCentralClient
from .subscription_transport import SubscriptionTransport
from .transport import Continuity, TransportListener

_LOGGER = logging.getLogger(__name__)

VALIDATION_HEADER: Final = "Validation-Token"
VERIFICATION_HEADER: Final = "Verification-Token"
MAX_BODY: Final = 1024 * 1024
MAX_VERIFICATION_TOKEN: Final = 64  # what RingCentral accepts in deliveryMode.verificationToken
DEFAULT_EXPIRES_IN: Final = 7 * 24 * 3600
# Handshake tokens we echo: printable, no separators that could split a header.
_ECHOABLE: Final = re.compile(r"^[\x21-\x7e]{1,256}$")

type DeliveryAnswer = tuple[int, dict[str, str]]


class WebhookTransport(SubscriptionTransport):
    """Keeps one WebHook subscription alive; `handle_delivery` receives what RingCentral POSTs."""

    transport_type: ClassVar[str] = "WebHook"

    def __init__(
        self,
        client: RingCentralClient,
        filters: Iterable[str],
        listener: TransportListener,
        *,
        address: str,
        verification_token: str | None = None,
        expires_in: int = DEFAULT_EXPIRES_IN,
        renew_margin: float = 24 * 3600.0,
        check_interval: float | None = 300.0,
        retry_initial: float = 1.0,
        retry_max: float = 60.0,
        dedupe_size: int = 4096,
        rng: random.Random | None = None,
    ) -> None:
        """`address` is the public https URL RingCentral POSTs to; `verification_token` (1-64
        printable characters, random when None) proves a delivery comes from RingCentral.
        `expires_in` is the lifetime asked for; the subscription is renewed `renew_margin` before
        it ends and its status read every `check_interval` (client-clock seconds)."""
        super().__init__(
            client,
            filters,
            listener,
            renew_margin=renew_margin,
            check_interval=check_interval,
            retry_initial=retry_initial,
            retry_max=retry_max,
            dedupe_size=dedupe_size,
            rng=rng,
        )
        if not isinstance(address, str) or not address.startswith(("https://", "http://")):
            raise ValueError("address must be an http(s) URL")
        if verification_token is None:
            verification_token = secrets.token_urlsafe(32)
        if (
            not isinstance(verification_token, str)
            or not 1 <= len(verification_token) <= MAX_VERIFICATION_TOKEN
            or not _ECHOABLE.match(verification_token)
        ):
            raise ValueError(f"verification_token must be 1-{MAX_VERIFICATION_TOKEN} printable characters")
        if isinstance(expires_in, bool) or not isinstance(expires_in, int) or expires_in <= 0:
            raise ValueError("expires_in must be a positive whole number of seconds")
        self.address = address
        self.verification_token = verification_token
        self.expires_in = expires_in
        self.rejected = 0  # deliveries refused for a missing or wrong token

    def __repr__(self) -> str:
        return f"WebhookTransport(address={self.address!r})"

    def diagnostics(self) -> dict[str, Any]:
        data = super().diagnostics()
        data["rejected_deliveries"] = self.rejected
        return data

    # -- what the web server calls --------------------------------------------------------------

    async def handle_delivery(self, headers: Mapping[str, str], body: bytes) -> DeliveryAnswer:
        """Answer one request to the address: `(HTTP status, response headers)`."""
        validation = _header(headers, VALIDATION_HEADER)
        if not body.strip():
            if validation is not None and _ECHOABLE.match(validation):
                _LOGGER.debug("Answering RingCentral's WebHook validation request")
                return 200, {VALIDATION_HEADER: validation}
            return 400, {}
        offered = _header(headers, VERIFICATION_HEADER)
        if offered is None or not self._token_matches(offered):
            offered = validation
        if offered is None or not self._token_matches(offered):
            self.rejected += 1
            _LOGGER.debug("Refused a WebHook delivery without the verification token")
            return 401, {}
        if len(body) > MAX_BODY:
            self.stats.malformed_frames += 1
            return 413, {}
        try:
            raw = load_json(body, "WebHook delivery")
        except ParseError:
            raw = None
        if not isinstance(raw, dict):
            self.stats.malformed_frames += 1
            _LOGGER.warning("Ignoring a WebHook delivery that is not a JSON object (%d bytes)", len(body))
            return 400, {}
        if self._running:
            self._deliver(raw)
        else:
            self.stats.foreign_dropped += 1
        return 200, {}

    def _token_matches(self, offered: str) -> bool:
        return hmac.compare_digest(offered.encode(), self.verification_token.encode())

    # -- subscription life cycle ----------------------------------------------------------------

    def _delivery_mode(self) -> dict[str, Any]:
        return {
            "transportType": "WebHook",
            "address": self.address,
            "verificationToken": self.verification_token,
        }

    def _requested_expires_in(self) -> int | None:
        return self.expires_in

    async def _attach(self, info: SubscriptionInfo, continuity: Continuity) -> None:
        # RingCentral validated the address while creating: deliveries can start.
        self._begin(info, continuity)
        self._announce()

    def _check_created(self, info: SubscriptionInfo) -> None:
        address = info.delivery_mode.get("address")
        if isinstance(address, str) and address != self.address:
            raise TransportUnavailableError(
                "RingCentral's WebHook subscription names another address", self.transport_type
            )


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """A header by case-insensitive name (works for plain dicts as well as multidicts)."""
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), None)
    return value.strip() if isinstance(value, str) else None
