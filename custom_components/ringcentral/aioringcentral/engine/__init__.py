"""Call-state engine: one truth per extension from presence and telephony events, exactly-once events.

Pure and synchronous: no I/O, no clock reads (every entry point takes `now`, an aware datetime).
Inputs are parsed presence bodies (extension-level detailed or account-level), telephony-session
events and REST snapshots; each entry point returns an `EngineUpdate` (changed extensions, the
`CallEvent`s ringing, dialing, answered, on_hold, resumed, parked, voicemail, missed, ended, and the
extensions to re-read). A call is keyed per extension by (telephonySessionId, partyId): presence
`activeCalls` entries and telephony parties with the same key are the same call.

The units, each with one job (data flows down this list, never up):

| unit | job |
|---|---|
| `core` | `CallStateEngine`: the entry points, deadlines (`tick`, `next_deadline`) |
| `deadlines` | which extensions wait, and a heap of when each wait runs out (cost per change, not per wait) |
| `presence`, `telephony` | what one notification of that source says about each call |
| `ordering` | per-source order: presence `sequence` per extension, telephony `sequence` per party |
| `snapshot` | reconcile with a REST read (never regressing newer pushes) |
| `arbitration` | which source's view of a call leads and fires its events |
| `settlement` | the one terminal event, once the subscribed sources agree (or time settles it) |
| `display` | what the sensor shows (a call telephony says is live does not flicker away) |
| `context` | shared records; `Context.emit`, where every event passes the lifecycle table |
| `restart` | restart memory: what one engine announced, handed to the next |
| `lifecycle` | the table of which call event may follow which; anything else is absorbed |
| `phases`, `calls`, `records` | the phase alphabet and mappings; the call record; the public records |

Limits: with telephony only, a reordering can skip a transition (never fire it backwards); after
notifications were lost, an inbound call whose answer was lost ends as `missed`.
"""

from __future__ import annotations

from .core import CallStateEngine
from .records import AnnouncedCall, CallEvent, CallState, EngineUpdate, ExtensionState, SnapshotToken

__all__ = [
    "AnnouncedCall",
    "CallEvent",
    "CallState",
    "CallStateEngine",
    "EngineUpdate",
    "ExtensionState",
    "SnapshotToken",
]
