"""`CallStateEngine`: the entry points, each one pass through the units (see the package docstring)."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from ..filters import FilterKind
from ..models import Notification, Presence, TelephonySession, TelephonySessionEvent
from . import presence as presence_unit
from . import snapshot
from . import telephony as telephony_unit
from .arbitration import hand_to_telephony, reconcile, release_held
from .calls import shown
from .context import Context
from .records import AnnouncedCall, EngineUpdate, ExtensionState, SnapshotToken
from .settlement import settle, terminate

# Notification uuids remembered engine-wide (a repeated uuid is a duplicate).
UUID_MEMORY = 256

_PRESENCE_KINDS = frozenset((FilterKind.PRESENCE, FilterKind.ACCOUNT_PRESENCE))


class CallStateEngine:
    """Per-extension call state from presence and telephony notifications and REST snapshots.

    Pure and synchronous: no I/O, no clock reads (every entry point takes `now`, an aware datetime).
    Each entry point returns an `EngineUpdate`: which extensions' `ExtensionState` changed, the
    `CallEvent`s the change implies, and the extensions whose lost notifications need a REST re-read.
    """

    def __init__(self, *, settle_seconds: float = 3.0) -> None:
        if settle_seconds < 0:
            raise ValueError("settle_seconds must not be negative")
        self._ctx = Context(timedelta(seconds=settle_seconds))
        self._uuids: set[str] = set()
        self._uuid_order: deque[str] = deque()

    # ------------------------------------------------------------------ configuration

    def set_monitored(
        self,
        extension_ids: Iterable[str] | None,
        *,
        presence: Iterable[str] | None = None,
        telephony: Iterable[str] | None = None,
    ) -> None:
        """Monitor these extensions (None: all) and forget the others.

        `presence` / `telephony`: the extensions whose presence / telephony events are subscribed
        (None: all monitored ones). A call ends when every expected source says so (or after the
        settle time), so leave out a source whose filter RingCentral disabled.
        """
        ctx = self._ctx
        ctx.monitored = None if extension_ids is None else frozenset(str(i) for i in extension_ids)
        ctx.presence_sources = None if presence is None else frozenset(str(i) for i in presence)
        ctx.telephony_sources = None if telephony is None else frozenset(str(i) for i in telephony)
        if ctx.monitored is not None:
            for ext_id in [e for e in ctx.exts if e not in ctx.monitored]:
                self.forget(ext_id)

    def forget(self, extension_id: str) -> None:
        """Drop everything known about an extension."""
        self._ctx.exts.pop(extension_id, None)
        self._ctx.deadlines.forget(extension_id)

    def monitors(self, extension_id: str) -> bool:
        """Whether notifications for this extension are applied."""
        return self._ctx.monitors(extension_id)

    # ------------------------------------------------------------------ queries

    def state(self, extension_id: str) -> ExtensionState:
        """The extension's current state (all None and no calls when nothing is known)."""
        return self._ctx.state(extension_id)

    def extension_ids(self) -> list[str]:
        """Extensions the engine holds state for."""
        return list(self._ctx.exts)

    def tracked_sessions(self) -> set[str]:
        """telephonySessionIds of every call the engine tracks, shown or hidden by presence (a
        snapshot should read them: presence alone may leave out a call that is still alive)."""
        return {key[0] for ext in self._ctx.exts.values() for key in ext.calls}

    @property
    def absorbed(self) -> Mapping[str, int]:
        """Events the lifecycle table refused since the engine started, by "state->event" (e.g.
        "parked->parked": a call already parked was to be parked again). For diagnostics: each is
        an input that would have implied an illegal step (a late or reordered notification)."""
        return dict(self._ctx.absorbed)

    def announced_calls(self) -> list[AnnouncedCall]:
        """The calls whose start was announced (or that a baseline showed) and restored ones not
        seen again, with where each one's history stands: what an engine replacing this one (a
        restart) should `restore_announced`, newest knowledge first."""
        ctx = self._ctx
        live = [
            (ext.id, *key, call.announced)
            for ext in ctx.exts.values()
            for key, call in ext.calls.items()
            if shown(call) or call.restored
        ]
        return ctx.restart.saved(live)

    def restore_announced(self, calls: Iterable[AnnouncedCall]) -> None:
        """Calls an earlier engine announced (`announced_calls`, e.g. saved across a restart).

        A restart may miss a call in its baseline (presence hides it in the flicker and its session
        could not be read); when such a call shows up again it moves on from where its announced
        history stood (entries without it: its first phase is a silent baseline), never a second
        start event. Forgotten once seen, or once a snapshot read its session.
        """
        self._ctx.restart.restore(calls)

    def next_deadline(self) -> datetime | None:
        """When `tick` has something to do (a gap to give up on, a terminal to settle), if ever."""
        ctx = self._ctx
        ctx.refresh_waits()
        return ctx.deadlines.next(ctx.exts)

    # ------------------------------------------------------------------ inputs

    def apply_notification(self, notification: Notification, now: datetime) -> EngineUpdate:
        """Parse and apply a notification envelope; repeated uuids and unknown kinds are ignored.

        Raises `ParseError` when the body does not parse.
        """
        if notification.uuid is not None:
            if notification.uuid in self._uuids:
                return EngineUpdate()
            self._uuids.add(notification.uuid)
            self._uuid_order.append(notification.uuid)
            if len(self._uuid_order) > UUID_MEMORY:
                self._uuids.discard(self._uuid_order.popleft())
        kind = notification.kind
        if kind in _PRESENCE_KINDS:
            return self.apply_presence(notification.presence(), now)
        if kind == FilterKind.TELEPHONY_SESSIONS:
            return self.apply_telephony(notification.telephony_session(), now)
        return EngineUpdate()

    def apply_presence(self, presence: Presence, now: datetime) -> EngineUpdate:
        """Apply a presence notification body (extension-level or account-level)."""
        ctx = self._ctx
        ctx.begin()
        ext = ctx.extension(presence.extension_id)
        if ext is not None:
            ctx.touch(ext)
            presence_unit.push(ctx, ext, presence, now)
        self._expire(now)
        return ctx.result()

    def apply_telephony(self, event: TelephonySessionEvent, now: datetime) -> EngineUpdate:
        """Apply a telephony-session notification body; each monitored extension takes its parties."""
        ctx = self._ctx
        ctx.begin()
        telephony_unit.apply(ctx, event, now)
        self._expire(now)
        return ctx.result()

    def tick(self, now: datetime) -> EngineUpdate:
        """Give up on gaps and settle terminals whose time has come (call at `next_deadline`)."""
        self._ctx.begin()
        self._expire(now)
        return self._ctx.result()

    def finish(self, now: datetime) -> EngineUpdate:
        """The engine is about to be replaced (e.g. a restart): nothing can wait any longer.

        Applies presence held back for a gap, and fires the terminal of every call a source already
        reported over (telephony's end or presence's final NoCall) instead of waiting out the settle
        time. A call that presence merely left out is not ended: the next engine decides.
        """
        ctx = self._ctx
        ctx.begin()
        for ext in list(ctx.exts.values()):
            ctx.touch(ext)
            if ext.pstream.buffer:
                presence_unit.give_up(ctx, ext, now)
            for call in list(ext.calls.values()):
                if call.t_ended or call.p_final:
                    release_held(ctx, ext, call)
                    terminate(ctx, ext, call, now)
        return ctx.result()

    def begin_snapshot(self) -> SnapshotToken:
        """Call before issuing the REST requests of a snapshot; pass the token to `apply_snapshot`."""
        self._ctx.op += 1
        return SnapshotToken(self._ctx.op)

    def apply_snapshot(
        self,
        token: SnapshotToken,
        presences: Mapping[str, Presence],
        sessions: Mapping[str, TelephonySession | None],
        now: datetime,
    ) -> EngineUpdate:
        """Reset the baseline from REST: `presences` per extension id, `sessions` per telephonySessionId.

        A `sessions` value of None means the session no longer exists (404); a session id left out
        means it was not fetched. Extensions left out of `presences` keep their state, except for calls
        whose session is given.
        """
        ctx = self._ctx
        batch = ctx.begin()
        unknown = {ext_id for ext_id in presences if not (ext_id in ctx.exts and ctx.exts[ext_id].known)}
        for ext_id, presence in presences.items():
            ext = ctx.extension(ext_id)
            if ext is not None:
                ctx.touch(ext)
                snapshot.apply_presence(ctx, ext, token, presence, sessions=sessions, now=now)
        snapshot.apply_sessions(ctx, token, presences, sessions, now, unknown=unknown)
        ctx.restart.read_sessions(sessions)  # what they said about restored calls was applied
        for ext_id in batch.before:
            ext = ctx.exts.get(ext_id)
            if ext is not None:
                settle(ctx, ext, now)
        self._expire(now)
        return ctx.result()

    # ------------------------------------------------------------------ deadlines

    def _expire(self, now: datetime) -> None:
        """Give up on gaps, hand calls to telephony and settle terminals whose time has come."""
        ctx = self._ctx
        deadlines = ctx.deadlines
        if deadlines.stale:
            deadlines.refresh(ctx.exts)
        due = deadlines.due(ctx.exts, now)
        if not due:
            return
        for ext in due:
            ctx.touch(ext)
            stream = ext.pstream
            if stream.waiting_since is not None and now - stream.waiting_since >= ctx.settle:
                presence_unit.give_up(ctx, ext, now)
            gap_since = ext.telephony.gap_since
            if gap_since is not None and now - gap_since >= ctx.settle:
                ext.telephony.sparse()
            for call in list(ext.calls.values()):
                if call.t_wait_since is not None and now - call.t_wait_since >= ctx.settle:
                    hand_to_telephony(ctx, ext, call)
                if call.disagree_since is not None and now - call.disagree_since >= ctx.settle:
                    reconcile(ctx, ext, call)
            settle(ctx, ext, now)
        ctx.refresh_waits()  # queues the deadlines that changed, drops what nothing waits for
