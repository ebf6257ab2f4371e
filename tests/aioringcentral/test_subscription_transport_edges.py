"""REST-managed transports (shared base): argument checks, failed status checks, delivery filtering.

The transport under test is `WebhookTransport` (the simplest REST-managed one) on the simulator over
loopback, with the endpoint of `test_webhook_transport`.
"""

# ruff: noqa: F811  (the fixtures imported from test_webhook_transport are test arguments here)
from __future__ import annotations

import re
from typing import Any

import pytest

from custom_components.ringcentral.aioringcentral import filters
from custom_components.ringcentral.aioringcentral.models import SubscriptionInfo
from custom_components.ringcentral.aioringcentral.pubnub import PubNubTransport
from custom_components.ringcentral.aioringcentral.transport import Delivery, TransportStats
from custom_components.ringcentral.aioringcentral.webhook import WebhookTransport
from rcsim import Simulator
from rcsim.faults import HttpFault
from tests.waiting import wait_for

from .conftest import ClientFactory, Recorder, ready, server_subscriptions
from .test_webhook_transport import WebhookRunner, endpoint, run_webhook, wh_sim  # noqa: F401 (fixtures)

PRESENCE = [filters.extension_presence()]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"renew_margin": 0}, "renew_margin"),
        ({"check_interval": 0}, "check_interval"),
        ({"retry_initial": 0}, "retry_initial"),
        ({"retry_initial": 5.0, "retry_max": 1.0}, "retry_initial"),
    ],
)
async def test_bad_timing_arguments(
    wh_sim: Simulator, make_client: ClientFactory, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        WebhookTransport(
            make_client(wh_sim), PRESENCE, Recorder(), address="https://example.com/hook", **options
        )


async def test_run_twice_is_refused(
    wh_sim: Simulator, make_client: ClientFactory, run_webhook: WebhookRunner
) -> None:
    recorder = Recorder()
    transport, _ = run_webhook(make_client(wh_sim), PRESENCE, recorder)
    await ready(transport, recorder)
    with pytest.raises(RuntimeError, match="already running"):
        await transport.run()


async def test_failed_status_check_keeps_the_subscription(
    wh_sim: Simulator, make_client: ClientFactory, run_webhook: WebhookRunner
) -> None:
    """A status check RingCentral cannot answer right now is not a reason to re-subscribe."""
    recorder = Recorder()
    transport, _ = run_webhook(make_client(wh_sim, max_retries=0), PRESENCE, recorder, check_interval=1.0)
    await ready(transport, recorder)
    subscription = transport.subscription
    assert subscription is not None
    fault = HttpFault(
        path=re.compile(rf"/restapi/v1\.0/subscription/{subscription.id}$"),
        status=503,
        method="GET",
        remaining=2,
    )
    wh_sim.state.faults.http.append(fault)
    await wait_for(lambda: fault.remaining == 0)
    assert transport.subscription is not None
    assert transport.subscription.id == subscription.id
    assert recorder.connected == [recorder.connected[0]]  # never reconnected


def test_delivery_drops_foreign_and_duplicate_notifications() -> None:
    listener = Recorder()
    stats = TransportStats()
    delivery = Delivery(listener, stats, size=2)
    mine = SubscriptionInfo.from_dict({"id": "sub-1", "eventFilters": PRESENCE})
    delivery.deliver({"subscriptionId": "sub-0", "uuid": "a"}, mine)  # an older subscription's
    delivery.deliver({"subscriptionId": "sub-1", "uuid": "a"}, None)  # none current
    delivery.deliver({"subscriptionId": "sub-1", "uuid": "a"}, mine)
    delivery.deliver({"subscriptionId": "sub-1", "uuid": "a"}, mine)  # duplicate
    delivery.deliver({"subscriptionId": "sub-1"}, mine)  # no uuid: cannot be deduplicated
    delivery.deliver({"subscriptionId": "sub-1", "uuid": "b"}, mine)
    delivery.deliver({"subscriptionId": "sub-1", "uuid": "c"}, mine)  # evicts "a" (size 2)
    delivery.deliver({"subscriptionId": "sub-1", "uuid": "a"}, mine)
    assert [raw.get("uuid") for raw in listener.notifications] == ["a", None, "b", "c", "a"]
    assert stats.foreign_dropped == 2
    assert stats.duplicates_dropped == 1
    with pytest.raises(ValueError, match="dedupe_size"):
        Delivery(listener, stats, size=0)


def _fault(sim: Simulator, path: str, status: int, method: str, count: int = 1) -> HttpFault:
    fault = HttpFault(path=re.compile(path), status=status, method=method, remaining=count)
    sim.state.faults.http.append(fault)
    return fault


async def test_creation_is_retried_while_ringcentral_is_unavailable(
    wh_sim: Simulator, make_client: ClientFactory, run_webhook: WebhookRunner
) -> None:
    fault = _fault(wh_sim, r"/restapi/v1\.0/subscription$", 503, "POST", count=2)
    recorder = Recorder()
    transport, _ = run_webhook(make_client(wh_sim, max_retries=0), PRESENCE, recorder)
    await ready(transport, recorder)
    assert fault.remaining == 0
    assert len(server_subscriptions(wh_sim, active_only=True)) == 1


async def test_renewal_unavailable_is_retried_on_the_same_subscription(
    wh_sim: Simulator, make_client: ClientFactory, run_webhook: WebhookRunner
) -> None:
    """Short-lived (120 s at 60x: renewed after about a real second); a renewal RingCentral cannot
    answer is tried again later, and the subscription stays the same."""
    recorder = Recorder()
    transport, _ = run_webhook(
        make_client(wh_sim, max_retries=0), PRESENCE, recorder, expires_in=120, renew_margin=100.0
    )
    await ready(transport, recorder)
    subscription = transport.subscription
    assert subscription is not None
    renew_path = f"/restapi/v1.0/subscription/{subscription.id}/renew"
    fault = _fault(wh_sim, re.escape(renew_path) + "$", 503, "POST", count=1)
    await wait_for(lambda: _renewals(wh_sim, renew_path, 200) >= 1, within=10.0)
    assert fault.remaining == 0
    assert _renewals(wh_sim, renew_path, 503) == 1
    assert transport.subscription is not None
    assert transport.subscription.id == subscription.id
    assert len(recorder.connected) == 1  # never re-subscribed


def _renewals(sim: Simulator, path: str, status: int) -> int:
    return sum(
        1
        for entry in sim.state.log
        if entry.get("kind") == "request" and entry.get("path") == path and entry.get("status") == status
    )


async def test_failed_delete_on_stop_is_only_logged(
    wh_sim: Simulator,
    make_client: ClientFactory,
    run_webhook: WebhookRunner,
    caplog: pytest.LogCaptureFixture,
) -> None:
    recorder = Recorder()
    transport, task = run_webhook(make_client(wh_sim, max_retries=0), PRESENCE, recorder)
    await ready(transport, recorder)
    _fault(wh_sim, r"/restapi/v1\.0/subscription/", 400, "DELETE")
    await transport.stop()
    await task
    assert "Could not delete the WebHook subscription" in caplog.text
    assert len(server_subscriptions(wh_sim, active_only=True)) == 1  # still there: RingCentral expires it


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"origin": ""}, ValueError, "origin"),
        ({"origin": "http://ps.pndsn.com/"}, ValueError, "origin"),
        ({"reconnect_interval": 0}, ValueError, "reconnect_interval"),
        ({"first_connect_timeout": -1}, ValueError, "first_connect_timeout"),
        ({"subscribe_timeout": 1.5}, TypeError, "whole seconds"),
        ({"reconnect_interval": 10.0, "reconnect_max": 5.0}, ValueError, "reconnect_max"),
    ],
)
async def test_bad_pubnub_arguments(
    wh_sim: Simulator,
    make_client: ClientFactory,
    options: dict[str, Any],
    error: type[Exception],
    message: str,
) -> None:
    with pytest.raises(error, match=message):
        PubNubTransport(make_client(wh_sim), PRESENCE, Recorder(), renew_margin=60.0, **options)
