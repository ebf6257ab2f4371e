"""`client.messages` against the simulator: phone numbers, sending SMS (argument checks before
anything is sent, RingCentral's refusals, no second send), the message store (unread voicemails of
any age, paging, read status, transcriptions), and actions that never queue behind the rate budget."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from custom_components.ringcentral.aioringcentral import api_messages
from custom_components.ringcentral.aioringcentral.errors import (
    ApiError,
    MissingPermissionsError,
    RateLimitedError,
    TemporarilyUnavailableError,
)
from custom_components.ringcentral.aioringcentral.models_messages import SmsResult
from rcsim import SimConfig, Simulator

from .conftest import ClientFactory, SimFactory, requests_in_log

Control = Callable[[Simulator, str, dict[str, Any]], Awaitable[Any]]
CALLER = "+14155550198"


def me(sim: Simulator) -> Any:
    return next(iter(sim.state.account.extensions.values()))


# ---- phone numbers -----------------------------------------------------------------------------------


async def test_phone_numbers_and_their_features(sim: Simulator, make_client: ClientFactory) -> None:
    client = make_client(sim)
    numbers = await client.messages.list_phone_numbers()
    assert [(n.number, n.usage_type, n.sms_sender) for n in numbers] == [
        (me(sim).phone_number, "DirectNumber", True),
        (sim.state.account.main_number, "MainCompanyNumber", False),
    ]
    assert numbers[0].features == ("CallerId", "SmsSender")
    other = list(sim.state.account.extensions.values())[1]
    assert [n.number for n in await client.messages.list_phone_numbers(other.id)] == [other.phone_number]


# ---- sending SMS -------------------------------------------------------------------------------------


async def test_send_sms(sim: Simulator, make_client: ClientFactory) -> None:
    client = make_client(sim)
    ext = me(sim)
    result = await client.messages.send_sms(
        "~", from_number=ext.phone_number, to=["(415) 555-0198", "+1 212 555 0176"], text="On my way"
    )
    assert isinstance(result, SmsResult)
    assert result.status == "Queued"
    [stored] = sim.state.messages.messages(ext.id)
    assert result.message_id == stored.id
    assert [a.phone_number for a in stored.to] == [CALLER, "+12125550176"]
    assert stored.subject == "On my way"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"to": []}, "to must be a non-empty list"),
        ({"to": CALLER}, "to must be a non-empty list"),
        ({"to": [CALLER] * 11}, "at most 10"),
        ({"to": ["102"]}, "to: not a phone number"),
        ({"to": ["call me"]}, "to: not a phone number"),
        ({"from_number": ""}, "from_number: not a phone number"),
        ({"text": ""}, "text must not be empty"),
        ({"text": "  \n"}, "text must not be empty"),
        ({"text": "x" * 1001}, "1001 characters long"),
        ({"ext": "1/2"}, "not a RingCentral id"),
    ],
)
async def test_send_sms_checks_its_arguments_before_sending(
    sim: Simulator, make_client: ClientFactory, kwargs: dict[str, Any], message: str
) -> None:
    client = make_client(sim)
    arguments: dict[str, Any] = {"from_number": me(sim).phone_number, "to": [CALLER], "text": "Hi", **kwargs}
    ext = arguments.pop("ext", "~")
    with pytest.raises(ValueError, match=message):
        await client.messages.send_sms(ext, **arguments)
    assert requests_in_log(sim) == []  # not even a login


async def test_a_number_without_sms_is_refused(sim: Simulator, make_client: ClientFactory) -> None:
    client = make_client(sim)
    with pytest.raises(ApiError) as caught:
        await client.messages.send_sms("~", from_number=sim.state.account.main_number, to=[CALLER], text="Hi")
    assert (caught.value.status, caught.value.error_code) == (403, "MSG-367")
    assert not isinstance(caught.value, MissingPermissionsError)


async def test_a_number_of_someone_else_is_refused_without_echoing_it(
    sim: Simulator, make_client: ClientFactory
) -> None:
    client = make_client(sim)
    with pytest.raises(ApiError) as caught:
        await client.messages.send_sms("~", from_number="+16505559999", to=[CALLER], text="Hi")
    assert (caught.value.status, caught.value.error_code) == (400, "MSG-245")
    assert "6505559999" not in str(caught.value)
    assert "[number]" in str(caught.value)


async def test_sms_without_the_permission(sim: Simulator, make_client: ClientFactory) -> None:
    sim.state.app.permissions.discard("SMS")
    client = make_client(sim)
    with pytest.raises(MissingPermissionsError) as caught:
        await client.messages.send_sms("~", from_number=me(sim).phone_number, to=[CALLER], text="Hi")
    assert caught.value.permissions == ("SMS",)


async def test_sms_is_never_sent_twice(sim: Simulator, make_client: ClientFactory, control: Control) -> None:
    """A 503 (or a timeout) might hide a message that went out: it is reported, not retried."""
    client = make_client(sim)
    await client.login()
    await control(sim, "faults", {"type": "http", "path": "/sms$", "status": 503, "count": 1})
    with pytest.raises(TemporarilyUnavailableError):
        await client.messages.send_sms("~", from_number=me(sim).phone_number, to=[CALLER], text="Hi")
    assert len(requests_in_log(sim, path_contains="/sms")) == 1


async def test_an_action_raises_at_once_when_its_group_is_throttled(
    make_sim: SimFactory, make_client: ClientFactory, control: Control
) -> None:
    sim = await make_sim(SimConfig(time_scale=1.0))
    client = make_client(sim)
    ext = me(sim)
    await client.login()
    await control(
        sim, "faults", {"type": "http", "path": "/sms$", "status": 429, "count": 1, "retry_after": 45}
    )
    with pytest.raises(RateLimitedError) as caught:
        await client.messages.send_sms("~", from_number=ext.phone_number, to=[CALLER], text="Hi")
    assert caught.value.group == "Medium"
    assert 40 <= caught.value.retry_after <= 45
    # The penalty is remembered: the next action is refused without a request.
    with pytest.raises(RateLimitedError):
        await client.messages.set_read_status("~", "123", read=True)
    assert len(requests_in_log(sim, path_contains="/sms")) == 1
    assert requests_in_log(sim, path_contains="/message-store") == []
    # Reads (and actions allowed to wait) still go in other groups.
    assert await client.messages.list_messages() == []


# ---- message store -----------------------------------------------------------------------------------


async def test_unread_voicemails_of_any_age(sim: Simulator, make_client: ClientFactory) -> None:
    ext = me(sim)
    store = sim.state.messages
    old = store.leave_voicemail(ext, from_number=CALLER, from_name="Jane Cooper", duration=12)
    sim.state.clock.advance(3 * 24 * 3600)  # RingCentral would leave it out by default
    read = store.leave_voicemail(ext, from_number=CALLER, duration=3)
    store.set_read_status(read, "Read")
    recent = store.leave_voicemail(ext, from_number="+12125550176", duration=5, transcription="Parcel")
    store.receive_sms(ext, from_number=CALLER, text="not a voicemail")
    client = make_client(sim)

    unread = await client.messages.list_messages()

    assert [m.id for m in unread] == [recent.id, old.id]
    assert all(m.is_voicemail and m.unread and m.inbound for m in unread)
    first = unread[1]
    assert (first.from_number, first.from_name, first.duration, first.text) == (
        CALLER,
        "Jane Cooper",
        12,
        None,
    )
    assert first.creation_time is not None
    assert unread[0].transcription_status == "Completed"
    assert await client.messages.get_transcription("~", unread[0]) == "Parcel"
    assert await client.messages.get_transcription("~", unread[1]) is None


async def test_list_messages_filters_and_pages(
    sim: Simulator, make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api_messages, "_PER_PAGE", 2)
    ext = me(sim)
    made = [sim.state.messages.receive_sms(ext, from_number=CALLER, text=str(i)) for i in range(5)]
    client = make_client(sim)
    texts = await client.messages.list_messages(message_type="SMS", read_status=None)
    assert [m.text for m in texts] == ["4", "3", "2", "1", "0"]
    assert [m.to_numbers for m in texts] == [(ext.phone_number,)] * 5
    assert len(requests_in_log(sim, path_contains="/message-store")) == 3
    since = datetime.now(UTC) + timedelta(days=1)
    assert await client.messages.list_messages(message_type=None, read_status=None, date_from=since) == []
    assert made


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"message_type": "Carrier pigeon"}, "message_type must be one of"),
        ({"read_status": "Skimmed"}, "read_status must be one of"),
        ({"date_from": datetime(2026, 1, 1)}, "timezone-aware"),  # naive: the point of the test
    ],
)
async def test_list_messages_checks_its_arguments(
    sim: Simulator, make_client: ClientFactory, kwargs: dict[str, Any], message: str
) -> None:
    client = make_client(sim)
    with pytest.raises(ValueError, match=message):
        await client.messages.list_messages(**kwargs)


async def test_read_status_and_single_messages(sim: Simulator, make_client: ClientFactory) -> None:
    ext = me(sim)
    stored = sim.state.messages.leave_voicemail(ext, from_number=CALLER, duration=4)
    client = make_client(sim)
    marked = await client.messages.set_read_status("~", stored.id, read=True)
    assert (marked.id, marked.read_status, stored.read_status) == (stored.id, "Read", "Read")
    again = await client.messages.get_message(ext.id, stored.id)
    assert not again.unread
    with pytest.raises(TypeError):
        await client.messages.set_read_status("~", stored.id, read="yes")  # type: ignore[arg-type]
    with pytest.raises(ApiError) as caught:
        await client.messages.get_message("~", "404")
    assert caught.value.status == 404


async def test_reading_messages_needs_read_messages(sim: Simulator, make_client: ClientFactory) -> None:
    sim.state.app.permissions.discard("ReadMessages")
    client = make_client(sim)
    with pytest.raises(MissingPermissionsError) as caught:
        await client.messages.list_messages()
    assert caught.value.permissions == ("ReadMessages",)


async def test_another_users_mailbox(sim: Simulator, make_client: ClientFactory) -> None:
    admin, user = list(sim.state.account.extensions)[:2]
    client = make_client(sim, extension_id=user)
    with pytest.raises(MissingPermissionsError) as caught:
        await client.messages.list_messages(admin)
    assert caught.value.permissions == ("ReadMessages",)
