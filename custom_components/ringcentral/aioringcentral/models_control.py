"""Typed answers of the acting endpoints (call control, RingOut) and the values they take.

Same rules as `models`: frozen and slotted, ids are `str`, enum-like values stay plain `str`
(unknown ones kept), missing optional fields are `None`, a payload of the wrong shape is a `ParseError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from .errors import ParseError

# The values `set_presence` may set (RingCentral's `dndStatus` also reports `Unknown`, which is not
# something to set).
DND_TAKE_ALL_CALLS: Final = "TakeAllCalls"
DND_DO_NOT_ACCEPT_DEPARTMENT_CALLS: Final = "DoNotAcceptDepartmentCalls"
DND_TAKE_DEPARTMENT_CALLS_ONLY: Final = "TakeDepartmentCallsOnly"
DND_DO_NOT_ACCEPT_ANY_CALLS: Final = "DoNotAcceptAnyCalls"
DND_STATUSES: Final = (
    DND_TAKE_ALL_CALLS,
    DND_DO_NOT_ACCEPT_DEPARTMENT_CALLS,
    DND_TAKE_DEPARTMENT_CALLS_ONLY,
    DND_DO_NOT_ACCEPT_ANY_CALLS,
)
USER_STATUSES: Final = ("Available", "Busy", "Offline")

# RingOut leg and call statuses (`RingOutStatus.*_status`): the common ones.
RINGOUT_IN_PROGRESS: Final = "InProgress"
RINGOUT_SUCCESS: Final = "Success"


@dataclass(frozen=True, slots=True)
class RingOutStatus:
    """A RingOut (`POST`/`GET …/ring-out`): its id and where each leg stands (`InProgress`, `Success`,
    `NoAnswer`, `Busy`, `Rejected`, ...; None when RingCentral did not say)."""

    id: str
    call_status: str | None
    caller_status: str | None
    callee_status: str | None

    @classmethod
    def from_dict(cls, raw: Any) -> RingOutStatus:
        what = "ringOut"
        if not isinstance(raw, dict):
            raise ParseError(f"{what}: expected an object, got {type(raw).__name__}")
        ringout_id = raw.get("id")
        if isinstance(ringout_id, int) and not isinstance(ringout_id, bool):
            ringout_id = str(ringout_id)
        if not isinstance(ringout_id, str) or not ringout_id:
            raise ParseError(f"{what}: id missing")
        status = raw.get("status")
        if status is None:
            status = {}
        if not isinstance(status, dict):
            raise ParseError(f"{what}.status: expected an object, got {type(status).__name__}")
        values = []
        for key in ("callStatus", "callerStatus", "calleeStatus"):
            value = status.get(key)
            if value is not None and not isinstance(value, str):
                raise ParseError(f"{what}.status.{key}: expected a string, got {type(value).__name__}")
            values.append(value or None)
        call, caller, callee = values
        return cls(id=ringout_id, call_status=call, caller_status=caller, callee_status=callee)
