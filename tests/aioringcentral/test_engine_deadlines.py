"""The deadline heap (`engine/deadlines.py`) against a brute-force recompute over random operations.

Each operation does what the engine's units do: change one wait of an extension (marking it touched,
and pending when a wait begins), refresh, forget an extension, or expire what is due (the engine
touches every due extension). A wait may also begin without the extension being marked pending (it
then counts once something marks it). After each refresh, `next` must equal the earliest deadline over every
pending extension, and `due` must hand out exactly the pending extensions whose deadline has come.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.ringcentral.aioringcentral.engine.calls import TrackedCall
from custom_components.ringcentral.aioringcentral.engine.context import ExtensionRecord
from custom_components.ringcentral.aioringcentral.engine.deadlines import Deadlines, earliest_wait

T0 = datetime(2026, 1, 1, tzinfo=UTC)
SETTLE = timedelta(seconds=3)
EXTENSIONS = ("e1", "e2", "e3", "e4")
CALLS = (("s1", "p1"), ("s2", "p2"))
CALL_WAITS = ("end_signal_at", "t_wait_since", "disagree_since")

moment = st.none() | st.integers(0, 20).map(lambda s: T0 + timedelta(seconds=s))
operation = st.one_of(
    st.tuples(st.just("stream"), st.sampled_from(EXTENSIONS), moment),
    st.tuples(st.just("gap"), st.sampled_from(EXTENSIONS), moment),
    st.tuples(
        st.just("call"),
        st.sampled_from(EXTENSIONS),
        st.sampled_from(CALLS),
        st.sampled_from(CALL_WAITS),
        moment,
    ),
    st.tuples(st.just("drop_call"), st.sampled_from(EXTENSIONS), st.sampled_from(CALLS)),
    # A wait that began without the unit marking the extension pending, and a later mark.
    st.tuples(st.just("quiet"), st.sampled_from(EXTENSIONS), moment),
    st.tuples(st.just("pend"), st.sampled_from(EXTENSIONS)),
    st.tuples(st.just("refresh")),
    st.tuples(st.just("refresh")),
    st.tuples(st.just("forget"), st.sampled_from(EXTENSIONS)),
    st.tuples(st.just("expire"), st.integers(0, 30)),
)


def reference_wait(ext: ExtensionRecord) -> datetime | None:
    """`earliest_wait` as the engine first wrote it: the min over every wait of the extension."""
    stream_waits = ext.pstream.waiting_since is not None
    moments = [ext.pstream.waiting_since, ext.telephony.gap_since]
    for call in ext.calls.values():
        moments.extend((None if stream_waits else call.end_signal_at, call.t_wait_since, call.disagree_since))
    return min((moment for moment in moments if moment is not None), default=None)


def brute_next(deadlines: Deadlines, exts: dict[str, ExtensionRecord]) -> datetime | None:
    waits = [reference_wait(exts[ext_id]) for ext_id in deadlines.pending if ext_id in exts]
    present = [wait for wait in waits if wait is not None]
    return min(present) + SETTLE if present else None


@settings(max_examples=300, deadline=None)
@given(st.lists(operation, max_size=60))
def test_next_and_due_match_a_brute_force_recompute(operations: list[tuple[object, ...]]) -> None:
    deadlines = Deadlines(SETTLE)
    exts: dict[str, ExtensionRecord] = {}

    def ext_of(ext_id: str) -> ExtensionRecord:
        if ext_id not in exts:
            exts[ext_id] = ExtensionRecord(ext_id)
        deadlines.stale.add(ext_id)  # every change goes through `Context.touch`
        return exts[ext_id]

    def changed(ext_id: str, when: datetime | None) -> None:
        if when is not None:
            deadlines.pending.add(ext_id)  # a wait began: the unit marks the extension pending

    for op in operations:
        kind = op[0]
        if kind == "stream":
            ext_of(op[1]).pstream.waiting_since = op[2]
            changed(op[1], op[2])
        elif kind == "gap":
            ext_of(op[1]).telephony.gap_since = op[2]
            changed(op[1], op[2])
        elif kind == "call":
            ext = ext_of(op[1])
            key = op[2]
            call = ext.calls.get(key) or ext.calls.setdefault(key, TrackedCall(key, T0, 0))
            setattr(call, op[3], op[4])
            changed(op[1], op[4])
        elif kind == "quiet":
            ext_of(op[1]).telephony.gap_since = op[2]
        elif kind == "pend":
            ext_of(op[1])
            deadlines.pending.add(op[1])
        elif kind == "drop_call":
            ext_of(op[1]).calls.pop(op[2], None)
        elif kind == "refresh":
            deadlines.refresh(exts)
        elif kind == "forget":
            exts.pop(op[1], None)
            deadlines.forget(op[1])
        else:
            now = T0 + timedelta(seconds=op[1])
            deadlines.refresh(exts)
            expected = {
                ext_id
                for ext_id in deadlines.pending
                if (wait := reference_wait(exts[ext_id])) is not None and wait + SETTLE <= now
            }
            due = deadlines.due(exts, now)
            assert [ext.id for ext in due] == sorted(
                (ext.id for ext in due), key=lambda ext_id: (reference_wait(exts[ext_id]), ext_id)
            )
            assert {ext.id for ext in due} == expected
            assert len(due) == len(expected)
            for ext in due:
                deadlines.stale.add(ext.id)  # the engine touches each due extension
        if kind in ("refresh", "expire"):
            check(deadlines, exts)
    check(deadlines, exts)


def check(deadlines: Deadlines, exts: dict[str, ExtensionRecord]) -> None:
    """After a refresh (as the engine does before asking), `next` is the brute-force earliest."""
    deadlines.refresh(exts)
    assert deadlines.next(exts) == brute_next(deadlines, exts)
    assert all(exts[ext_id].wait_from is reference_wait(exts[ext_id]) for ext_id in deadlines.pending)
    assert all(earliest_wait(exts[ext_id]) is not None for ext_id in deadlines.pending if ext_id in exts)


def test_stale_entries_do_not_pile_up() -> None:
    """Moving one extension's wait many times keeps the heap small (stale entries are compacted)."""
    deadlines = Deadlines(SETTLE)
    ext = ExtensionRecord("e1")
    exts = {"e1": ext}
    for second in range(1000):
        ext.telephony.gap_since = T0 + timedelta(seconds=second)
        deadlines.pending.add("e1")
        deadlines.stale.add("e1")
        deadlines.refresh(exts)
    assert deadlines.next(exts) == T0 + timedelta(seconds=999) + SETTLE
    assert len(deadlines._heap) <= 100
