"""A chaos run's script, derived from its seed alone: the account, the calls and the faults.

`make_plan(seed)` draws everything with `random.Random(seed)`: how many extensions, what is
monitored, which scenarios start on which extensions (in step mode, so nothing advances on a
timer), how their steps interleave, where each is cut short (calls left live at the end), and which
faults strike between steps. Replaying a seed replays the same script.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

SCENARIOS = (
    "inbound_answered",
    "inbound_missed",
    "inbound_voicemail",
    "inbound_flicker",
    "outbound_answered",
    "outbound_unanswered",
    "hold_resume",
    "park_pickup",
    "blind_transfer",
    "attended_transfer",
    "concurrent_calls",
    "queue_call",
    "internal_call",
    "presence_change",
    "dnd_change",
)
NEEDS_OTHER = frozenset({"internal_call", "blind_transfer", "attended_transfer"})
MAY_TAKE_OTHER = frozenset({"park_pickup", "queue_call"})
USER_STATUSES = ("Available", "Busy", "Offline")
DND_STATUSES = (
    "TakeAllCalls",
    "DoNotAcceptAnyCalls",
    "DoNotAcceptDepartmentCalls",
    "TakeDepartmentCallsOnly",
)
# REST paths the faults aim at: presence reads, session reads, WebSocket tokens, OAuth, or anything.
FAULT_PATHS = (
    r"/presence",
    r"/telephony/sessions/",
    r"/restapi/oauth/wstoken",
    r"/restapi/oauth/token",
    r"/restapi/",
)
# A scenario is stepped at most this often; most have 2-6 steps, extra steps are no-ops.
MAX_STEPS = 8

FAULTS = (
    "drop",
    "drop_failed_recovery",
    "reorder_duplicate_delay",
    "drop_notifications",
    "rate_limit_storm",
    "server_errors",
    "revoke_tokens",
    "malformed_frame",
)
# Faults that only mean something for one kind of transport.
WEBSOCKET_ONLY = frozenset({"drop", "drop_failed_recovery", "malformed_frame"})
SUBSCRIPTION_ONLY = frozenset({"expire_subscription"})
TRANSPORTS = ("websocket", "pubnub", "webhook")


@dataclass(frozen=True)
class Plan:
    """What one seed does. `actions` are dicts: `start`, `step`, `presence`, `fault`, `settle`, `reload`."""

    seed: int
    extensions: int
    monitor: str
    transport: str
    actions: tuple[dict[str, Any], ...]

    def describe(self) -> str:
        kinds: dict[str, int] = {}
        for action in self.actions:
            label = action["do"] if action["do"] != "fault" else f"fault:{action['kind']}"
            kinds[label] = kinds.get(label, 0) + 1
        summary = ", ".join(f"{k} x{n}" for k, n in sorted(kinds.items()))
        return (
            f"seed {self.seed}: {self.transport}, {self.extensions} extensions, monitor {self.monitor}; "
            f"{summary}"
        )


def make_plan(
    seed: int,
    *,
    reloads: bool = False,
    monitors: tuple[str, ...] = ("account", "selected"),
    transports: tuple[str, ...] = ("websocket",),
) -> Plan:
    """The script of run `seed`; `reloads` adds Home Assistant restarts (config entry reloads).

    The transport is `transports[seed % len(transports)]`, so consecutive seeds cover every one.
    """
    rng = random.Random(seed)
    extensions = rng.randint(2, 5)
    monitor = rng.choice(monitors)
    transport = transports[seed % len(transports)]
    faults = tuple(
        f
        for f in (*FAULTS, "expire_subscription")
        if (transport == "websocket" or f not in WEBSOCKET_ONLY)
        and (transport != "websocket" or f not in SUBSCRIPTION_ONLY)
        # Silent drops need the sequence-gap probe, which needs in-order delivery to be meaningful.
        and (transport == "websocket" or f != "drop_notifications")
    )
    calls = rng.randint(2, 6)
    starts: list[dict[str, Any]] = []
    for handle in range(calls):
        scenario = rng.choice(SCENARIOS)
        ext = rng.randrange(extensions)
        other = None
        if scenario in NEEDS_OTHER or (scenario in MAY_TAKE_OTHER and rng.random() < 0.5):
            other = rng.choice([i for i in range(extensions) if i != ext])
        # Cut some scenarios short so calls are still live (ringing, talking, on hold) at the end.
        steps = MAX_STEPS if rng.random() < 0.6 else rng.randint(1, 4)
        starts.append({"do": "start", "handle": handle, "scenario": scenario, "ext": ext, "other": other})
        starts.extend({"do": "step", "handle": handle} for _ in range(steps))
    # Interleave: each call's own steps keep their order, calls overlap at random.
    queues = [[a for a in starts if a["handle"] == h] for h in range(calls)]
    actions: list[dict[str, Any]] = []
    while any(queues):
        queue = rng.choice([q for q in queues if q])
        actions.append(queue.pop(0))
        roll = rng.random()
        if roll < 0.18:
            actions.append(_fault(rng, faults))
        elif roll < 0.24:
            actions.append(
                {
                    "do": "presence",
                    "ext": rng.randrange(extensions),
                    "user_status": rng.choice(USER_STATUSES),
                    "dnd_status": rng.choice(DND_STATUSES),
                }
            )
        elif roll < 0.34:
            actions.append({"do": "settle"})
        elif reloads and roll < 0.40:
            actions.append({"do": "reload"})
    if reloads and not any(a["do"] == "reload" for a in actions):
        actions.insert(rng.randrange(1, len(actions) + 1), {"do": "reload"})
    return Plan(seed, extensions, monitor, transport, tuple(actions))


def _fault(rng: random.Random, faults: tuple[str, ...]) -> dict[str, Any]:
    kind = rng.choice(faults)
    if kind == "drop":
        return {"do": "fault", "kind": kind, "error_code": rng.choice([None, "WSG-902", "WSG-903"])}
    if kind == "drop_failed_recovery":
        return {"do": "fault", "kind": kind, "count": rng.randint(1, 2)}
    if kind == "reorder_duplicate_delay":
        return {
            "do": "fault",
            "kind": kind,
            "reorder": rng.choice([0.0, 0.3, 0.6]),
            "duplicate": rng.choice([0.0, 0.3, 0.6]),
            # Below the engine's 3 s settle window: a notification later than that is as good as lost.
            "delay": rng.choice([0.0, 1.0, 2.5]),
            "count": rng.randint(3, 20),
        }
    if kind == "drop_notifications":
        return {"do": "fault", "kind": kind, "drop": rng.choice([0.2, 0.5, 1.0]), "count": rng.randint(1, 8)}
    if kind == "rate_limit_storm":
        return {
            "do": "fault",
            "kind": kind,
            "path": rng.choice(FAULT_PATHS),
            # At most 6 x 60 simulated seconds of penalty: a storm, not an outage longer than a run.
            "count": rng.randint(2, 6),
            "retry_after": rng.choice([1, 5, 30, 60]),
            "then_drop": rng.random() < 0.5 and "drop" in faults,
        }
    if kind == "server_errors":
        return {
            "do": "fault",
            "kind": kind,
            "path": rng.choice(FAULT_PATHS),
            "status": rng.choice([500, 502, 503, 504]),
            "count": rng.randint(1, 8),
            "then_drop": rng.random() < 0.5 and "drop" in faults,
        }
    return {"do": "fault", "kind": kind}
