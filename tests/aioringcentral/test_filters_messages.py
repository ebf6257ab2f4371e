"""Filters for messages and names: builders, classification (as RingCentral echoes them back) and the
permission each needs."""

from __future__ import annotations

import pytest

from custom_components.ringcentral.aioringcentral import filters
from custom_components.ringcentral.aioringcentral.filters import FilterKind


def test_builders() -> None:
    assert filters.extension_message_store() == "/restapi/v1.0/account/~/extension/~/message-store"
    assert filters.extension_voicemail("42") == "/restapi/v1.0/account/~/extension/42/voicemail"
    assert (
        filters.extension_instant_sms()
        == "/restapi/v1.0/account/~/extension/~/message-store/instant?type=SMS"
    )
    assert filters.account_directory() == "/restapi/v1.0/account/~/directory/entries"


@pytest.mark.parametrize(
    "builder", [filters.extension_message_store, filters.extension_voicemail, filters.extension_instant_sms]
)
def test_builders_refuse_what_is_not_an_extension_id(builder: object) -> None:
    with pytest.raises(ValueError, match="not an extension id"):
        builder("1/2")  # type: ignore[operator]


@pytest.mark.parametrize(
    ("path", "kind", "extension_id"),
    [
        (filters.extension_message_store(), FilterKind.MESSAGE_STORE, None),
        (filters.extension_voicemail(), FilterKind.VOICEMAIL, None),
        (filters.extension_instant_sms(), FilterKind.INSTANT_MESSAGE, None),
        (filters.account_directory(), FilterKind.DIRECTORY, None),
        (
            "/restapi/v1.0/account/823476228762/extension/823476228762/voicemail",
            FilterKind.VOICEMAIL,
            "823476228762",
        ),
        (
            "/restapi/v1.0/account/~/extension/823476228762/message-store/instant?type=SMS",
            FilterKind.INSTANT_MESSAGE,
            "823476228762",
        ),
        ("/restapi/v1.0/account/1/extension/55/message-store?type=Voicemail", FilterKind.MESSAGE_STORE, "55"),
        ("/restapi/v1.0/account/1/extension/55/Message-Store/", FilterKind.MESSAGE_STORE, "55"),
        ("/restapi/v1.0/account/400386146004/directory/entries", FilterKind.DIRECTORY, None),
        ("/restapi/v1.0/account/1/extension/55/directory/entries", FilterKind.UNKNOWN, None),
        ("/restapi/v1.0/account/1/voicemail", FilterKind.UNKNOWN, None),
        ("/restapi/v1.0/account/1/extension/55/message-store/instant/x", FilterKind.UNKNOWN, None),
    ],
)
def test_classify(path: str, kind: FilterKind, extension_id: str | None) -> None:
    assert filters.classify(path) == kind
    assert filters.extension_id_of(path) == extension_id


@pytest.mark.parametrize(
    ("path", "permissions"),
    [
        (filters.extension_presence(), ("ReadPresence",)),
        (filters.account_presence(), ("ReadPresence", "ReadAccounts")),
        (filters.extension_telephony_sessions(), ("CallControl",)),
        (filters.extension_message_store(), ("ReadMessages",)),
        (filters.extension_voicemail(), ("ReadMessages",)),
        (filters.extension_instant_sms(), ("ReadMessages",)),
        (filters.account_directory(), ("ReadAccounts",)),
        ("/restapi/v1.0/account/~/extension/~/missed-calls", ()),
    ],
)
def test_required_permissions(path: str, permissions: tuple[str, ...]) -> None:
    assert filters.required_permissions(path) == permissions
    assert set(filters.PERMISSIONS) == set(FilterKind)
