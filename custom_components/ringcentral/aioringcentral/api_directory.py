"""Names for numbers: `client.directory` (`DirectoryApi`): the company directory and the user's
personal contacts, read in full for `DirectoryCache` refreshes.

Both reads default to `max_wait=0`: a refresh is never urgent, so rather than wait for (and then
use) rate budget that call state may need, it raises `RateLimitedError` and is tried again later.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from .errors import ParseError
from .models_names import Contact, DirectoryEntry
from .pathids import path_id

if TYPE_CHECKING:
    from .rest_core import RestCore

DIRECTORY_PER_PAGE: Final = 2000  # RingCentral's maximum for the directory
CONTACTS_PER_PAGE: Final = 1000
_MAX_PAGES: Final = 1000  # a directory that never ends is a bug, not a reason to loop forever


class DirectoryApi:
    """The company directory and personal contacts, over a `RingCentralClient`'s requests."""

    def __init__(self, client: RestCore) -> None:
        self._client = client

    async def list_directory_entries(self, *, max_wait: float | None = 0) -> list[DirectoryEntry]:
        """Every entry of the company directory (Medium, ReadAccounts); all pages.

        The directory answers `records` and `paging` only (no `navigation`): pages are followed up to
        `paging.totalPages`.
        """
        path = "/restapi/v1.0/account/~/directory/entries"
        records: list[Any] = []
        for page in range(1, _MAX_PAGES + 1):
            query = {"page": str(page), "perPage": str(DIRECTORY_PER_PAGE)}
            body = (await self._client._call("GET", path, params=query, max_wait=max_wait)).json_object()
            page_records = body.get("records")
            if not isinstance(page_records, list):
                raise ParseError(f"directory entries: page {page} has no records list")
            records.extend(page_records)
            paging = body.get("paging")
            total = paging.get("totalPages") if isinstance(paging, dict) else None
            if not page_records or not isinstance(total, int) or page >= total:
                break
        return [DirectoryEntry.from_dict(record, f"directoryEntry[{i}]") for i, record in enumerate(records)]

    async def list_contacts(self, ext: str = "~", *, max_wait: float | None = 0) -> list[Contact]:
        """The user's personal contacts (Heavy, ReadContacts); all pages."""
        path = f"/restapi/v1.0/account/~/extension/{path_id(ext)}/address-book/contact"
        records = await self._client._all_pages(path, {}, CONTACTS_PER_PAGE, max_wait=max_wait)
        return [Contact.from_dict(record, f"contact[{i}]") for i, record in enumerate(records)]
