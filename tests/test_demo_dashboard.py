"""The demo's dashboard shows each extension's do not disturb select, missed calls, last caller, unread
voicemails and last message; the demo leaves its first extension a voicemail and an SMS through the
simulator's control API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from rcsim import SimConfig, Simulator
from scripts.demo.dashboard import (
    ROW_DO_NOT_DISTURB,
    ROW_LAST_CALLER,
    ROW_LAST_MESSAGE,
    ROW_MISSED_CALLS,
    ROW_UNREAD_VOICEMAILS,
    dashboard_config,
    extension_cards,
)
from scripts.demo.ha_demo import DEMO_SMS, DEMO_VOICEMAIL, leave_messages

KEYS = (
    "call_status",
    "on_call",
    "call",
    "do_not_disturb",
    "missed_calls",
    "last_caller",
    "unread_voicemails",
    "message",
)


def _entities(entry_id: str, device_id: str, extension_id: str, slug: str) -> list[dict[str, Any]]:
    """Entity registry rows as Home Assistant's WebSocket API lists them."""
    domains = {"on_call": "binary_sensor", "call": "event", "message": "event", "do_not_disturb": "select"}
    return [
        {
            "config_entry_id": entry_id,
            "device_id": device_id,
            "translation_key": key,
            "entity_id": f"{domains.get(key, 'sensor')}.{slug}_{key}",
            "unique_id": f"{extension_id}_{key}",
        }
        for key in KEYS
    ]


def test_each_extension_card_has_the_control_and_message_rows() -> None:
    entities = _entities("e1", "d1", "101", "alice") + _entities("e1", "d2", "102", "bob")
    devices = [{"id": "d1", "name": "Alice"}, {"id": "d2", "name": "Bob"}]
    cards = extension_cards(entities, devices, "e1")
    assert [(card.name, card.extension_id) for card in cards] == [("Alice", "101"), ("Bob", "102")]
    config = dashboard_config(cards, [])
    alice = config["views"][0]["cards"][0]
    assert alice["title"] == "Alice"
    assert {row["name"]: row["entity"] for row in alice["entities"]}.items() >= {
        ROW_DO_NOT_DISTURB: "select.alice_do_not_disturb",
        ROW_MISSED_CALLS: "sensor.alice_missed_calls",
        ROW_LAST_CALLER: "sensor.alice_last_caller",
        ROW_UNREAD_VOICEMAILS: "sensor.alice_unread_voicemails",
        ROW_LAST_MESSAGE: "event.alice_message",
    }.items()


@pytest.fixture
async def sim(socket_enabled: None) -> AsyncIterator[Simulator]:
    simulator = Simulator(SimConfig(seed=3), extensions=2)
    async with simulator:
        yield simulator


async def test_the_demo_leaves_a_voicemail_and_an_sms(sim: Simulator) -> None:
    extension_id = next(iter(sim.state.account.extensions))
    async with aiohttp.ClientSession() as session:
        await leave_messages(session, sim.url, extension_id)
    messages = {m.type: m for m in sim.state.messages.messages(extension_id)}
    assert messages["VoiceMail"].transcription == DEMO_VOICEMAIL["transcription"]
    assert messages["VoiceMail"].read_status == "Unread"
    assert messages["SMS"].subject == DEMO_SMS["text"]
