"""Simulator settings: every limit and timeout RingCentral documents, all configurable."""

from __future__ import annotations

from dataclasses import dataclass, field

# Usage-plan groups and their default requests per minute (RingCentral's defaults).
DEFAULT_RATE_LIMITS: dict[str, int] = {"Light": 50, "Medium": 40, "Heavy": 10, "Auth": 5}


@dataclass
class SimConfig:
    """Knobs for one simulator instance. Durations are in simulated seconds."""

    host: str = "127.0.0.1"
    port: int = 0
    # Simulated seconds per real second: 60 makes a 60 s penalty window last one real second.
    time_scale: float = 1.0
    client_id: str = "sim-client-id"
    client_secret: str = "sim-client-secret"  # noqa: S105  (a well-known test value, not a secret)
    # OAuth
    access_token_ttl: int = 3600
    refresh_token_ttl: int = 604800
    refresh_grace: float = 10.0
    max_sessions_per_user: int = 5
    wstoken_ttl: int = 60
    # Rate limits
    rate_limits_enabled: bool = True
    rate_limits: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_RATE_LIMITS))
    rate_window: float = 60.0
    penalty_window: float = 60.0
    # Calls placed or moved through the REST API (RingOut, a rejected call's voicemail, a transfer):
    # how long the extension takes to answer a RingOut's first leg, and whether such calls advance
    # only through `POST /sim/calls/{telephonySessionId}/step` (otherwise on a timer).
    ringout_answer_delay: float = 5.0
    api_calls_step: bool = False
    # WebSocket gateway
    ws_idle_timeout: float = 1800.0
    ws_absolute_timeout: float = 86400.0
    ws_recovery_timeout: float = 180.0
    ws_recovery_buffer_size: int = 100
    ws_max_connections_per_session: int = 50
    ws_max_active_requests: int = 10
    ws_ping_interval: float = 30.0
    # Subscriptions
    max_subscriptions: int = 30
    pubnub_expires_in: int = 900
    webhook_default_expires_in: int = 604800
    webhook_max_expires_in: int = 315360000
    webhook_validation_timeout: float = 3.0
    webhook_blacklist_after_failures: int = 3
    # Header carrying a WebHook's verificationToken on deliveries (docs disagree: Verification-Token
    # in 2021, Validation-Token now; UNVERIFIED).
    webhook_verification_header: str = "Verification-Token"
    # PubNub: how long a subscribe long-poll waits for a message (PubNub's servers use ~280 s), and
    # whether every renewal hands out a new channel and encryption key.
    pubnub_long_poll_timeout: float = 280.0
    pubnub_rotate_on_renew: bool = False
    # Demo mode: keep placing random calls
    demo: bool = False
    demo_interval: float = 8.0
    seed: int | None = None
