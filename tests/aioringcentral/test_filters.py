"""Event-filter builders and classification of notification event paths."""

from __future__ import annotations

import pytest

from custom_components.ringcentral.aioringcentral import filters
from custom_components.ringcentral.aioringcentral.filters import FilterKind


def test_builders() -> None:
    assert (
        filters.extension_presence()
        == "/restapi/v1.0/account/~/extension/~/presence?detailedTelephonyState=true&sipData=true"
    )
    assert (
        filters.extension_presence("42")
        == "/restapi/v1.0/account/~/extension/42/presence?detailedTelephonyState=true&sipData=true"
    )
    assert filters.extension_telephony_sessions() == "/restapi/v1.0/account/~/extension/~/telephony/sessions"
    assert (
        filters.extension_telephony_sessions("42")
        == "/restapi/v1.0/account/~/extension/42/telephony/sessions"
    )
    assert filters.account_presence() == "/restapi/v1.0/account/~/presence?detailedTelephonyState=true"
    assert filters.account_telephony_sessions() == "/restapi/v1.0/account/~/telephony/sessions"


@pytest.mark.parametrize("bad", ["", "1/2", "42?sipData=false", "4 2", "../x", 42])
def test_builders_refuse_what_is_not_an_extension_id(bad: object) -> None:
    """Regression: any string was pasted into the path, silently making another filter."""
    with pytest.raises(ValueError, match="not an extension id"):
        filters.extension_presence(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not an extension id"):
        filters.extension_telephony_sessions(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        (filters.extension_presence(), FilterKind.PRESENCE),
        (filters.extension_telephony_sessions(), FilterKind.TELEPHONY_SESSIONS),
        (filters.account_presence(), FilterKind.ACCOUNT_PRESENCE),
        (filters.account_telephony_sessions(), FilterKind.TELEPHONY_SESSIONS),
        (
            "/restapi/v1.0/account/37439510/extension/297277020/presence?sipData=true&detailedTelephonyState=true",
            FilterKind.PRESENCE,
        ),
        ("/restapi/v1.0/account/37439510/extension/297277020/presence/", FilterKind.PRESENCE),
        (
            "/restapi/v1.0/account/400144452008/extension/400144455008/telephony/sessions",
            FilterKind.TELEPHONY_SESSIONS,
        ),
        ("/restapi/v1.0/account/400144452008/telephony/sessions/", FilterKind.TELEPHONY_SESSIONS),
        (
            "/restapi/v1.0/account/400144452008/presence?detailedTelephonyState=true&page=1",
            FilterKind.ACCOUNT_PRESENCE,
        ),
        ("https://platform.ringcentral.com/restapi/v1.0/account/1/Presence", FilterKind.ACCOUNT_PRESENCE),
        ("/restapi/v1.0/account/~/extension/~/message-store", FilterKind.MESSAGE_STORE),
        ("/restapi/v1.0/account/~/extension/~/missed-calls", FilterKind.UNKNOWN),
        ("/restapi/v1.0/account/~/extension/~/presence/line", FilterKind.UNKNOWN),
        ("/restapi/v1.0/subscription", FilterKind.UNKNOWN),
        ("", FilterKind.UNKNOWN),
        ("not a path at all", FilterKind.UNKNOWN),
    ],
)
def test_classify(path: str, kind: FilterKind) -> None:
    assert filters.classify(path) == kind


def test_kind_is_a_plain_string() -> None:
    assert filters.classify(filters.account_presence()) == "account_presence"


@pytest.mark.parametrize(
    ("path", "extension_id"),
    [
        ("/restapi/v1.0/account/1/extension/297277020/presence?detailedTelephonyState=true", "297277020"),
        ("/restapi/v1.0/account/1/extension/55/telephony/sessions", "55"),
        (filters.extension_presence(), None),
        (filters.account_presence(), None),
        ("/restapi/v1.0/account/1/extension/55/message-store", "55"),
        ("/restapi/v1.0/account/1/extension/55/missed-calls", None),
    ],
)
def test_extension_id_of(path: str, extension_id: str | None) -> None:
    assert filters.extension_id_of(path) == extension_id


@pytest.mark.parametrize(
    ("path", "detailed"),
    [
        (filters.extension_presence(), True),
        (filters.account_presence(), True),
        ("/restapi/v1.0/account/~/extension/~/presence", False),
        ("/restapi/v1.0/account/~/extension/~/presence?detailedTelephonyState=false", False),
        ("/restapi/v1.0/account/~/extension/~/presence?sipData=true&DetailedTelephonyState=TRUE", True),
    ],
)
def test_is_detailed(path: str, detailed: bool) -> None:
    assert filters.is_detailed(path) is detailed
