"""Call control on the call engine (no HTTP): each action moves the call exactly like the same thing
done on a phone, takes the call over from its scenario, and DND diverts new inbound calls.

Calls run in step mode on the first user extension ("me"); "other" is the second user.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from rcsim.app import SimState, assemble
from rcsim.call_actions import ActionConflictError, CallNotFoundError, PartyNotFoundError, TransferTargetError
from rcsim.call_model import Party
from rcsim.config import SimConfig
from rcsim.model import populate

from .calls_support import Recorder, assert_streams_consistent, step_through

T, P = "T", "P"


class Harness:
    """An assembled simulator's engine and call actions, recording what the engine publishes."""

    def __init__(self, **config: Any) -> None:
        config.setdefault("time_scale", 100000.0)
        self.state: SimState = assemble(SimConfig(**config))
        users = populate(self.state.account, 3)
        self.me, self.other, self.third = (u.id for u in users)
        self.recorder = Recorder()
        self.state.bus.subscribe(self.recorder)
        self.engine = self.state.calls
        self.actions = self.state.actions
        self.mark = 0  # events before it are not the test's business any more

    def clear(self) -> None:
        self.mark = len(self.recorder.events)

    def start(self, scenario: str, steps: int, **kwargs: Any) -> str:
        tsid = self.engine.start(scenario, self.me, step=True, **kwargs)
        for _ in range(steps):
            assert self.engine.step(tsid)
        self.clear()
        return tsid

    def mine(self, tsid: str, ext_id: str | None = None) -> Party:
        session = self.engine.session(tsid)
        assert session is not None
        wanted = ext_id or self.me
        return next(p for p in session.parties if p.extension is not None and p.extension.id == wanted)

    def summary(self) -> list[tuple[str, str, Any]]:
        names = {self.me: "me", self.other: "other", self.third: "third"}
        recent = self.recorder.summary()[self.mark :]
        return [(kind, names.get(ext, ext), status) for kind, ext, status in recent]

    def codes(self, ext_id: str) -> list[dict[str, Any]]:
        """The parties of `ext_id` in its telephony events, in order."""
        return [party for body in self.recorder.of("telephony", ext_id) for party in body["parties"]]


@pytest.fixture
def sim() -> Iterator[Harness]:
    harness = Harness()
    yield harness
    assert_streams_consistent(harness.recorder)


def test_hold_and_unhold_publish_what_the_phone_does(sim: Harness) -> None:
    tsid = sim.start("inbound_answered", 2)
    party = sim.mine(tsid)

    sim.actions.hold(party)
    sim.actions.hold(party)  # held again: nothing changes
    assert sim.summary() == [(T, "me", ["Hold"]), (P, "me", "OnHold")]
    sim.clear()
    sim.actions.unhold(party)
    sim.actions.unhold(party)
    assert sim.summary() == [(T, "me", ["Answered"]), (P, "me", "CallConnected")]
    # Not a take-over: the scenario still hangs up.
    assert sim.engine.step(tsid)
    assert sim.engine.session(tsid) is None


def test_the_same_events_as_the_hold_resume_scenario() -> None:
    phone, api = Harness(), Harness()
    tsid = phone.start("hold_resume", 2)
    phone.engine.step(tsid)
    phone.engine.step(tsid)
    api_tsid = api.start("inbound_answered", 2)
    api.actions.hold(api.mine(api_tsid))
    api.actions.unhold(api.mine(api_tsid))
    assert api.summary() == phone.summary()


@pytest.mark.parametrize(
    ("action", "steps", "message"),
    [
        ("hold", 1, "cannot be put on hold"),
        ("unhold", 1, "is not on hold"),
        ("reject", 2, "Only a ringing inbound call"),
    ],
)
def test_an_action_the_state_does_not_allow_conflicts(
    sim: Harness, action: str, steps: int, message: str
) -> None:
    tsid = sim.start("inbound_answered", steps)

    with pytest.raises(ActionConflictError, match=message):
        getattr(sim.actions, action)(sim.mine(tsid))
    assert sim.summary() == []


def test_unknown_and_ended_calls_are_not_found(sim: Harness) -> None:
    tsid = sim.start("inbound_answered", 2)
    party = sim.mine(tsid)
    with pytest.raises(CallNotFoundError):
        sim.actions.session("nope")
    with pytest.raises(PartyNotFoundError):
        sim.actions.party(tsid, "nope")
    remote = next(p for p in party.session.parties if p.extension is None)
    with pytest.raises(PartyNotFoundError):  # a party outside the account is not ours to control
        sim.actions.party(tsid, remote.id)
    sim.actions.hang_up(party.session)
    with pytest.raises(CallNotFoundError):
        sim.actions.party(tsid, party.id)


def test_hang_up_ends_the_call_and_its_scenario(sim: Harness) -> None:
    tsid = sim.start("hold_resume", 2)

    sim.actions.hang_up(sim.mine(tsid).session)

    assert sim.summary() == [(T, "me", ["Disconnected"]), (P, "me", "NoCall")]
    assert sim.codes(sim.me)[-1]["missedCall"] is False
    assert sim.engine.session(tsid) is None
    assert not sim.engine.step(tsid)  # the scenario's hold, resume and hang-up never happen
    assert sim.summary() == [(T, "me", ["Disconnected"]), (P, "me", "NoCall")]


def test_hanging_up_a_ringing_call_makes_it_missed(sim: Harness) -> None:
    tsid = sim.start("inbound_answered", 1)

    sim.actions.hang_up(sim.mine(tsid).session)

    assert sim.codes(sim.me)[-1]["missedCall"] is True
    assert not sim.engine.step(tsid)


def test_an_internal_call_ends_for_both_extensions(sim: Harness) -> None:
    tsid = sim.start("internal_call", 3, other_extension_id=sim.other)

    sim.actions.hang_up(sim.mine(tsid).session)

    assert sorted(sim.summary()) == sorted(
        [
            (T, "me", ["Disconnected"]),
            (T, "other", ["Disconnected"]),
            (P, "me", "NoCall"),
            (P, "other", "NoCall"),
        ]
    )


def test_reject_sends_a_users_call_to_voicemail(sim: Harness) -> None:
    tsid = sim.start("inbound_answered", 1)
    party = sim.mine(tsid)

    sim.actions.reject(party)

    assert sim.summary() == [(T, "me", ["VoiceMail"]), (P, "me", "NoCall")]
    assert sim.codes(sim.me)[-1]["missedCall"] is True
    remote = next(p for p in party.session.parties if p.extension is None)
    assert remote.code == "Answered"  # the caller talks to voicemail ...
    assert sim.engine.step(tsid)  # ... then hangs up: the follow-up runs in the scenario's step mode
    assert sim.summary()[-1] == (T, "me", ["Disconnected"])
    assert sim.codes(sim.me)[-1]["missedCall"] is True
    assert not sim.engine.step(tsid)
    assert sim.engine.session(tsid) is None


def test_reject_of_a_department_call_is_missed(sim: Harness) -> None:
    queue = sim.state.account.add_extension("Front Desk", ext_type="Department")
    tsid = sim.engine.start("inbound_answered", queue.id, step=True)
    sim.engine.step(tsid)
    sim.clear()

    sim.actions.reject(sim.mine(tsid, queue.id))

    assert [(kind, status) for kind, _ext, status in sim.summary()] == [
        (T, ["Disconnected"]),
        (P, "NoCall"),
    ]
    assert sim.codes(queue.id)[-1]["missedCall"] is True
    assert sim.codes(queue.id)[-1]["status"]["reason"] == "Rejected"
    assert sim.engine.session(tsid) is None


def test_a_queue_call_is_not_rejected(sim: Harness) -> None:
    tsid = sim.start("queue_call", 1)
    with pytest.raises(ActionConflictError, match="call-queue"):
        sim.actions.reject(sim.mine(tsid))


def test_transfer_to_an_extension_moves_the_call(sim: Harness) -> None:
    tsid = sim.start("inbound_answered", 2)
    party = sim.mine(tsid)
    other = sim.state.account.extensions[sim.other]

    sim.actions.transfer(party, extension_number=other.extension_number)

    assert sim.summary() == [
        (T, "me", ["Gone"]),
        (T, "other", ["Proceeding"]),
        (P, "me", "NoCall"),
        (P, "other", "Ringing"),
    ]
    gone = sim.codes(sim.me)[-1]
    theirs = sim.codes(sim.other)[-1]
    assert gone["status"]["peerId"]["partyId"] == theirs["id"]
    assert gone["status"]["reason"] == "BlindTransfer"
    moved = gone["status"]["peerId"]["telephonySessionId"]
    assert moved != tsid
    assert sim.engine.session(tsid) is None
    assert not sim.engine.step(tsid)
    # The new call is stepped like the one it came from: the target answers, then both hang up.
    sim.clear()
    step_through(sim.engine, moved)
    assert sim.summary() == [
        (T, "other", ["Answered"]),
        (P, "other", "CallConnected"),
        (T, "other", ["Disconnected"]),
        (P, "other", "NoCall"),
    ]


def test_transfer_to_a_direct_number_and_to_an_outside_number(sim: Harness) -> None:
    tsid = sim.start("inbound_answered", 2)
    other = sim.state.account.extensions[sim.other]
    sim.actions.transfer(sim.mine(tsid), phone_number=other.phone_number)
    assert (T, "other", ["Proceeding"]) in sim.summary()

    sim.clear()
    tsid = sim.start("outbound_answered", 3)
    sim.actions.transfer(sim.mine(tsid), phone_number="+14155550100")
    # Nobody of the account is in the new call: only this extension hears of it, as Gone.
    assert sim.summary() == [(T, "me", ["Gone"]), (P, "me", "NoCall")]


def test_transfer_to_voicemail(sim: Harness) -> None:
    tsid = sim.start("inbound_answered", 2)

    sim.actions.transfer(sim.mine(tsid), voicemail=sim.other)

    assert sim.summary() == [
        (T, "me", ["Gone"]),
        (T, "other", ["VoiceMail"]),
        (P, "me", "NoCall"),
        (P, "other", "NoCall"),  # the first presence event of that extension; it never rang
    ]
    assert sim.codes(sim.other)[-1]["missedCall"] is True


@pytest.mark.parametrize(
    ("target", "parameter"),
    [
        ({"extension_number": "999"}, "extensionNumber"),
        ({"voicemail": "123"}, "voicemail"),
        ({"extension_number": "101"}, "extensionNumber"),  # the extension the call is on
    ],
)
def test_transfer_targets_must_exist(sim: Harness, target: dict[str, str], parameter: str) -> None:
    tsid = sim.start("inbound_answered", 2)
    with pytest.raises(TransferTargetError) as caught:
        sim.actions.transfer(sim.mine(tsid), **target)
    assert caught.value.parameter == parameter
    assert sim.summary() == []


def test_a_ringing_call_is_not_transferred(sim: Harness) -> None:
    tsid = sim.start("inbound_answered", 1)
    with pytest.raises(ActionConflictError):
        sim.actions.transfer(sim.mine(tsid), phone_number="+14155550100")


def test_dnd_sends_new_inbound_calls_to_voicemail(sim: Harness) -> None:
    sim.engine.set_presence(sim.me, dnd_status="DoNotAcceptAnyCalls")
    sim.clear()
    tsid = sim.engine.start("inbound_answered", sim.me, step=True)

    sim.engine.step(tsid)

    assert sim.summary() == [(T, "me", ["VoiceMail"])]  # never rang: presence stays NoCall
    assert sim.codes(sim.me)[-1]["missedCall"] is True
    step_through(sim.engine, tsid)
    assert sim.summary() == [(T, "me", ["VoiceMail"]), (T, "me", ["Disconnected"])]
    assert sim.engine.session(tsid) is None


def test_dnd_diverts_a_transferred_call_and_an_internal_call(sim: Harness) -> None:
    sim.engine.set_presence(sim.other, dnd_status="DoNotAcceptAnyCalls")
    tsid = sim.start("internal_call", 1, other_extension_id=sim.other)
    sim.engine.step(tsid)
    # The caller reaches voicemail: answered by it, not ringing.
    assert sim.summary() == [(T, "me", ["Answered"]), (T, "other", ["VoiceMail"]), (P, "me", "CallConnected")]
    sim.clear()
    step_through(sim.engine, tsid)
    assert (T, "other", ["Disconnected"]) in sim.summary()

    tsid = sim.start("inbound_answered", 2)
    other = sim.state.account.extensions[sim.other]
    sim.actions.transfer(sim.mine(tsid), extension_number=other.extension_number)
    assert (T, "other", ["VoiceMail"]) in sim.summary()


def test_other_dnd_settings_do_not_divert(sim: Harness) -> None:
    sim.engine.set_presence(sim.me, dnd_status="DoNotAcceptDepartmentCalls")
    sim.clear()
    tsid = sim.engine.start("inbound_answered", sim.me, step=True)
    sim.engine.step(tsid)
    assert sim.summary() == [(T, "me", ["Proceeding"]), (P, "me", "Ringing")]


def test_queue_calls_are_not_diverted(sim: Harness) -> None:
    sim.engine.set_presence(sim.me, dnd_status="DoNotAcceptAnyCalls")
    sim.clear()
    tsid = sim.engine.start("queue_call", sim.me, step=True)
    sim.engine.step(tsid)
    assert (T, "me", ["Proceeding"]) in sim.summary()


async def test_a_timed_scenario_stops_when_the_api_takes_its_call_over() -> None:
    sim = Harness()
    tsid = sim.engine.start("hold_resume", sim.me)  # timed: rings now
    session = sim.engine.session(tsid)
    assert session is not None

    sim.actions.reject(sim.mine(tsid))
    async with asyncio.timeout(5):
        await sim.engine.drain()

    assert [s for k, _e, s in sim.summary() if k == T] == [["Proceeding"], ["VoiceMail"], ["Disconnected"]]
    assert sim.engine.running() == []
    await sim.engine.close()


def test_a_scenario_stopped_by_a_diversion_hangs_up_the_calls_it_still_has(sim: Harness) -> None:
    """An attended transfer's consult call reaches a target on full DND: its voicemail takes the
    consult call over and the scenario stops there. The call it held for the transfer must not stay
    live for good: its caller hangs up (a property test found three such calls left ringing on hold)."""
    sim.engine.set_presence(sim.other, dnd_status="DoNotAcceptAnyCalls")
    tsid = sim.engine.start("attended_transfer", sim.me, other_extension_id=sim.other, step=True)
    step_through(sim.engine, tsid)
    for run_id in sim.engine.running():  # the consult call's voicemail, a run of its own
        step_through(sim.engine, run_id)
    assert sim.engine.running() == []
    assert all(t["telephonyStatus"] == "NoCall" for t in sim.engine.ground_truth().values())
    assert sim.engine.session(tsid) is None
