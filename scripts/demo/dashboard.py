"""The demo's Lovelace dashboard: which cards it has, built from HA's entity and device registries.

Pure data, no I/O: ``ha_demo.py`` fetches the registries and saves the result over the WebSocket API.
The browser test finds cards by the titles and row names defined here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DASHBOARD_URL_PATH = "ringcentral-demo"
VIEW_PATH = "calls"
DASHBOARD_TITLE = "RingCentral"

# Row names on every extension card.
ROW_CALL_STATUS = "Call status"
ROW_ON_CALL = "On call"
ROW_LAST_EVENT = "Last call event"
ROW_DO_NOT_DISTURB = "Do not disturb"
# Recent calls and messages (issue 16).
ROW_MISSED_CALLS = "Missed calls today"
ROW_LAST_CALLER = "Last caller"
ROW_UNREAD_VOICEMAILS = "Unread voicemails"
ROW_LAST_MESSAGE = "Last message"

# The cards that need the recorder: a timeline of every extension's call status and on-call state,
# and a log of call-status changes.
HISTORY_TITLE = "Call history"
LOGBOOK_TITLE = "Call log"
# Both cards show the last hour: a call just placed is at the right-hand end of the timeline.
HOURS_TO_SHOW = 1


@dataclass(frozen=True, slots=True)
class ExtensionCard:
    """What the dashboard shows for one extension."""

    name: str
    extension_id: str
    call_status: str
    on_call: str | None
    call_event: str | None
    do_not_disturb: str | None = None
    missed_calls: str | None = None
    last_caller: str | None = None
    unread_voicemails: str | None = None
    message_event: str | None = None


def extension_cards(
    entities: list[dict[str, Any]], devices: list[dict[str, Any]], entry_id: str
) -> list[ExtensionCard]:
    """One card per extension device of the entry, from the entity and device registry listings."""
    names = {d["id"]: d.get("name_by_user") or d.get("name") or d["id"] for d in devices}
    by_device: dict[str, dict[str, str]] = {}
    for ent in entities:
        if ent.get("config_entry_id") != entry_id or not ent.get("device_id"):
            continue
        keys = by_device.setdefault(ent["device_id"], {})
        keys[str(ent.get("translation_key"))] = ent["entity_id"]
        if ent.get("translation_key") == "call_status":
            # Unique ids are "<extension id>_<key>" (entity.py).
            keys["extension_id"] = str(ent.get("unique_id", "")).removesuffix("_call_status")
    cards = [
        ExtensionCard(
            name=names.get(device_id, device_id),
            extension_id=keys["extension_id"],
            call_status=keys["call_status"],
            on_call=keys.get("on_call"),
            call_event=keys.get("call"),
            do_not_disturb=keys.get("do_not_disturb"),
            missed_calls=keys.get("missed_calls"),
            last_caller=keys.get("last_caller"),
            unread_voicemails=keys.get("unread_voicemails"),
            message_event=keys.get("message"),
        )
        for device_id, keys in by_device.items()
        if "call_status" in keys
    ]
    return sorted(cards, key=lambda card: card.name)


def dashboard_config(cards: list[ExtensionCard], account_entities: list[str]) -> dict[str, Any]:
    """The dashboard: one entities card per extension (status, on call, last event, do not disturb,
    missed calls, last caller, unread voicemails, last message), then the history graph and the logbook
    of every extension, then the account's card."""
    view_cards: list[dict[str, Any]] = []
    for card in cards:
        rows: list[dict[str, Any]] = [{"entity": card.call_status, "name": ROW_CALL_STATUS}]
        if card.on_call:
            rows.append({"entity": card.on_call, "name": ROW_ON_CALL})
        if card.call_event:
            # An event entity's row shows when the last event was and its (translated) type.
            rows.append({"entity": card.call_event, "name": ROW_LAST_EVENT})
        for entity, name in (
            (card.do_not_disturb, ROW_DO_NOT_DISTURB),
            (card.missed_calls, ROW_MISSED_CALLS),
            (card.last_caller, ROW_LAST_CALLER),
            (card.unread_voicemails, ROW_UNREAD_VOICEMAILS),
            (card.message_event, ROW_LAST_MESSAGE),
        ):
            if entity:
                rows.append({"entity": entity, "name": name})
        view_cards.append({"type": "entities", "title": card.name, "state_color": True, "entities": rows})
    if cards:
        # Short row names: the timeline's label column is narrow. Each extension's status row is named
        # after it and its on-call row follows it.
        timeline: list[dict[str, Any]] = []
        for card in cards:
            timeline.append({"entity": card.call_status, "name": card.name})
            if card.on_call:
                timeline.append({"entity": card.on_call, "name": ROW_ON_CALL})
        view_cards.append(
            {
                "type": "history-graph",
                "title": HISTORY_TITLE,
                "hours_to_show": HOURS_TO_SHOW,
                "entities": timeline,
            }
        )
        # The call-status changes read as a call log ("Alice Johnson Call status changed to Ringing").
        view_cards.append(
            {
                "type": "logbook",
                "title": LOGBOOK_TITLE,
                "hours_to_show": HOURS_TO_SHOW,
                "target": {"entity_id": [card.call_status for card in cards]},
            }
        )
    if account_entities:
        rows = [{"entity": entity_id, "name": "Notifications"} for entity_id in account_entities]
        view_cards.append({"type": "entities", "title": "Account", "entities": rows})
    return {"title": DASHBOARD_TITLE, "views": [{"title": "Calls", "path": VIEW_PATH, "cards": view_cards}]}
