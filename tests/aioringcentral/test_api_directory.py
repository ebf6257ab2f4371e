"""`client.directory` against the simulator: the company directory (paged by `paging.totalPages`)
and personal contacts, their permissions, and reads that do not wait for a throttled group."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from custom_components.ringcentral.aioringcentral import api_directory
from custom_components.ringcentral.aioringcentral.directory import DirectoryCache
from custom_components.ringcentral.aioringcentral.errors import MissingPermissionsError, RateLimitedError
from custom_components.ringcentral.aioringcentral.models_names import Contact, DirectoryEntry
from rcsim import SimConfig, Simulator
from rcsim.directory import PersonalContact

from .conftest import ClientFactory, SimFactory, requests_in_log

Control = Callable[[Simulator, str, dict[str, Any]], Awaitable[Any]]


async def test_directory_entries(
    sim: Simulator, make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api_directory, "DIRECTORY_PER_PAGE", 2)
    sim.state.directory.add_external("Robert", "Fox", ["+1 (312) 555-0121"], "Fox Inc")
    client = make_client(sim)

    entries = await client.directory.list_directory_entries()

    extensions = list(sim.state.account.extensions.values())
    assert len(entries) == len(extensions) + 3
    assert len(requests_in_log(sim, path_contains="/directory/entries")) == 3  # 6 entries, 2 a page
    by_name = {e.name: e for e in entries}
    first = by_name[extensions[0].name]
    assert first == DirectoryEntry(
        id=extensions[0].id,
        name=extensions[0].name,
        numbers=(extensions[0].phone_number,),
        extension_number=extensions[0].extension_number,
        type="User",
    )
    assert by_name["Robert Fox"].numbers == ("+1 (312) 555-0121",)
    cache = DirectoryCache()
    cache.replace_directory(entries, now=0.0)
    assert cache.lookup("+13125550121") == "Robert Fox"
    assert cache.lookup(extensions[1].extension_number) == extensions[1].name


async def test_contacts(sim: Simulator, make_client: ClientFactory) -> None:
    me, other = list(sim.state.account.extensions)[:2]
    sim.state.directory.add_contact(
        me,
        PersonalContact(
            "", "Esther", "Howard", phones={"mobilePhone": "+17205550184", "homePhone": "+17205550100"}
        ),
    )
    sim.state.directory.add_contact(
        me, PersonalContact("", company="Plumbing Co", phones={"businessPhone": "+16505550111"})
    )
    sim.state.directory.add_contact(other, PersonalContact("", "Not", "Mine"))
    client = make_client(sim)

    contacts = await client.directory.list_contacts()

    assert [(c.name, c.numbers) for c in contacts] == [
        ("Esther Howard", ("+17205550184", "+17205550100")),
        ("Plumbing Co", ("+16505550111",)),
    ]
    assert all(isinstance(c, Contact) for c in contacts)


async def test_contacts_need_read_contacts(sim: Simulator, make_client: ClientFactory) -> None:
    sim.state.app.permissions.discard("ReadContacts")
    client = make_client(sim)
    with pytest.raises(MissingPermissionsError) as caught:
        await client.directory.list_contacts()
    assert caught.value.permissions == ("ReadContacts",)


async def test_directory_needs_read_accounts(sim: Simulator, make_client: ClientFactory) -> None:
    client = make_client(sim)
    await client.login()
    sim.state.app.permissions.discard("ReadAccounts")
    with pytest.raises(MissingPermissionsError) as caught:
        await client.directory.list_directory_entries()
    assert caught.value.permissions == ("ReadAccounts",)


async def test_a_refresh_does_not_wait_for_a_throttled_group(
    make_sim: SimFactory, make_client: ClientFactory, control: Control
) -> None:
    sim = await make_sim(SimConfig(time_scale=1.0))
    client = make_client(sim)
    await client.login()
    await control(
        sim, "faults", {"type": "http", "path": "/address-book/contact$", "status": 429, "retry_after": 30}
    )
    with pytest.raises(RateLimitedError) as caught:
        await client.directory.list_contacts()
    assert caught.value.group == "Heavy"
    assert caught.value.retry_after > 0
    assert len(requests_in_log(sim, path_contains="/address-book")) == 1
