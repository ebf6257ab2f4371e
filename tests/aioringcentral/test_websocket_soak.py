"""Soak: 10,000 notifications through 50 random connection drops, none lost and none repeated.

Drops alternate at random between an abrupt TCP abort and a `WSG-903` error frame, and the server
duplicates a share of notifications on its own. Every recovery succeeds, so the listener must see
each notification exactly once, and the subscription must never be re-created.
"""

from __future__ import annotations

import asyncio
import random

from custom_components.ringcentral.aioringcentral import filters
from custom_components.ringcentral.aioringcentral.transport import Continuity
from rcsim import SimConfig
from tests.waiting import wait_for

from .conftest import ClientFactory, Recorder, SimFactory, TransportRunner, publish_presence

TOTAL = 10_000
DROPS = 50


async def test_soak_drops_lose_and_repeat_nothing(
    make_sim: SimFactory, make_client: ClientFactory, run_transport: TransportRunner
) -> None:
    rng = random.Random(20240611)
    sim = await make_sim(
        SimConfig(
            # One wstoken per reconnect: lift the Auth group's 5/min, which 50 quick drops would hit.
            rate_limits_enabled=False,
            # Everything published during an outage must fit the replay buffer for "0 lost".
            ws_recovery_buffer_size=TOTAL,
            seed=7,
        ),
        extensions=2,
    )
    ext_id = next(iter(sim.state.account.extensions))
    recorder = Recorder()
    transport = run_transport(
        make_client(sim),
        [filters.extension_presence()],
        recorder,
        backoff_initial=0.01,
        backoff_max=0.05,
        rng=rng,
    )
    await wait_for(lambda: transport.connected)
    sim.state.faults.notifications.duplicate = 0.01
    drop_at = set(rng.sample(range(1, TOTAL), DROPS))
    dropped: list[int] = []

    for sequence in range(TOTAL):
        if sequence in drop_at:
            # Drop only a connection made after the previous drop, so every drop is a real one.
            await wait_for(lambda: transport.connected and transport.stats.connects > len(dropped))
            dropped.append(sim.state.ws.drop_all(rng.choice([None, "WSG-903"])))
        publish_presence(sim, ext_id, [sequence])
        if sequence % 50 == 0:
            await asyncio.sleep(0)  # let the gateway and the client run between bursts
    await wait_for(lambda: transport.stats.notifications >= TOTAL, within=30.0)

    received = recorder.sequences()
    assert len(received) == len(set(received)), "a notification reached the listener twice"
    assert sorted(received) == list(range(TOTAL)), f"lost: {sorted(set(range(TOTAL)) - set(received))[:20]}"
    assert dropped == [1] * DROPS
    assert recorder.connected == [Continuity.NEW] + [Continuity.KEPT] * DROPS
    assert transport.stats.recoveries_ok == DROPS
    assert transport.stats.recoveries_failed == 0
    assert transport.stats.subscriptions_created == 1
    duplicated = sum(
        1 for e in sim.state.log if e["kind"] == "notification_fault" and e["fault"] == "duplicate"
    )
    assert duplicated > 0
    assert transport.stats.duplicates_dropped >= duplicated
