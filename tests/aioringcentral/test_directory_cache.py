"""`normalize_number` (table and properties) and `DirectoryCache`: precedence, patches, bounds and
the refresh cadence (never more often than the floor, whatever the clock does)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.ringcentral.aioringcentral.directory import DirectoryCache, normalize_number
from custom_components.ringcentral.aioringcentral.models_names import (
    Contact,
    DirectoryChange,
    DirectoryEntry,
    DirectoryEvent,
)

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
# No deadline: a busy machine must not fail a property; no example database in the worktree.
PROPERTIES = settings(deadline=None, database=None)


@pytest.mark.parametrize(
    ("raw", "country", "expected"),
    [
        ("+16505550100", "1", "+16505550100"),
        ("+1 (650) 555-0100", "1", "+16505550100"),
        ("(650) 555-0100", "1", "+16505550100"),
        ("650.555.0100", "1", "+16505550100"),
        ("16505550100", "1", "+16505550100"),
        ("1-650-555-0100", "1", "+16505550100"),
        ("011 44 20 7946 0958", "1", "+442079460958"),
        ("0044 20 7946 0958", "1", "+442079460958"),
        ("tel:+16505550100", "1", "+16505550100"),
        ("sip:+16505550100@sip.ringcentral.com", "1", "+16505550100"),
        ("SIP:+16505550100;user=phone", "1", "+16505550100"),
        ("+44 20 7946 0958", "44", "+442079460958"),
        ("020 7946 0958", "44", "+442079460958"),
        ("+16505550100\u00a0", "1", "+16505550100"),
        ("102", "1", None),
        ("1102", "44", None),
        ("0650555010", "1", None),  # no area code starts with 0
        ("5550100", "1", None),
        ("+0 650 555 0100", "1", None),
        ("+1234567890123456", "1", None),  # 16 digits: longer than E.164 allows
        (
            "+\uff11\uff16\uff15\uff10\uff15\uff15\uff15\uff10\uff11\uff10\uff10",
            "1",
            None,
        ),  # full-width digits
        ("WIRELESS CALLER", "1", None),
        ("anonymous", "1", None),
        ("", "1", None),
        (None, "1", None),
    ],
)
def test_normalize_number(raw: str | None, country: str, expected: str | None) -> None:
    assert normalize_number(raw, default_country_code=country) == expected


digits = st.text(alphabet="0123456789", min_size=1, max_size=16)
separators = st.sampled_from([" ", "-", ".", "(", ")", "/", "\u00a0"])


@PROPERTIES
@given(raw=st.text(max_size=30), country=st.sampled_from(["1", "44", "49"]))
def test_normalized_numbers_are_e164_and_stable(raw: str, country: str) -> None:
    normalized = normalize_number(raw, default_country_code=country)
    assert normalized is None or E164.match(normalized)
    assert normalized is None or normalize_number(normalized, default_country_code=country) == normalized


@PROPERTIES
@given(number=digits, data=st.data(), plus=st.booleans())
def test_separators_do_not_matter(number: str, data: st.DataObject, plus: bool) -> None:
    formatted = ""
    for digit in number:
        formatted += data.draw(st.sampled_from(["", *[data.draw(separators)]])) + digit
    prefix = "+" if plus else ""
    assert normalize_number(prefix + formatted) == normalize_number(prefix + number)


@PROPERTIES
@given(area=st.integers(200, 999), rest=st.integers(0, 9_999_999))
def test_north_american_forms_agree(area: int, rest: int) -> None:
    national = f"{area}{rest:07d}"
    expected = "+1" + national
    for form in (national, "1" + national, "+1" + national, f"({area}) {rest:07d}", f"011 1{national}"):
        assert normalize_number(form) == expected


@PROPERTIES
@given(extension=st.text(alphabet="0123456789", min_size=1, max_size=6))
def test_extension_numbers_are_not_phone_numbers(extension: str) -> None:
    assert normalize_number(extension) is None


# ---- the cache ---------------------------------------------------------------------------------------

ALICE = DirectoryEntry("1", "Alice Johnson", ("+16505550101",), "101", "User")
DESK = DirectoryEntry("2", "Front Desk", ("(650) 555-0190", "+1 650 555 0191"), None, "External")


def test_company_directory_before_personal_contacts() -> None:
    cache = DirectoryCache()
    cache.replace_directory([ALICE, DESK], now=0.0)
    cache.replace_contacts(
        [Contact("9", "Alice (mobile)", ("+16505550101", "+17205550184")), Contact("8", None, ("+1",))]
    )
    assert cache.lookup("+16505550101") == "Alice Johnson"
    assert cache.lookup("650-555-0190") == "Front Desk"
    assert cache.lookup("+16505550191") == "Front Desk"
    assert cache.lookup("+17205550184") == "Alice (mobile)"
    assert cache.lookup("101") == "Alice Johnson"  # an extension number
    assert cache.lookup("+19995550000") is None
    assert cache.lookup("123456789012") is None  # neither a phone number nor an extension number
    assert cache.lookup("") is None
    assert cache.lookup(None) is None
    assert len(cache) == 3
    cache.clear_contacts()
    assert cache.lookup("+17205550184") is None
    assert cache.lookup("+16505550101") == "Alice Johnson"


def test_the_first_entry_wins_a_shared_number() -> None:
    cache = DirectoryCache()
    twin = DirectoryEntry("3", "Another Alice", ("+16505550101",))
    cache.replace_directory([ALICE, twin], now=0.0)
    assert cache.lookup("+16505550101") == "Alice Johnson"


def test_notifications_patch_the_directory() -> None:
    cache = DirectoryCache()
    cache.replace_directory([ALICE, DESK], now=0.0)
    renamed = DirectoryEntry("1", "Alice Smith", ("+16505550101",), "101")
    moved = DirectoryEntry("2", "Front Desk", ("+16505550199",))
    added = DirectoryEntry("4", "Robert Fox", ("+13125550121",))
    event = DirectoryEvent(
        (
            DirectoryChange("Update", renamed),
            DirectoryChange("Update", moved),
            DirectoryChange("Create", added),
        )
    )
    assert cache.apply(event)
    assert cache.lookup("+16505550101") == "Alice Smith"
    assert cache.lookup("+16505550190") is None
    assert cache.lookup("+16505550199") == "Front Desk"
    assert cache.lookup("+13125550121") == "Robert Fox"
    assert not cache.apply(event)  # the same again changes nothing
    assert cache.apply(DirectoryEvent((DirectoryChange("Delete", DirectoryEntry("4", None, ())),)))
    assert cache.lookup("+13125550121") is None
    assert not cache.apply(DirectoryEvent((DirectoryChange("Delete", DirectoryEntry("404", None, ())),)))


def test_bounded() -> None:
    cache = DirectoryCache(max_entries=3, max_numbers_per_entry=2)
    entries = [
        DirectoryEntry(str(i), f"Person {i}", tuple(f"+1650555{i:02d}{n:02d}" for n in range(5)))
        for i in range(5)
    ]
    cache.replace_directory(entries, now=0.0)
    assert len(cache) == 3
    assert cache.lookup("+16505550000") == "Person 0"
    assert cache.lookup("+16505550001") == "Person 0"
    assert cache.lookup("+16505550002") is None  # beyond two numbers per entry
    assert cache.lookup("+16505550300") is None  # beyond three entries
    cache.replace_contacts([Contact("c", "Contact", ("+17205550184",))])
    assert len(cache) == 3  # no room left for contacts
    cache.apply(DirectoryEvent((DirectoryChange("Create", DirectoryEntry("9", "Late", ("+13125550121",))),)))
    assert cache.lookup("+13125550121") is None
    diagnostics = cache.diagnostics()
    assert diagnostics["directory_entries"] == 3
    assert "Person 0" not in str(diagnostics)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"min_refresh_interval": 0},
        {"min_refresh_interval": 100, "refresh_interval": 50},
        {"max_entries": 0},
        {"max_numbers_per_entry": 0},
        {"default_country_code": "+1"},
    ],
)
def test_settings_are_checked(kwargs: dict[str, float | str]) -> None:
    with pytest.raises(ValueError):
        DirectoryCache(**kwargs)  # type: ignore[arg-type]


def test_refresh_cadence() -> None:
    cache = DirectoryCache(refresh_interval=3600, min_refresh_interval=60)
    assert cache.refresh_due(0.0)
    assert cache.next_refresh_at(0.0) == 0.0
    cache.begin_refresh(0.0)
    assert not cache.refresh_due(30.0)  # a refresh in progress (or failed): not before the floor
    assert cache.refresh_due(60.0)  # never loaded: as soon as the floor allows
    cache.begin_refresh(60.0)
    cache.replace_directory([ALICE], now=61.0)
    assert not cache.refresh_due(1000.0)
    assert cache.next_refresh_at(1000.0) == 3661.0
    assert cache.refresh_due(3661.0)
    cache.mark_stale()
    assert not cache.refresh_due(100.0)  # stale, but the floor still holds
    assert cache.next_refresh_at(100.0) == 120.0
    assert cache.refresh_due(120.0)
    cache.begin_refresh(120.0)
    cache.replace_directory([ALICE], now=120.0)
    assert not cache.refresh_due(200.0)
    assert cache.diagnostics()["stale"] is False


@PROPERTIES
@given(
    steps=st.lists(
        st.tuples(st.floats(-100_000, 100_000, allow_nan=False), st.booleans(), st.booleans()), max_size=60
    )
)
def test_refreshes_never_come_faster_than_the_floor(steps: list[tuple[float, bool, bool]]) -> None:
    """Whatever the clock does (even going back) and however often the cache is marked stale, a
    caller that refreshes whenever it is due never starts two refreshes within the floor, except
    once after the clock went backwards."""
    floor = 900.0
    cache = DirectoryCache(refresh_interval=43_200, min_refresh_interval=floor)
    now = 0.0
    started: list[float] = []
    for delta, stale, succeeds in steps:
        now += delta
        if stale:
            cache.mark_stale()
        if cache.refresh_due(now):
            if started and now >= started[-1]:
                assert now - started[-1] >= floor
            started.append(now)
            cache.begin_refresh(now)
            if succeeds:
                cache.replace_directory([ALICE], now=now)
        assert cache.next_refresh_at(now) >= now


@PROPERTIES
@given(
    entries=st.lists(st.tuples(st.sampled_from("abcdefgh"), st.integers(0, 20)), max_size=40),
    deletes=st.lists(st.sampled_from("abcdefgh"), max_size=10),
)
def test_lookups_follow_the_entries(entries: list[tuple[str, int]], deletes: list[str]) -> None:
    """After any sequence of patches, a number resolves to the first (in directory order) live entry
    that has it, or to nothing."""
    cache = DirectoryCache(max_entries=100)
    cache.replace_directory([], now=0.0)
    live: dict[str, str] = {}
    for entry_id, number in entries:
        phone = f"+1650555{number:04d}"
        cache.apply(
            DirectoryEvent(
                (DirectoryChange("Update", DirectoryEntry(entry_id, f"Name {entry_id}", (phone,))),)
            )
        )
        live[entry_id] = phone
    for entry_id in deletes:
        cache.apply(DirectoryEvent((DirectoryChange("Delete", DirectoryEntry(entry_id, None, ())),)))
        live.pop(entry_id, None)
    for number in range(21):
        phone = f"+1650555{number:04d}"
        owners = [entry_id for entry_id, has in live.items() if has == phone]
        assert cache.lookup(phone) == (f"Name {owners[0]}" if owners else None)
