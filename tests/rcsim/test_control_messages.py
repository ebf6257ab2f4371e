"""Control API for messages and names, and the message store's own rules (voicemail from calls,
bounded mailboxes); bad control input answers `400 SIM-400` naming the field."""

from __future__ import annotations

from typing import Any

import pytest

from rcsim import messages
from rcsim.app import assemble
from rcsim.config import SimConfig
from rcsim.events import ALL_KINDS, SimEvent
from rcsim.model import populate

from .calls_support import step_through
from .conftest import Api, error_code

CALLER = "+14155550198"


async def test_inbound_sms_and_voicemail_then_read_on_the_phone(api: Api) -> None:
    me = api.extension_ids[0]
    sms = await api.control("POST", "sms", {"to_extension": me, "from": CALLER, "text": "Hi"})
    assert sms.status == 201
    voicemail = await api.control(
        "POST", "voicemail", {"to_extension": me, "from": CALLER, "duration": 9, "transcription": "Call me"}
    )
    assert voicemail.status == 201
    left = await voicemail.json()
    assert (left["type"], left["duration"], left["transcription"], left["read_status"]) == (
        "VoiceMail",
        9,
        "Call me",
        "Unread",
    )
    listed = await (await api.control("GET", f"messages?extension_id={me}")).json()
    assert [m["type"] for m in listed["messages"]] == ["VoiceMail", "SMS"]
    read = await api.control("POST", f"messages/{left['id']}/read")
    assert (await read.json())["read_status"] == "Read"
    unread = await api.control("POST", f"messages/{left['id']}/read", {"read": False})
    assert (await unread.json())["read_status"] == "Unread"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "sms", {"to_extension": "nobody", "from": CALLER, "text": "Hi"}),
        ("POST", "sms", {"to_extension": "{me}", "from": " ", "text": "Hi"}),
        ("POST", "sms", {"to_extension": "{me}", "from": CALLER, "text": ""}),
        ("POST", "sms", {"to_extension": "{me}", "from": CALLER}),
        ("POST", "voicemail", {"to_extension": "{me}", "from": CALLER, "duration": 0}),
        ("POST", "voicemail", {"to_extension": "{me}", "from": CALLER, "transcription": 3}),
        ("GET", "messages?extension_id=nobody", None),
        ("POST", "messages/404/read", {}),
        ("POST", "messages/config", {}),
        ("POST", "phone-numbers", {"phone_number": "+10000000000", "features": ["CallerId"]}),
        ("POST", "phone-numbers", {"phone_number": "{number}", "features": ["Teleport"]}),
        ("POST", "directory", {"first_name": "X", "phone_numbers": []}),
        ("POST", "directory", {"phone_numbers": ["+13125550121"]}),
        ("PUT", "directory/404", {"first_name": "X"}),
        ("DELETE", "directory/404", None),
        ("POST", "contacts", {"extension_id": "{me}"}),
        ("POST", "contacts", {"extension_id": "nobody", "first_name": "X"}),
    ],
)
async def test_bad_control_input(api: Api, method: str, path: str, body: dict[str, Any] | None) -> None:
    me = api.extension_ids[0]
    number = api.sim.state.account.extensions[me].phone_number
    if body is not None:
        body = {k: v.format(me=me, number=number) if isinstance(v, str) else v for k, v in body.items()}
    response = await api.control(method, path, body)
    assert response.status == 400, await response.text()
    assert await error_code(response) == "SIM-400"


async def test_voicemail_transcription_can_be_switched_off(api: Api) -> None:
    response = await api.control("POST", "messages/config", {"transcribe_voicemail": False})
    assert (await response.json()) == {"transcribe_voicemail": False}
    me = api.extension_ids[0]
    run_id = api.sim.state.calls.start("inbound_voicemail", me, step=True)
    step_through(api.sim.state.calls, run_id)
    [message] = api.sim.state.messages.messages(me)
    assert message.transcription is None
    assert message.transcription_status == "NotAvailable"


def test_a_call_that_goes_to_voicemail_leaves_one() -> None:
    state = assemble(SimConfig(time_scale=100000.0, seed=3))
    me = populate(state.account, 2)[0]
    run_id = state.calls.start("inbound_voicemail", me.id, step=True)
    for _ in range(2):  # ringing, then in voicemail: nothing left yet
        state.calls.step(run_id)
    assert state.messages.messages(me.id) == []
    state.clock.advance(30)
    step_through(state.calls, run_id)
    [message] = state.messages.messages(me.id)
    assert (message.type, message.direction, message.read_status) == ("VoiceMail", "Inbound", "Unread")
    assert message.vm_duration is not None
    assert message.vm_duration >= 30
    assert message.transcription is not None
    assert str(message.from_.phone_number).startswith("+")
    # A call answered or missed leaves nothing.
    for scenario in ("inbound_answered", "inbound_missed"):
        step_through(state.calls, state.calls.start(scenario, me.id, step=True))
    assert len(state.messages.messages(me.id)) == 1


def test_mailboxes_and_recordings_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(messages, "MAX_MESSAGES", 3)
    monkeypatch.setattr(messages, "MAX_RECORDING", 2)
    state = assemble(SimConfig())
    me = populate(state.account, 1)[0]
    made = [state.messages.receive_sms(me, from_number=CALLER, text=str(i)) for i in range(5)]
    assert [m.id for m in state.messages.messages(me.id)] == [m.id for m in made[:1:-1]]
    # Calls that go to voicemail and never end are forgotten beyond the bound.
    for party in range(4):
        body = {
            "parties": [
                {"id": f"p-{party}", "status": {"code": "VoiceMail"}, "from": {"phoneNumber": CALLER}}
            ]
        }
        state.bus.publish(SimEvent("telephony", me.id, body))
    ended = {"parties": [{"id": "p-0", "status": {"code": "Disconnected"}}]}
    state.bus.publish(SimEvent("telephony", me.id, ended))
    assert len(state.messages.messages(me.id)) == 3  # p-0 was forgotten: no voicemail
    ended = {"parties": [{"id": "p-3", "status": {"code": "Disconnected"}}]}
    state.bus.publish(SimEvent("telephony", me.id, ended))
    assert state.messages.messages(me.id)[0].type == "VoiceMail"


def test_set_read_status_refuses_unknown_values() -> None:
    state = assemble(SimConfig())
    me = populate(state.account, 1)[0]
    message = state.messages.receive_sms(me, from_number=CALLER, text="x")
    with pytest.raises(ValueError, match="read status"):
        state.messages.set_read_status(message, "Skimmed")
    assert state.messages.find("nope") is None
    assert state.messages.get("nobody", message.id) is None


def test_bus_listeners_hear_the_kinds_they_asked_for() -> None:
    """Call-event listeners (the default) never see message or directory events."""
    state = assemble(SimConfig())
    me = populate(state.account, 1)[0]
    calls_only: list[str] = []
    everything: list[str] = []
    state.bus.subscribe(lambda e: calls_only.append(e.kind))
    state.bus.subscribe(lambda e: everything.append(e.kind), ALL_KINDS)
    state.calls.set_presence(me.id, user_status="Busy")
    state.messages.receive_sms(me, from_number=CALLER, text="x")
    assert calls_only == ["presence"]
    assert everything == ["presence", "instant-message", "message-store"]
