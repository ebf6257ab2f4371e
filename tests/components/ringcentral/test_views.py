"""`ExtensionViews`: a call's dict is reused from the extension's last view while the call is unchanged."""

from __future__ import annotations

from datetime import UTC, datetime

from msgspec.structs import replace

from custom_components.ringcentral.aioringcentral.engine import CallState, ExtensionState
from custom_components.ringcentral.views import ExtensionViews

START = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _call(tsid: str, status: str = "call_connected", from_name: str | None = None) -> CallState:
    number = "+16505550100"
    return CallState(tsid, "p1", None, "Inbound", status, number, from_name, "101", "Me", START, False)


def test_unchanged_calls_keep_their_dict() -> None:
    views = ExtensionViews()
    first = views.view(ExtensionState("101", "CallConnected", calls=(_call("s1"), _call("s2"))))
    # Equal calls (new objects, as the engine makes them) keep their dict; a changed one gets a new one.
    second = views.view(ExtensionState("101", "CallConnected", calls=(_call("s1"), _call("s2", "on_hold"))))
    assert second.active_calls[0] is first.active_calls[0]
    assert second.active_calls[1] is not first.active_calls[1]
    assert second.active_calls[1]["status"] == "on_hold"
    assert second.active_calls[0] == {
        "telephony_session_id": "s1",
        "party_id": "p1",
        "session_id": None,
        "direction": "inbound",
        "status": "call_connected",
        "from": "+16505550100",
        "from_name": None,
        "to": "101",
        "to_name": "Me",
        "start_time": START.isoformat(),
        "queue_call": False,
    }
    # Another extension's calls are its own; the attributes are copies.
    other = views.view(ExtensionState("102", calls=(_call("s1"),)))
    assert other.active_calls[0] is not second.active_calls[0]
    assert other.attributes()["active_calls"][0] is not other.active_calls[0]


def test_a_name_found_later_makes_a_new_dict() -> None:
    views = ExtensionViews()
    state = ExtensionState("101", calls=(_call("s1"),))
    assert views.view(state).active_calls[0]["from_name"] is None
    named = views.view(state, lambda number: "Bob" if number == "+16505550100" else None)
    assert named.active_calls[0]["from_name"] == "Bob"
    # A name RingCentral sent wins over the lookup.
    sent = views.view(replace(state, calls=(_call("s1", from_name="Robert"),)), lambda _: "Bob")
    assert sent.active_calls[0]["from_name"] == "Robert"
    # A call that ended is forgotten with the view that no longer shows it.
    assert views.view(replace(state, calls=())).active_calls == ()
