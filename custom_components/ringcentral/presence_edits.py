"""Presence this integration set (do not disturb, user status): shown at once, kept until the
notifications catch up (pure: no I/O, time passed in).

RingCentral answers a presence PUT with the new presence, but its answer carries no `sequence`, so the
engine cannot place it among the notifications. Notifications sent before the PUT may still be on
their way and carry the old value; applied as they are, the select would flick back to it. So the
answer is an *edit* laid over the engine's view of its field until the engine has caught up:

- the edit ends as soon as the engine itself shows the value (the PUT's own notification was applied;
  from then on the engine's order decides, so a later change made on a phone wins);
- once a notification carrying the value was seen, the engine applies it within its gap wait: the
  edit ends `APPLIED_WITHIN` later even if the engine moved past it meanwhile (a newer change);
- if no such notification arrives within `CONFIRM_TIMEOUT` (lost, or the PUT changed nothing), the
  caller re-reads presence from REST (a resync) and the edit ends when that resync is done.

The notification of the PUT may also arrive before its answer: edits in flight watch for it too.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Final

from .aioringcentral.models import Presence
from .views import ExtensionView, snake

FIELDS: Final = ("dnd_status", "user_status")
# The engine applies a presence at most its settle time (3 s: a sequence gap's wait) after it arrived.
APPLIED_WITHIN: Final = timedelta(seconds=5)
# RingCentral delivers notifications within a second or two; past this, re-read presence instead.
CONFIRM_TIMEOUT: Final = timedelta(seconds=20)


def camel(value: str) -> str:
    """`take_all_calls` → `TakeAllCalls` (RingCentral's spelling of an option)."""
    return "".join(part.capitalize() for part in value.split("_"))


@dataclass(slots=True, eq=False)
class Edit:
    """One presence field set through the API, from the request until the engine shows it."""

    extension_id: str
    field: str
    value: str  # snake_case, as the view shows it
    answered_at: datetime | None = None
    seen_at: datetime | None = None  # a notification carrying `value` arrived
    unconfirmed: bool = False  # none arrived in time: waits for a resync


class PresenceEdits:
    """The edits of one entry's extensions."""

    def __init__(self) -> None:
        self._in_flight: list[Edit] = []
        # The answered edit per (extension, field) that the view shows.
        self._shown: dict[tuple[str, str], Edit] = {}

    @property
    def active(self) -> bool:
        """Whether notifications need to be watched at all."""
        return bool(self._in_flight or self._shown)

    @property
    def showing(self) -> bool:
        """Whether any answered edit is laid over the engine's view."""
        return bool(self._shown)

    def begin(self, extension_id: str, field: str, value: str) -> Edit:
        """A PUT is about to be sent."""
        if field not in FIELDS:
            raise ValueError(f"not a presence field this integration sets: {field}")
        edit = Edit(extension_id, field, value)
        self._in_flight.append(edit)
        return edit

    def cancel(self, edit: Edit) -> None:
        """The PUT failed: nothing changed."""
        if edit in self._in_flight:
            self._in_flight.remove(edit)

    def answered(self, edit: Edit, answer: Presence, engine: ExtensionView, now: datetime) -> bool:
        """The PUT's answer arrived; returns whether the view of the extension changes."""
        self.cancel(edit)
        value = snake(getattr(answer, edit.field))
        if value is None:
            return False  # the answer does not say: the notifications will
        if value != edit.value:
            edit.value, edit.seen_at = value, None  # RingCentral set something else: watch for that
        key = (edit.extension_id, edit.field)
        previous = self._shown.pop(key, None)
        if getattr(engine, edit.field) == value:
            # The engine shows it already (its notification came first, or nothing changed).
            return previous is not None and previous.value != value
        edit.answered_at = now
        self._shown[key] = edit
        return True

    def observe(self, presence: Presence, now: datetime) -> None:
        """A presence notification arrived (before the engine applies it)."""
        for edit in (*self._in_flight, *self._shown.values()):
            if (
                edit.extension_id == presence.extension_id
                and edit.seen_at is None
                and snake(getattr(presence, edit.field)) == edit.value
            ):
                edit.seen_at = now

    def settle(self, extension_id: str, engine: ExtensionView) -> None:
        """The engine changed the extension: edits it now shows end (the view stays the same)."""
        for field in FIELDS:
            edit = self._shown.get((extension_id, field))
            if edit is not None and getattr(engine, field) == edit.value:
                del self._shown[(extension_id, field)]

    def overlay(self, extension_id: str, view: ExtensionView) -> ExtensionView:
        """The engine's view with the extension's edits laid over it."""
        if not self._shown:
            return view
        dnd = self._shown.get((extension_id, "dnd_status"))
        user = self._shown.get((extension_id, "user_status"))
        if dnd is None and user is None:
            return view
        return replace(
            view,
            dnd_status=view.dnd_status if dnd is None else dnd.value,
            user_status=view.user_status if user is None else user.value,
        )

    def next_deadline(self) -> datetime | None:
        """When `tick` has something to do."""
        moments = [moment for edit in self._shown.values() if (moment := self._deadline(edit))]
        return min(moments, default=None)

    def tick(self, now: datetime) -> tuple[set[str], bool]:
        """End edits whose notification the engine has had time to apply; returns the extensions
        whose view may change and whether presence must be re-read (an edit was never confirmed)."""
        changed: set[str] = set()
        resync = False
        for key, edit in list(self._shown.items()):
            deadline = self._deadline(edit)
            if deadline is None or now < deadline:
                continue
            if edit.seen_at is not None:
                del self._shown[key]
                changed.add(edit.extension_id)
            else:
                edit.unconfirmed = True
                resync = True
        return changed, resync

    def resynced(self) -> set[str]:
        """A resync started after the unconfirmed edits were given up on is done: its state stands."""
        ended = [key for key, edit in self._shown.items() if edit.unconfirmed]
        for key in ended:
            del self._shown[key]
        return {ext_id for ext_id, _ in ended}

    def diagnostics(self) -> list[dict[str, object]]:
        return [
            {"extension_id": ext_id, "field": field, "value": edit.value, "seen": edit.seen_at is not None}
            for (ext_id, field), edit in self._shown.items()
        ]

    @staticmethod
    def _deadline(edit: Edit) -> datetime | None:
        if edit.unconfirmed:
            return None
        if edit.seen_at is not None:
            return edit.seen_at + APPLIED_WITHIN
        return None if edit.answered_at is None else edit.answered_at + CONFIRM_TIMEOUT
