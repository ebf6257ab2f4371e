"""The simulator's bodies have the shape of RingCentral's official samples.

For each official sample notification (docs repo `code-samples/`), the body the call engine
publishes in the same situation has the same keys, recursively, with the same JSON value types.
The telephony samples are wrapped in a legacy `pn_apns` envelope; their inner object is compared.

Documented differences (each listed where it is allowed below):
- `fromName`/`toName` appear exactly when the name is known (the samples show both with and without);
- `from`/`to` carry `extensionId` only for ends inside the account (a PSTN caller has none);
- telephony parties also carry `accountId` (declared by the spec, absent from the samples).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from rcsim.calls import CallEngine
from tests.reference import SAMPLES_DIR

from .calls_support import Recorder, make_engine, user_ids

SAMPLES = SAMPLES_DIR


def _sample(name: str) -> dict[str, Any]:
    raw: dict[str, Any] = json.loads((SAMPLES / name).read_text())
    inner: dict[str, Any] = raw.get("pn_apns", raw)
    return inner


def _json_type(value: Any) -> str:
    for kind, types in (
        ("boolean", (bool,)),
        ("number", (int, float)),
        ("string", (str,)),
        ("array", (list,)),
        ("object", (dict,)),
    ):
        if isinstance(value, types):
            return kind
    return "null"


def shape_differences(
    sample: Any,
    ours: Any,
    path: str = "",
    *,
    optional: frozenset[str] = frozenset(),
    extra: frozenset[str] = frozenset(),
) -> list[str]:
    """Where `ours` differs from `sample` in keys or JSON types; lists are compared item by item.

    `optional`: key paths either side may lack; `extra`: key paths only ours may have.
    Paths look like `parties[].status.code`.
    """
    if _json_type(sample) != _json_type(ours):
        return [f"{path or '<root>'}: {_json_type(ours)} instead of {_json_type(sample)}"]
    found: list[str] = []
    if isinstance(sample, dict):
        for key in sorted(set(sample) | set(ours)):
            where = f"{path}.{key}" if path else key
            if key not in ours:
                if where not in optional:
                    found.append(f"{where}: missing")
            elif key not in sample:
                if where not in optional and where not in extra:
                    found.append(f"{where}: not in the sample")
            else:
                found += shape_differences(sample[key], ours[key], where, optional=optional, extra=extra)
    elif isinstance(sample, list):
        if len(sample) != len(ours):
            found.append(f"{path}: {len(ours)} items instead of {len(sample)}")
        for theirs, mine in zip(sample, ours, strict=False):
            found += shape_differences(theirs, mine, f"{path}[]", optional=optional, extra=extra)
    return found


def test_shape_differences_finds_what_differs() -> None:
    sample = {"a": 1, "b": {"c": "x"}, "d": [{"e": True}]}
    assert shape_differences(sample, {"a": 2, "b": {"c": "y"}, "d": [{"e": False}]}) == []
    assert shape_differences(sample, {"a": "1", "b": {}, "d": [{"e": 1}], "z": 0}) == [
        "a: string instead of number",
        "b.c: missing",
        "d[].e: number instead of boolean",
        "z: not in the sample",
    ]
    assert shape_differences(sample, {"a": 1, "b": {"c": "x"}}, optional=frozenset({"d"})) == []


def _stepped(scenario: str, steps: int, *, other: bool = False) -> tuple[CallEngine, Recorder, list[str]]:
    engine, recorder = make_engine()
    ids = user_ids(engine)
    run_id = engine.start(scenario, ids[0], other_extension_id=ids[1] if other else None, step=True)
    for _ in range(steps):
        assert engine.step(run_id)
    return engine, recorder, ids


NAMES = frozenset({"activeCalls[].fromName", "activeCalls[].toName"})


def test_detailed_presence_with_sip_matches_the_sample() -> None:
    # The sample has one call on hold and one ringing: concurrent_calls after 4 steps.
    _, recorder, ids = _stepped("concurrent_calls", 4)
    ours = recorder.of("presence", ids[0])[-1]
    assert [c["telephonyStatus"] for c in ours["activeCalls"]] == ["OnHold", "Ringing"]
    sample = _sample("detailed-extension-presence-with-sip.json")["body"]
    assert shape_differences(sample, ours) == []


def test_detailed_presence_without_sip_matches_the_sample() -> None:
    # An outbound call to a PSTN number (no callee name), connected; the subscription layer strips
    # sipData for a filter without sipData=true.
    _, recorder, ids = _stepped("outbound_answered", 3)
    ours = recorder.of("presence", ids[0])[-1]
    ours = {
        **ours,
        "activeCalls": [{k: v for k, v in c.items() if k != "sipData"} for c in ours["activeCalls"]],
    }
    sample = dict(_sample("detailed-extension-presence.json")["body"])
    sample["activeCalls"] = sample["activeCalls"][:1]  # the connected call; the other has ended
    assert sample["activeCalls"][0]["telephonyStatus"] == ours["activeCalls"][0]["telephonyStatus"]
    assert shape_differences(sample, ours, optional=NAMES) == []
    assert shape_differences(sample, ours) == []  # the name keys agree for this call, too


PARTY_EXTRA = frozenset({"parties[].accountId"})


def test_account_telephony_sessions_sample() -> None:
    # An internal call ringing its callee, as in the sample (party 103 calling 102).
    _, recorder, ids = _stepped("internal_call", 2, other=True)
    ours = recorder.of("telephony", ids[1])[-1]
    sample = _sample("account-telephony-sessions.json")["body"]
    assert shape_differences(sample, ours, extra=PARTY_EXTRA) == []
    assert ours["parties"][0]["status"]["code"] == sample["parties"][0]["status"]["code"] == "Proceeding"


def test_extension_telephony_sessions_sample() -> None:
    # The extension sample is a ringing queue call; our queue callers dial in from outside the account.
    _, recorder, ids = _stepped("queue_call", 1)
    ours = recorder.of("telephony", ids[0])[-1]
    sample = _sample("extension-telephony-sessions.json")["body"]
    outside = frozenset({"parties[].from.extensionId"})
    assert shape_differences(sample, ours, extra=PARTY_EXTRA, optional=outside) == []
    assert "extensionId" not in ours["parties"][0]["from"]
    assert ours["parties"][0]["queueCall"] is sample["parties"][0]["queueCall"] is True


@pytest.mark.parametrize(
    "sample_name",
    ["account-telephony-sessions.json", "extension-telephony-sessions.json"],
)
def test_telephony_samples_are_unwrapped_notifications(sample_name: str) -> None:
    """The inner object is a normal notification; its body names the extension the event is for."""
    inner = _sample(sample_name)
    assert set(inner) >= {"uuid", "event", "timestamp", "subscriptionId", "ownerId", "body"}
    body = inner["body"]
    assert all(p["extensionId"] == body["extensionId"] for p in body["parties"])
