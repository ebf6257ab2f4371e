"""Parsers of notifications, presence, telephony sessions and REST info, against official samples."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from custom_components.ringcentral.aioringcentral import models
from custom_components.ringcentral.aioringcentral.errors import ParseError, RingCentralError
from custom_components.ringcentral.aioringcentral.filters import FilterKind
from custom_components.ringcentral.aioringcentral.models import (
    AccountInfo,
    ExtensionInfo,
    SubscriptionInfo,
    parse_notification,
    parse_presence,
    parse_telephony_session,
)

FIXTURES = Path(__file__).parent / "fixtures"


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def test_detailed_presence_with_sip_sample() -> None:
    note = parse_notification(load("detailed-extension-presence-with-sip.json"))
    assert note.kind == FilterKind.PRESENCE
    assert note.uuid == "4956997212540532738"
    assert note.subscription_id == "dfbca25e-4e2b-4c60-aa8d-47a83716fe23"
    assert note.owner_id == "297277020"
    assert note.timestamp == datetime(2019, 7, 9, 16, 17, 38, 286000, tzinfo=UTC)
    presence = note.presence()
    assert presence.extension_id == "297277020"
    assert presence.telephony_status == "OnHold"
    assert presence.sequence == 2013
    assert presence.detailed is True
    assert presence.total_active_calls == 2
    assert (presence.presence_status, presence.user_status) == ("Busy", "Available")
    assert (presence.dnd_status, presence.meeting_status) == ("TakeAllCalls", "Disconnected")
    held, ringing = presence.active_calls
    assert held.direction == "Outbound"
    assert held.queue_call is True
    assert (held.from_number, held.from_name, held.to_number, held.to_name) == (
        "+16508370072",
        "Charlie Williams",
        "4591",
        "Alice Smith",
    )
    assert held.telephony_session_id == "s-9cdb248614c94aa7ba68135f6c07b808"
    assert held.party_id == "p-9cdb248614c94aa7ba68135f6c07b808-1"
    assert held.start_time == datetime(2019, 7, 9, 16, 17, 27, 975000, tzinfo=UTC)
    assert held.sip_data is not None
    assert held.sip_data.to_tag == "7lcee2ho88"
    assert ringing.telephony_status == "Ringing"
    assert ringing.queue_call is False
    assert ringing.intermediate is False


def test_detailed_presence_sample_without_sip() -> None:
    presence = parse_notification(load("detailed-extension-presence.json")).presence()
    assert presence.extension_id == "6610372004"
    assert presence.sequence == 2698
    first, second = presence.active_calls
    assert first.sip_data is None
    assert first.to_name is None
    assert second.telephony_status == "NoCall"
    assert second.session_id == "17133804005"


def test_seed_presence_numeric_extension_id_becomes_str() -> None:
    presence = parse_notification(load("seed-presence-ringing.json")).presence()
    assert presence.extension_id == "400144455008"
    assert presence.sequence == 34470
    (call,) = presence.active_calls
    assert call.telephony_status == "Ringing"
    assert call.queue_call is False
    assert call.termination_type is None


@pytest.mark.parametrize("name", ["extension-telephony-sessions.json", "account-telephony-sessions.json"])
def test_telephony_session_samples_unwrap_pn_apns(name: str) -> None:
    note = parse_notification(load(name))
    assert note.kind == FilterKind.TELEPHONY_SESSIONS
    assert note.event.endswith("/telephony/sessions")
    event = note.telephony_session()
    assert event.sequence == 5
    assert event.telephony_session_id == "Y3MxNzE4NDE5MDM0MzQwMTgzODRAMTAuNjIuMjUuMTEx"
    assert event.session_id == "402936341008"
    assert event.server_id == "10.62.25.111.TAM"
    assert event.origin_type == "Call"
    assert event.account_id == "400144452008"
    assert event.extension_id == "400144455008"
    assert event.event_time == datetime(2018, 6, 5, 0, 14, 50, 147000, tzinfo=UTC)
    (party,) = event.parties
    assert party.id == "cs171841903434018384-2"
    assert party.extension_id == "400144455008"
    assert party.direction == "Inbound"
    assert party.from_ == models.PartyEndpoint("103", "TheCat Jerry", "400144457008")
    assert party.to == models.PartyEndpoint("102", "Tom Sawyer", "400144455008")
    assert party.status is not None
    assert party.status.is_("proceeding")
    assert (party.missed_call, party.stand_alone, party.muted) == (False, False, False)
    assert event.party("cs171841903434018384-2") is party
    assert event.party("nope") is None


def test_queue_call_flag_on_party() -> None:
    assert (
        parse_notification(load("extension-telephony-sessions.json"))
        .telephony_session()
        .parties[0]
        .queue_call
    )
    assert (
        parse_notification(load("account-telephony-sessions.json")).telephony_session().parties[0].queue_call
        is None
    )


def test_rest_presence_body_uses_extension_object() -> None:
    body = {
        "uri": "https://platform/restapi/v1.0/account/1/extension/42/presence",
        "extension": {"id": 42, "extensionNumber": "101"},
        "telephonyStatus": "NoCall",
        "presenceStatus": "Available",
        "userStatus": "Available",
        "dndStatus": "TakeAllCalls",
        "activeCalls": [],
    }
    presence = parse_presence(body)
    assert presence.extension_id == "42"
    assert presence.sequence is None
    assert presence.active_calls == ()
    assert presence.detailed is True


def test_presence_without_active_calls_is_not_detailed_unless_told() -> None:
    body = {"extensionId": "7", "telephonyStatus": "Ringing", "sequence": "12"}
    assert parse_presence(body).detailed is False
    assert parse_presence(body).sequence == 12
    assert parse_presence(body, detailed=True).detailed is True


def test_presence_extension_id_from_event_path() -> None:
    raw = {
        "uuid": "u",
        "event": "/restapi/v1.0/account/1/extension/99/presence?detailedTelephonyState=true",
        "body": {"telephonyStatus": "NoCall", "sequence": 3},
    }
    presence = parse_notification(raw).presence()
    assert presence.extension_id == "99"
    assert presence.detailed is True


def test_rest_call_session_object() -> None:
    body = {
        "id": "s-abc",
        "origin": {"type": "Call"},
        "creationTime": "2024-05-01T10:00:00.000Z",
        "parties": [
            {
                "id": "p-1",
                "direction": "Outbound",
                "status": {"code": "Gone", "peerId": {"telephonySessionId": "s-x", "partyId": "p-9"}},
                "owner": {"extensionId": 12, "accountId": "1"},
                "park": {"id": "801"},
                "from": {"phoneNumber": "+15550001"},
                "to": {},
            }
        ],
    }
    session = parse_telephony_session(body)
    assert session.telephony_session_id == "s-abc"
    assert session.sequence is None
    assert session.event_time == datetime(2024, 5, 1, 10, tzinfo=UTC)
    (party,) = session.parties
    assert party.extension_id == "12"
    assert party.account_id == "1"
    assert party.status == models.PartyStatus(
        code="Gone", peer_telephony_session_id="s-x", peer_party_id="p-9", park_id="801"
    )
    assert party.to == models.PartyEndpoint(None, None, None)
    assert party.missed_call is None


@pytest.mark.parametrize(
    ("value", "candidates", "expected"),
    [
        ("VoiceMail", ("Voicemail",), True),
        ("voice_mail", ("VoiceMail",), True),
        ("OnHold", ("Hold",), False),
        ("Hold", ("Answered", "hold"), True),
        (None, ("NoCall",), False),
        ("", ("",), False),
    ],
)
def test_status_is(value: str | None, candidates: tuple[str, ...], expected: bool) -> None:
    assert models.status_is(value, *candidates) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2020-09-07T21:50:02.737+0000", datetime(2020, 9, 7, 21, 50, 2, 737000, tzinfo=UTC)),
        ("2020-01-15T12:00:01Z", datetime(2020, 1, 15, 12, 0, 1, tzinfo=UTC)),
        ("2020-01-15T12:00:01", datetime(2020, 1, 15, 12, 0, 1, tzinfo=UTC)),
        ("2020-01-15T14:00:01+02:00", datetime(2020, 1, 15, 12, 0, 1, tzinfo=UTC)),
        (1579089601000, datetime(2020, 1, 15, 12, 0, 1, tzinfo=UTC)),
        ("1579089601000", datetime(2020, 1, 15, 12, 0, 1, tzinfo=UTC)),
        (None, None),
        ("", None),
    ],
)
def test_parse_time(value: Any, expected: datetime | None) -> None:
    assert models.parse_time(value) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (None, "notification: expected a JSON object"),
        ([], "notification: expected a JSON object"),
        ({"body": {}}, "notification.event: required but missing"),
        ({"event": "/x", "body": []}, "notification.body: expected a JSON object"),
        ({"event": 5.5, "body": {}}, "notification.event: expected a string"),
        ({"event": "/x"}, "notification.body: expected a JSON object, got NoneType"),
    ],
)
def test_malformed_notification(raw: Any, message: str) -> None:
    with pytest.raises(ParseError, match=message.replace(".", r"\.")):
        parse_notification(raw)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"telephonyStatus": "NoCall"}, "extensionId missing"),
        ({"extensionId": "1", "activeCalls": {}}, "presence.activeCalls: expected a list"),
        ({"extensionId": "1", "activeCalls": [5]}, r"presence.activeCalls\[0\]: expected a JSON object"),
        ({"extensionId": "1", "sequence": "abc"}, "presence.sequence: expected an integer"),
        ({"extensionId": "1", "sequence": True}, "presence.sequence: expected an integer"),
        # Regressions: these passed `isdigit()` and then crashed `int()` with a ValueError.
        ({"extensionId": "1", "sequence": "--5"}, "presence.sequence: expected an integer"),
        ({"extensionId": "1", "sequence": "\u00b2"}, "presence.sequence: expected an integer"),
        (
            {"extensionId": "1", "activeCalls": [{"startTime": "\u00b2"}]},
            "startTime: not an ISO 8601 timestamp",
        ),
        ({"extensionId": ["1"]}, "presence.extensionId: expected a string"),
        (
            {"extensionId": "1", "activeCalls": [{"startTime": "yesterday"}]},
            "startTime: not an ISO 8601 timestamp",
        ),
        ({"extensionId": "1", "activeCalls": [{"queueCall": "maybe"}]}, "queueCall: expected a boolean"),
        ({"extensionId": "1", "activeCalls": [{"sipData": "x"}]}, "sipData: expected a JSON object"),
        # Every field read together still names the bad one.
        (
            {"extensionId": "1", "activeCalls": [{"toName": 1.5}]},
            r"activeCalls\[0\].toName: expected a string",
        ),
        ({"extensionId": "1", "userStatus": True}, "presence.userStatus: expected a string"),
        (
            {"extensionId": "1", "activeCalls": [{"sipData": {"callId": []}}]},
            "sipData.callId: expected a string",
        ),
    ],
)
def test_malformed_presence(body: Any, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_presence(body)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"parties": []}, "telephonySessionId missing"),
        ({"telephonySessionId": "s", "parties": [{}]}, r"parties\[0\].id: required but missing"),
        ({"telephonySessionId": "s", "parties": [{"id": "p", "status": {}}]}, "status.code: required"),
        ({"telephonySessionId": "s", "parties": [{"id": "p", "from": "x"}]}, "from: expected a JSON object"),
        ({"telephonySessionId": "s", "origin": []}, "origin: expected a JSON object"),
        ({"telephonySessionId": "s", "eventTime": {}}, "eventTime: expected a timestamp string"),
        ({"telephonySessionId": "s", "parties": [{"id": "p", "missedCall": 3}]}, "missedCall"),
    ],
)
def test_malformed_telephony_session(body: Any, message: str) -> None:
    with pytest.raises(ParseError, match=message) as info:
        parse_telephony_session(body)
    assert isinstance(info.value, RingCentralError)


class _Text(str):
    """A str subclass, as some JSON decoders produce."""


def test_fields_accept_numbers_str_subclasses_and_any_mapping() -> None:
    """The fast path for plain strings keeps the tolerant one for everything else."""
    body = MappingProxyType(
        {
            "telephonySessionId": _Text("s"),
            "sessionId": 42,
            "parties": [
                {
                    "id": "p",
                    "extensionId": 101,
                    "direction": _Text("Inbound"),
                    "status": MappingProxyType({"code": "Answered", "reason": _Text("Why")}),
                    "from": {"phoneNumber": 5550001, "name": None},
                }
            ],
        }
    )
    session = parse_telephony_session(body)
    party = session.parties[0]
    assert (session.telephony_session_id, session.session_id) == ("s", "42")
    assert (party.extension_id, party.direction) == ("101", "Inbound")
    assert party.status is not None
    assert party.status.reason == "Why"
    assert party.from_ is not None
    assert (party.from_.phone_number, party.from_.name) == ("5550001", None)
    assert type(party.direction) is str


def test_unknown_values_kept_verbatim() -> None:
    session = parse_telephony_session(
        {
            "telephonySessionId": "s",
            "origin": {"type": "Hologram"},
            "parties": [
                {"id": "p", "direction": "Sideways", "status": {"code": "Teleported", "reason": "Why"}}
            ],
        }
    )
    party = session.parties[0]
    assert session.origin_type == "Hologram"
    assert party.direction == "Sideways"
    assert party.status is not None
    assert (party.status.code, party.status.reason) == ("Teleported", "Why")


def test_unknown_event_kind() -> None:
    note = parse_notification({"event": "/restapi/v1.0/account/~/extension/~/missed-calls", "body": {}})
    assert note.kind == FilterKind.UNKNOWN


def test_subscription_info() -> None:
    info = SubscriptionInfo.from_dict(
        {
            "id": "sub-1",
            "eventFilters": ["/restapi/v1.0/account/1/extension/2/presence?detailedTelephonyState=true"],
            "disabledFilters": [
                {
                    "filter": "/restapi/v1.0/account/~/telephony/sessions",
                    "reason": "Permission",
                    "message": "CallControl required",
                }
            ],
            "expiresIn": 899,
            "expirationTime": "2024-05-01T10:15:00.000Z",
            "status": "Active",
            "deliveryMode": {"transportType": "WebSocket"},
        }
    )
    assert info.id == "sub-1"
    assert info.event_filters == ("/restapi/v1.0/account/1/extension/2/presence?detailedTelephonyState=true",)
    assert info.disabled_filters == (
        models.DisabledFilter(
            "/restapi/v1.0/account/~/telephony/sessions", "Permission", "CallControl required"
        ),
    )
    assert info.expires_in == 899
    assert info.expiration_time == datetime(2024, 5, 1, 10, 15, tzinfo=UTC)
    assert info.transport_type == "WebSocket"
    assert info.blacklisted is False
    assert info.blacklisted_reason is None


def test_blacklisted_subscription() -> None:
    info = SubscriptionInfo.from_dict(
        {
            "id": 7,
            "status": "Blacklisted",
            "blacklistedData": {"reason": "Webhook failed", "blacklistedAt": "2024-05-01T10:15:00Z"},
            "deliveryMode": {"transportType": "WebHook", "address": "https://example.com/hook"},
        }
    )
    assert info.id == "7"
    assert info.blacklisted is True
    assert info.blacklisted_reason == "Webhook failed"
    assert info.event_filters == ()


def test_subscription_info_rejects_bad_filters() -> None:
    with pytest.raises(ParseError, match=r"eventFilters\[0\]: expected a string"):
        SubscriptionInfo.from_dict({"id": "s", "eventFilters": [1]})
    with pytest.raises(ParseError, match=r"subscription\.id: required"):
        SubscriptionInfo.from_dict({"eventFilters": []})


def test_account_info() -> None:
    info = AccountInfo.from_dict({"id": 400144452008, "mainNumber": "+16505550100", "status": "Confirmed"})
    assert info == AccountInfo("400144452008", "+16505550100", None, "Confirmed")
    assert AccountInfo.from_dict({"id": "1", "name": "Acme"}).name == "Acme"


def test_extension_info() -> None:
    info = ExtensionInfo.from_dict(
        {
            "id": 400144455008,
            "extensionNumber": "101",
            "contact": {"firstName": "Alice", "lastName": "Johnson"},
            "type": "User",
            "status": "Enabled",
            "account": {"id": "400144452008"},
            "permissions": {"admin": {"enabled": True}, "internationalCalling": {"enabled": False}},
        }
    )
    assert info.id == "400144455008"
    assert info.name == "Alice Johnson"
    assert info.is_admin is True
    assert info.permissions == ("admin",)
    assert info.account_id == "400144452008"
    plain = ExtensionInfo.from_dict({"id": "5", "name": "Queue", "type": "Department"})
    assert (plain.name, plain.is_admin, plain.permissions, plain.extension_number) == (
        "Queue",
        False,
        (),
        None,
    )
    with pytest.raises(ParseError, match=r"extension\.permissions: expected a JSON object"):
        ExtensionInfo.from_dict({"id": "5", "permissions": []})


def test_models_are_frozen() -> None:
    presence = parse_presence({"extensionId": "1"})
    with pytest.raises(AttributeError):
        presence.sequence = 3  # type: ignore[misc]
