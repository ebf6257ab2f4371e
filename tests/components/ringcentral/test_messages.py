"""Voicemail and SMS end to end: `unread_voicemails`, the `message` event entity and `ringcentral_message`.

The simulator leaves voicemails (a call that goes to voicemail), delivers SMS and marks messages read
"on the phone"; Home Assistant is observed through its states and its bus.
"""

from __future__ import annotations

import asyncio
import json
import re
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import web
from homeassistant.const import EVENT_STATE_CHANGED, STATE_UNAVAILABLE
from homeassistant.core import Event, HomeAssistant, State, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.ringcentral.const import DOMAIN, EVENT_RINGCENTRAL_MESSAGE, MONITOR_ACCOUNT
from custom_components.ringcentral.diagnostics import async_get_config_entry_diagnostics
from custom_components.ringcentral.logbook import describe_message_event
from custom_components.ringcentral.messages import READ_BURST, READ_RETRY, READ_SPACING
from rcsim import SimConfig, Simulator
from rcsim.faults import HttpFault, NotificationFaults
from rcsim.message_model import READ
from rcsim.rest_messages import MessageApi

from .conftest import TIME_SCALE, make_entry, settled, setup_entry, wait_for
from .recorder import entity_id


async def _entry(hass: HomeAssistant, sim: Simulator, **options: Any) -> tuple[MockConfigEntry, str]:
    entry = make_entry(sim, **options)
    await setup_entry(hass, entry)
    await wait_for(hass, lambda: entry.runtime_data.coordinator.connected)
    await wait_for(hass, lambda: settled(hass, entry))
    return entry, str(entry.data["extension_id"])


class Messages:
    """What one extension's message entities and the bus showed, from now on."""

    def __init__(self, hass: HomeAssistant, extension_id: str) -> None:
        self.hass = hass
        self.event_entity = entity_id(hass, "event", f"{extension_id}_message")
        self.unread_entity = entity_id(hass, "sensor", f"{extension_id}_unread_voicemails")
        self.entity_events: list[dict[str, Any]] = []
        self.bus: list[dict[str, Any]] = []

        @callback
        def _changed(event: Event) -> None:
            new: State | None = event.data["new_state"]
            old: State | None = event.data["old_state"]
            if event.data["entity_id"] != self.event_entity or new is None:
                return
            # A new event has a new time (to the millisecond) or, within one millisecond, a new id.
            fired = new.attributes.get("event_type") and (
                old is None
                or old.state != new.state
                or old.attributes.get("message_id") != new.attributes.get("message_id")
            )
            if fired:
                self.entity_events.append(dict(new.attributes))

        self._unsubs = [
            hass.bus.async_listen(EVENT_STATE_CHANGED, _changed),
            hass.bus.async_listen(
                EVENT_RINGCENTRAL_MESSAGE,
                callback(
                    lambda e: (
                        self.bus.append(dict(e.data)) if e.data["extension_id"] == extension_id else None
                    )
                ),
            ),
        ]

    @property
    def unread(self) -> str:
        state = self.hass.states.get(self.unread_entity)
        assert state is not None
        return state.state

    def stop(self) -> None:
        for unsub in self._unsubs:
            unsub()


async def _sms(hass: HomeAssistant, sim: Simulator, watch: Messages, me: str, text: str, **kw: Any) -> None:
    """An SMS arrives; wait until the bus has it (also a barrier: whatever came before is in)."""
    count = len(watch.bus)
    sender = kw.pop("from_number", "+14155550198")
    sim.state.messages.receive_sms(sim.state.account.extensions[me], from_number=sender, text=text, **kw)
    await wait_for(hass, lambda: len(watch.bus) > count)


async def test_voicemail_counts_fires_once_and_reading_lowers(hass: HomeAssistant, sim: Simulator) -> None:
    entry, me = await _entry(hass, sim)
    watch = Messages(hass, me)
    assert watch.unread == "0"

    sim.state.calls.start("inbound_voicemail", me)
    await sim.state.calls.drain()
    await wait_for(hass, lambda: watch.unread == "1" and len(watch.bus) == 1)
    [message] = sim.state.messages.messages(me)
    [event] = watch.entity_events
    assert event["event_type"] == "voicemail"
    assert event["message_id"] == message.id
    assert event["from"] == message.from_.phone_number
    assert event["from_name"] == message.from_.name
    assert event["duration"] == message.vm_duration > 0
    assert event["text"] == message.transcription  # RingCentral's transcription
    bus = watch.bus[0]
    assert bus["type"] == "voicemail"
    assert bus["extension_id"] == me
    assert bus["device_id"] == entry.runtime_data.coordinator.devices.device_ids[me]
    assert {key: bus[key] for key in event if key in bus} == {key: event[key] for key in event if key in bus}
    assert describe_message_event(bus).startswith("got a voicemail from ")

    # Read on the phone: the count goes down; nothing is announced again.
    sim.state.messages.set_read_status(message, READ)
    await wait_for(hass, lambda: watch.unread == "0")
    await _sms(hass, sim, watch, me, "barrier")
    assert [e["type"] for e in watch.bus] == ["voicemail", "sms"]
    watch.stop()
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_sms_fires_once_with_its_text(hass: HomeAssistant, sim: Simulator) -> None:
    """Duplicated notifications (RingCentral may repeat them) still announce the SMS once."""
    entry, me = await _entry(hass, sim)
    watch = Messages(hass, me)
    sim.state.faults.notifications = NotificationFaults(duplicate=1.0)
    await _sms(hass, sim, watch, me, "The parcel is at the door", from_name="ACME Deliveries")
    sim.state.faults.clear()
    await _sms(hass, sim, watch, me, "barrier")

    first = watch.bus[0]
    assert first["type"] == "sms"
    assert first["text"] == "The parcel is at the door"
    assert first["from"] == "+14155550198"
    assert first["from_name"] == "ACME Deliveries"
    assert first["duration"] is None
    assert [e["text"] for e in watch.bus] == ["The parcel is at the door", "barrier"]
    assert [e["event_type"] for e in watch.entity_events] == ["sms", "sms"]
    assert watch.entity_events[0]["text"] == "The parcel is at the door"
    assert watch.unread == "0"  # SMS are not voicemail
    report = json.dumps(await async_get_config_entry_diagnostics(hass, entry))
    for personal in ("The parcel is at the door", "barrier", "+14155550198", "ACME Deliveries"):
        assert personal not in report
    assert '"announced": 2' in report
    watch.stop()
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_a_voicemail_waiting_for_its_transcription_is_announced_before_unload(
    hass: HomeAssistant, socket_enabled: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The entry unloads (a restart) while a voicemail's announcement waits for its transcription,
    which RingCentral is slow to serve: the event entity and the bus still get it, once, without
    the text, before the entities go (chaos seed 1005035: fired on the bus once they had gone,
    never on the event entity)."""
    served, release = asyncio.Event(), asyncio.Event()
    get_content = MessageApi.get_content

    async def slow_content(api: MessageApi, request: web.Request) -> web.Response:
        served.set()
        await release.wait()  # the simulator's latency, not the client's
        return await get_content(api, request)

    monkeypatch.setattr(MessageApi, "get_content", slow_content)
    async with Simulator(SimConfig(time_scale=TIME_SCALE, seed=1), extensions=2) as sim:
        entry, me = await _entry(hass, sim)
        watch = Messages(hass, me)
        ext = sim.state.account.extensions[me]
        message = sim.state.messages.leave_voicemail(
            ext, from_number="+13125550121", duration=7, transcription="Hi"
        )
        await wait_for(hass, served.is_set)
        assert watch.bus == []
        assert await hass.config_entries.async_unload(entry.entry_id)
        release.set()
        await hass.async_block_till_done()
        [event] = watch.entity_events
        assert (event["event_type"], event["message_id"], event["text"]) == ("voicemail", message.id, None)
        assert [(e["type"], e["message_id"]) for e in watch.bus] == [("voicemail", message.id)]
        watch.stop()
        await sim.state.calls.close()


async def test_a_message_heard_while_the_entry_unloads_reaches_the_event_entity(
    hass: HomeAssistant, sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RingCentral delivers an SMS while the entry deletes its subscription on unload (a restart):
    it still reaches the event entity, not only the bus (fresh chaos seeds 1900255, 1900285: the
    entities were removed before the notifications stopped)."""
    entry, me = await _entry(hass, sim)
    watch = Messages(hass, me)
    remove = sim.state.subscriptions.remove

    def remove_after_an_sms(subscription_id: str, *, reason: str) -> None:
        if reason == "deleted":  # the entry's own DELETE: one more SMS goes out before it is done
            ext = sim.state.account.extensions[me]
            sim.state.messages.receive_sms(ext, from_number="+14155550198", text="Bye")
        remove(subscription_id, reason=reason)

    monkeypatch.setattr(sim.state.subscriptions, "remove", remove_after_an_sms)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert [(e["event_type"], e["text"]) for e in watch.entity_events] == [("sms", "Bye")]
    assert [e["type"] for e in watch.bus] == ["sms"]
    watch.stop()


async def test_a_resync_rereads_what_notifications_lost(hass: HomeAssistant, sim: Simulator) -> None:
    """A voicemail left while notifications were lost, and the connection's recovery failed: the resync
    reads the message store again, so the count is right (nothing is announced for the lost one)."""
    entry, me = await _entry(hass, sim)
    watch = Messages(hass, me)
    coordinator = entry.runtime_data.coordinator
    sim.state.faults.notifications = NotificationFaults(drop=1.0)
    ext = sim.state.account.extensions[me]
    sim.state.messages.leave_voicemail(ext, from_number="+13125550121", duration=7)
    sim.state.faults.clear()
    assert watch.unread == "0"

    sim.state.faults.fail_recoveries = 1
    sim.state.ws.drop_all()
    await wait_for(hass, lambda: watch.unread == "1")
    await wait_for(hass, lambda: coordinator.connected)
    await _sms(hass, sim, watch, me, "barrier")
    assert [e["type"] for e in watch.bus] == ["sms"]
    watch.stop()
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_refused_message_filters_turn_off_messages_only(hass: HomeAssistant, sim: Simulator) -> None:
    """Without ReadMessages RingCentral refuses the message filters: the message entities are
    unavailable, a repair issue names ReadMessages, and calls still work."""
    sim.state.app.permissions.discard("ReadMessages")
    entry = make_entry(sim)
    await setup_entry(hass, entry)
    coordinator = entry.runtime_data.coordinator
    await wait_for(hass, lambda: coordinator.connected)
    me = str(entry.data["extension_id"])
    unread = entity_id(hass, "sensor", f"{me}_unread_voicemails")
    message = entity_id(hass, "event", f"{me}_message")
    await wait_for(hass, lambda: hass.states.get(unread).state == STATE_UNAVAILABLE)
    assert hass.states.get(message).state == STATE_UNAVAILABLE
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"filters_refused_{entry.entry_id}")
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["permissions"] == "ReadMessages"

    status = entity_id(hass, "sensor", f"{me}_call_status")
    sim.state.calls.start("inbound_answered", me, step=True)
    sim.state.calls.step(sim.state.calls.running()[0])
    await wait_for(hass, lambda: hass.states.get(status).state == "ringing")
    assert entry.runtime_data.messages.diagnostics()["refused"] == [me]

    # With the permission back, the next subscription carries the filters: messages come back.
    sim.state.app.permissions.add("ReadMessages")
    sim.state.faults.fail_recoveries = 1
    sim.state.ws.drop_all()
    await wait_for(hass, lambda: hass.states.get(unread).state == "0")
    assert hass.states.get(message).state != STATE_UNAVAILABLE
    assert entry.runtime_data.messages.diagnostics()["refused"] == []
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_missing_read_messages_on_the_rest_read(hass: HomeAssistant, sim: Simulator) -> None:
    """The app loses ReadMessages after subscribing: the next read of the message store is refused,
    messages turn off with their own repair issue; once the permission is back, the read after the
    next resync brings them back and the issue goes."""
    entry, me = await _entry(hass, sim)
    watch = Messages(hass, me)
    issue_id = f"messages_permission_{entry.entry_id}"
    sim.state.app.permissions.discard("ReadMessages")
    ext = sim.state.account.extensions[me]
    sim.state.messages.leave_voicemail(ext, from_number="+13125550121", duration=7)
    await wait_for(hass, lambda: ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None)
    await wait_for(hass, lambda: watch.unread == STATE_UNAVAILABLE)
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders == {"title": entry.title, "permission": "ReadMessages"}
    assert hass.states.get(watch.event_entity).state == STATE_UNAVAILABLE
    # Meanwhile notifications still come (the subscription predates the loss): nothing is announced.
    sim.state.messages.receive_sms(ext, from_number="+13125550121", text="unseen")
    await hass.async_block_till_done()

    sim.state.app.permissions.add("ReadMessages")
    sim.state.faults.fail_recoveries = 1
    sim.state.ws.drop_all()
    await wait_for(hass, lambda: watch.unread == "1")
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    await _sms(hass, sim, watch, me, "barrier")
    # The voicemail was announced (its notification came), the SMS sent while messages were off not.
    assert [(e["type"], e["text"]) for e in watch.bus] == [("voicemail", None), ("sms", "barrier")]
    watch.stop()
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_every_extension_of_the_account(hass: HomeAssistant, sim: Simulator) -> None:
    """Monitoring the whole account: each extension has its own count and events."""
    entry, me = await _entry(hass, sim, monitor=MONITOR_ACCOUNT)
    other = next(ext_id for ext_id in sim.state.account.extensions if ext_id != me)
    mine, theirs = Messages(hass, me), Messages(hass, other)
    sim.state.messages.leave_voicemail(
        sim.state.account.extensions[other], from_number="+16175550110", duration=3, transcription="Hi"
    )
    await wait_for(hass, lambda: theirs.unread == "1" and len(theirs.bus) == 1)
    assert theirs.bus[0]["text"] == "Hi"
    assert mine.unread == "0"
    assert mine.bus == []
    mine.stop()
    theirs.stop()
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_a_failed_read_is_retried_later(hass: HomeAssistant, sim: Simulator) -> None:
    """The first read of the message store fails: the count stays unknown, and a minute later it is
    read again."""
    sim.state.faults.http.append(HttpFault(re.compile(r"/message-store$"), 400, method="GET"))
    entry = make_entry(sim)
    await setup_entry(hass, entry)
    me = str(entry.data["extension_id"])
    unread = entity_id(hass, "sensor", f"{me}_unread_voicemails")
    await wait_for(hass, lambda: _reads(sim) == 1)
    assert hass.states.get(unread).state == "unknown"
    # One jump of the clock (repeated jumps would also time out requests in flight).
    await wait_for(hass, lambda: entry.runtime_data.names.diagnostics()["directory_entries"] > 0)
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=READ_RETRY + 1))
    await wait_for(hass, lambda: hass.states.get(unread).state == "0")
    assert _reads(sim) == 2
    assert await hass.config_entries.async_unload(entry.entry_id)


def _reads(sim: Simulator) -> int:
    """Reads of message stores the simulator answered (or refused)."""
    return sum(
        1
        for entry in sim.state.log
        if entry.get("kind") == "request"
        and entry.get("method", "GET") == "GET"
        and str(entry.get("path", "")).endswith("/message-store")
    )


async def test_reads_are_paced(hass: HomeAssistant, socket_enabled: None) -> None:
    """Eight extensions: five reads at once, then one every few seconds, never a burst of eight."""
    async with Simulator(SimConfig(time_scale=TIME_SCALE, seed=2), extensions=8) as sim:
        entry = make_entry(sim, monitor=MONITOR_ACCOUNT)
        await setup_entry(hass, entry)
        messages = entry.runtime_data.messages
        extensions = list(entry.runtime_data.coordinator.extensions)
        assert len(extensions) == 8
        await wait_for(hass, lambda: _reads(sim) == READ_BURST)
        await hass.async_block_till_done()
        assert _reads(sim) == READ_BURST
        # Then one more read each time the clock passes another spacing.
        for reads in range(READ_BURST + 1, 9):
            async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=READ_SPACING * (reads - 5)))
            await wait_for(hass, lambda: _reads(sim) >= reads)  # noqa: B023
            await hass.async_block_till_done()
            assert _reads(sim) == reads
        await wait_for(hass, lambda: all(messages.unread_voicemails(ext_id) == 0 for ext_id in extensions))
        assert _reads(sim) == 8
        assert await hass.config_entries.async_unload(entry.entry_id)
        await sim.state.calls.close()
