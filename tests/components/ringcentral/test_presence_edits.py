"""Presence set through the API against the notifications around it (pure, table-driven).

Each case is a timeline of what the coordinator sees for one extension: the PUT sent and answered,
notifications arriving (before the engine applies them) and the engine's value after each. What the
view shows after every step must never go back to a value older than the answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from custom_components.ringcentral.aioringcentral.models import Presence
from custom_components.ringcentral.presence_edits import (
    APPLIED_WITHIN,
    CONFIRM_TIMEOUT,
    PresenceEdits,
    camel,
)
from custom_components.ringcentral.views import ExtensionView

EXT = "101"
T0 = datetime(2026, 1, 1, tzinfo=UTC)
OLD, NEW, OTHER = "take_all_calls", "do_not_accept_any_calls", "take_department_calls_only"


def view(dnd: str | None, user: str | None = "available") -> ExtensionView:
    return ExtensionView(None, (), "available", user, dnd)


def presence(dnd: str | None, ext: str = EXT, user: str | None = None) -> Presence:
    return Presence(
        extension_id=ext,
        telephony_status="NoCall",
        presence_status="Available",
        user_status=None if user is None else camel(user),
        dnd_status=None if dnd is None else camel(dnd),
        meeting_status=None,
        sequence=None,
    )


@dataclass(frozen=True)
class Step:
    """`send`: the PUT goes out; `answer`: its answer (the value RingCentral set); `push`: a
    notification with this DND arrives and the engine then shows `engine`; `at`: seconds since T0."""

    kind: str
    value: str | None = None
    engine: str | None = None
    at: float = 0.0


CASES: dict[str, tuple[list[Step], list[str | None]]] = {
    # The usual order: answer, then the PUT's own notification.
    "answer_then_push": (
        [Step("send"), Step("answer", NEW), Step("push", NEW, engine=NEW)],
        [OLD, NEW, NEW],
    ),
    # The notification overtakes the answer: the engine shows it already, nothing is laid over.
    "push_then_answer": (
        [Step("send"), Step("push", NEW, engine=NEW), Step("answer", NEW)],
        [OLD, NEW, NEW],
    ),
    # An older notification (sent before the PUT) arrives after the answer: no flick back.
    "old_push_after_answer": (
        [Step("send"), Step("answer", NEW), Step("push", OLD, engine=OLD), Step("push", NEW, engine=NEW)],
        [OLD, NEW, NEW, NEW],
    ),
    # After the confirmation, a change made on the phone wins at once.
    "phone_change_after_confirmation": (
        [Step("send"), Step("answer", NEW), Step("push", NEW, engine=NEW), Step("push", OTHER, engine=OTHER)],
        [OLD, NEW, NEW, OTHER],
    ),
    # The confirmation waits behind a gap while an old value is applied; the engine shows a newer
    # change once it moves on: shown no later than APPLIED_WITHIN after the confirmation arrived.
    "confirmation_buffered_then_newer": (
        [
            Step("send"),
            Step("answer", NEW),
            Step("push", NEW, engine=OLD, at=1),
            Step("push", OTHER, engine=OTHER, at=2),
            Step("tick", at=1 + APPLIED_WITHIN.total_seconds()),
        ],
        [OLD, NEW, NEW, NEW, OTHER],
    ),
    # RingCentral set something other than asked: that is what shows, and what confirms.
    "answer_differs": (
        [Step("send"), Step("answer", OTHER), Step("push", OTHER, engine=OTHER)],
        [OLD, OTHER, OTHER],
    ),
    # Nothing confirms: after CONFIRM_TIMEOUT a resync is asked for, the value shows until it is done.
    "never_confirmed": (
        [
            Step("send"),
            Step("answer", NEW),
            Step("tick", at=CONFIRM_TIMEOUT.total_seconds()),
            Step("resynced", engine=NEW),
        ],
        [OLD, NEW, NEW, NEW],
    ),
    # The answer says nothing about the field: the notifications will.
    "answer_without_value": (
        [Step("send"), Step("answer", None), Step("push", NEW, engine=NEW)],
        [OLD, OLD, NEW],
    ),
    # The PUT failed: nothing is shown or kept.
    "failed": ([Step("send"), Step("fail")], [OLD, OLD]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_what_the_view_shows(case: str) -> None:
    steps, expected = CASES[case]
    edits = PresenceEdits()
    engine = OLD
    shown: list[str | None] = []
    edit = None
    resyncs = 0
    for step in steps:
        now = T0 + timedelta(seconds=step.at)
        if step.kind == "send":
            edit = edits.begin(EXT, "dnd_status", NEW)
        elif step.kind == "answer":
            assert edit is not None
            edits.answered(edit, presence(step.value), view(engine), now)
        elif step.kind == "fail":
            assert edit is not None
            edits.cancel(edit)
            assert not edits.active
        elif step.kind == "push":
            edits.observe(presence(step.value), now)
            engine = step.engine or engine
            edits.settle(EXT, view(engine))
        elif step.kind == "tick":
            _, resync = edits.tick(now)
            resyncs += resync
        elif step.kind == "resynced":
            engine = step.engine or engine
            edits.resynced()
        shown.append(edits.overlay(EXT, view(engine)).dnd_status)
    assert shown == expected
    assert resyncs == (1 if case == "never_confirmed" else 0)
    assert not edits.active or case == "answer_without_value"


def test_deadlines() -> None:
    """An answered edit waits CONFIRM_TIMEOUT for its notification, then APPLIED_WITHIN once seen."""
    edits = PresenceEdits()
    assert edits.next_deadline() is None
    edit = edits.begin(EXT, "user_status", "busy")
    assert edits.next_deadline() is None  # in flight: nothing to time yet
    assert edits.answered(edit, presence(None, user="busy"), view(OLD), T0)
    assert edits.next_deadline() == T0 + CONFIRM_TIMEOUT
    assert edits.tick(T0 + timedelta(seconds=1)) == (set(), False)
    edits.observe(presence(None, user="busy"), T0 + timedelta(seconds=2))
    assert edits.next_deadline() == T0 + timedelta(seconds=2) + APPLIED_WITHIN
    assert edits.tick(T0 + timedelta(seconds=2) + APPLIED_WITHIN) == ({EXT}, False)
    assert not edits.active


def test_fields_and_extensions_stay_apart() -> None:
    """An edit shows only on its field of its extension; other extensions' notifications do not
    confirm it."""
    edits = PresenceEdits()
    dnd = edits.begin(EXT, "dnd_status", NEW)
    user = edits.begin(EXT, "user_status", "busy")
    edits.answered(dnd, presence(NEW), view(OLD), T0)
    edits.answered(user, presence(None, user="busy"), view(OLD), T0)
    edits.observe(presence(NEW, ext="999"), T0)
    assert edits.overlay(EXT, view(OLD)) == ExtensionView(None, (), "available", "busy", NEW)
    assert edits.overlay("999", view(OLD)) == view(OLD)
    assert [d["field"] for d in edits.diagnostics()] == ["dnd_status", "user_status"]
    edits.settle(EXT, view(NEW))  # the engine shows the DND: only that edit ends
    assert edits.overlay(EXT, view(NEW)) == ExtensionView(None, (), "available", "busy", NEW)
    with pytest.raises(ValueError, match="presence field"):
        edits.begin(EXT, "presence_status", "busy")


def test_a_second_edit_replaces_the_first() -> None:
    edits = PresenceEdits()
    first = edits.begin(EXT, "dnd_status", NEW)
    assert edits.answered(first, presence(NEW), view(OLD), T0)
    second = edits.begin(EXT, "dnd_status", OLD)
    # The engine still shows OLD: the second edit asks for what it shows, so nothing is laid over.
    assert edits.answered(second, presence(OLD), view(OLD), T0)
    assert edits.overlay(EXT, view(OLD)).dnd_status == OLD
    assert not edits.active
    third = edits.begin(EXT, "dnd_status", OLD)
    assert not edits.answered(third, presence(OLD), view(OLD), T0)  # nothing changes at all


def test_camel() -> None:
    assert camel("do_not_accept_department_calls") == "DoNotAcceptDepartmentCalls"
    assert camel("available") == "Available"
