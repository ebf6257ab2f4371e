"""Messages and names end to end, without Home Assistant: one WebSocket subscription carries the
message and directory filters, notifications are parsed and fed to `MessageTracker` and
`DirectoryCache`, and the REST reads they ask for go to the simulator. Replayed notifications change
nothing; a missing permission disables only its filters."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from custom_components.ringcentral.aioringcentral import filters
from custom_components.ringcentral.aioringcentral.directory import DirectoryCache
from custom_components.ringcentral.aioringcentral.filters import FilterKind
from custom_components.ringcentral.aioringcentral.messages import MessageTracker, MessageUpdate, NewMessage
from custom_components.ringcentral.aioringcentral.models import parse_notification
from custom_components.ringcentral.aioringcentral.models_messages import (
    parse_message,
    parse_message_store_event,
)
from custom_components.ringcentral.aioringcentral.models_names import parse_directory_event
from custom_components.ringcentral.aioringcentral.rest import RingCentralClient
from rcsim import SimConfig, Simulator
from tests.waiting import wait_for

from .conftest import ClientFactory, Recorder, SimFactory, TransportRunner, ready

CALLER = "+14155550198"
FILTERS = [
    filters.extension_message_store(),
    filters.extension_voicemail(),
    filters.extension_instant_sms(),
    filters.account_directory(),
]


class Glue:
    """What the HA glue does with these units, reduced to the library calls."""

    def __init__(self, client: RingCentralClient, extension_id: str) -> None:
        self.client = client
        self.tracker = MessageTracker(extension_id)
        self.cache = DirectoryCache()
        self.announced: list[NewMessage] = []
        self.handled = 0

    async def reread(self) -> None:
        while self.tracker.reread_needed:
            token = self.tracker.begin_reread(self.client.clock())
            self.tracker.apply_reread(token, await self.client.messages.list_messages())

    async def refresh_names(self) -> None:
        now = self.client.clock()
        if self.cache.refresh_due(now):
            self.cache.begin_refresh(now)
            self.cache.replace_directory(await self.client.directory.list_directory_entries(), now)
            self.cache.replace_contacts(await self.client.directory.list_contacts())

    async def handle(self, raw: dict[str, Any]) -> None:
        notification = parse_notification(raw)
        update = MessageUpdate()
        if notification.kind == FilterKind.VOICEMAIL:
            update = self.tracker.apply_voicemail(parse_message(notification.body))
        elif notification.kind == FilterKind.INSTANT_MESSAGE:
            update = self.tracker.apply_sms(parse_message(notification.body))
        elif notification.kind == FilterKind.MESSAGE_STORE:
            update = self.tracker.apply_message_store(
                parse_message_store_event(
                    notification.body, extension_id=filters.extension_id_of(notification.event)
                )
            )
        elif notification.kind == FilterKind.DIRECTORY:
            self.cache.apply(parse_directory_event(notification.body))
        self.announced += update.messages
        if update.reread:
            await self.reread()
        self.handled += 1

    async def catch_up(self, recorder: Recorder) -> None:
        """Handle what arrived since; each twice, as a replay RingCentral sent with a new `uuid`
        would be (the transport drops repeated uuids itself)."""
        for raw in recorder.notifications[self.handled :]:
            await self.handle(raw)
            await self.handle({**raw, "uuid": f"replay-{raw['uuid']}"})
            self.handled -= 1


@pytest.fixture
async def sim(make_sim: SimFactory) -> Simulator:
    return await make_sim(SimConfig(time_scale=20.0), extensions=3)


async def test_voicemail_sms_read_on_the_phone_and_names(
    sim: Simulator, make_client: ClientFactory, run_transport: TransportRunner, session: aiohttp.ClientSession
) -> None:
    async def post(sim: Simulator, path: str, body: dict[str, Any]) -> Any:
        async with session.post(f"{sim.url}/sim/{path}", json=body) as response:
            assert response.status in (200, 201), await response.text()
            return await response.json()

    me = next(iter(sim.state.account.extensions.values()))
    client = make_client(sim)
    recorder = Recorder()
    transport = run_transport(client, FILTERS, recorder)
    await ready(transport, recorder)
    assert transport.disabled_filters == ()
    glue = Glue(client, me.id)
    await glue.reread()
    await glue.refresh_names()
    assert glue.tracker.unread_voicemails == 0

    run_id = sim.state.calls.start("inbound_voicemail", me.id, step=True)
    while sim.state.calls.step(run_id):
        pass
    await post(sim, "sms", {"to_extension": me.id, "from": CALLER, "text": "Running late"})
    await wait_for(lambda: len(recorder.notifications) >= 4)  # voicemail, store, sms, store
    await glue.catch_up(recorder)

    assert [(n.kind, n.message.from_number) for n in glue.announced] == [
        ("voicemail", glue.announced[0].message.from_number),
        ("sms", CALLER),
    ]
    voicemail = glue.announced[0].message
    assert voicemail.duration is not None
    assert voicemail.duration > 0
    assert await client.messages.get_transcription("~", voicemail)
    assert glue.announced[1].message.text == "Running late"
    assert glue.tracker.unread_voicemails == 1

    seen = len(recorder.notifications)
    await post(sim, f"messages/{voicemail.id}/read", {})
    await post(
        sim, "directory", {"first_name": "Robert", "last_name": "Fox", "phone_numbers": ["+13125550121"]}
    )
    await wait_for(lambda: len(recorder.notifications) >= seen + 2)  # a store change, a directory change
    await glue.catch_up(recorder)
    assert glue.tracker.unread_voicemails == 0
    assert len(glue.announced) == 2
    assert glue.cache.lookup("(312) 555-0121") == "Robert Fox"
    assert glue.cache.lookup(me.phone_number) == me.name


async def test_without_read_messages_only_the_message_filters_are_disabled(
    sim: Simulator, make_client: ClientFactory, run_transport: TransportRunner
) -> None:
    sim.state.app.permissions.discard("ReadMessages")
    recorder = Recorder()
    transport = run_transport(make_client(sim), [filters.extension_presence(), *FILTERS], recorder)
    await ready(transport, recorder)
    refused = {filters.classify(d.filter) for d in transport.disabled_filters}
    assert refused == {FilterKind.MESSAGE_STORE, FilterKind.VOICEMAIL, FilterKind.INSTANT_MESSAGE}
    assert {filters.required_permissions(d.filter) for d in transport.disabled_filters} == {("ReadMessages",)}
    assert transport.subscription is not None
    assert {filters.classify(f) for f in transport.subscription.event_filters} == {
        FilterKind.PRESENCE,
        FilterKind.DIRECTORY,
    }
