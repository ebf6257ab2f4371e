"""Messages in a chaos plan: voicemails, SMS and reads on the phone among the calls and faults.

`with_messages(plan)` inserts message actions at random places of a plan `make_plan` drew, from a
random generator of their own (seeded by the plan's seed), so a seed's calls and faults stay exactly
what they were without messages; only the interleaving gains the message traffic:

- `voicemail` / `sms`: a voicemail is left (half of them with a transcription) or an SMS arrives,
  mostly for a user extension (monitored), sometimes for the call-queue Department (never monitored:
  nothing may be announced for it);
- `read`: a message of a user extension is read on the phone (or, one time in four, marked unread
  again), which changes the unread voicemail count when it is a voicemail;
- `redeliver`: a voicemail or SMS notification already published is published again (RingCentral
  delivers at least once; the copy has a uuid of its own, so only the message id tells it apart);
- one more call that is missed or goes to voicemail (played to its end), so every run has a `missed`
  to count and a voicemail left by a call.
"""

from __future__ import annotations

import dataclasses
import random
from typing import Any

from .plan import MAX_STEPS, Plan

# Where a message goes: a user extension by index, or this marker for the call-queue Department.
DEPARTMENT = "department"
CALLERS = ("+14155550198", "+13125550121", "+16175550143")


def with_messages(plan: Plan) -> Plan:
    """`plan` with message actions interleaved (the same ones for the same seed)."""
    rng = random.Random(f"messages-{plan.seed}")
    inserts: list[list[dict[str, Any]]] = []
    for _ in range(rng.randint(1, 3)):
        inserts.append([_message(rng, "voicemail", plan.extensions)])
    for _ in range(rng.randint(1, 3)):
        inserts.append([_message(rng, "sms", plan.extensions)])
    for _ in range(rng.randint(1, 3)):
        read = rng.random() >= 0.25
        inserts.append(
            [{"do": "read", "ext": rng.randrange(plan.extensions), "pick": rng.randrange(8), "read": read}]
        )
    for _ in range(rng.randint(0, 2)):
        inserts.append([{"do": "redeliver", "pick": rng.randrange(8)}])
    handle = 1 + max((a["handle"] for a in plan.actions if a["do"] == "start"), default=-1)
    scenario = rng.choice(("inbound_missed", "inbound_voicemail"))
    call = {"do": "start", "handle": handle, "scenario": scenario, "ext": rng.randrange(plan.extensions)}
    inserts.append([call | {"other": None}, *({"do": "step", "handle": handle} for _ in range(MAX_STEPS))])

    actions = list(plan.actions)
    for group in inserts:
        # A group's actions keep their order (a call's start before its steps), anywhere after the
        # first action; a single message goes right after a fault half the time, so that the fault
        # (reordering, duplicates, silent drops, an outage) meets its notifications.
        faults = [i + 1 for i, a in enumerate(actions) if a["do"] in ("fault", "reload")]
        if len(group) == 1 and faults and rng.random() < 0.5:
            places = [rng.choice(faults)]
        else:
            places = sorted(rng.randint(1, len(actions)) for _ in group)
        for offset, (place, action) in enumerate(zip(places, group, strict=True)):
            actions.insert(place + offset, action)
    return dataclasses.replace(plan, actions=tuple(actions))


def _message(rng: random.Random, kind: str, extensions: int) -> dict[str, Any]:
    ext: int | str = DEPARTMENT if rng.random() < 0.15 else rng.randrange(extensions)
    action: dict[str, Any] = {"do": kind, "ext": ext, "from": rng.choice(CALLERS)}
    if kind == "voicemail":
        action["duration"] = rng.randint(3, 60)
        action["transcription"] = rng.random() < 0.5
    else:
        action["text"] = rng.choice(("Running late", "Call me back", "Parcel at the desk"))
    return action
