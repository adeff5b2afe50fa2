"""Listings on the shared provider account, cut down to the caller's tenant.

Every tenant shares one provider account, so a provider page mixes everyone's
objects. Filtering that one page is not enough: a page of other tenants'
objects would come back empty with ``has_more: true``, and the openai SDK's
auto-pagination stops at an empty page, so the tenant would silently never
see its later objects. A short page is therefore filled from the provider's
following pages (``after=`` the last provider id seen), within bounds.

Cursor rule: the SDK asks for the next page with ``after=`` the id of the last
object it got, so an answer's ``last_id`` is that same id whenever the page
has objects; the next request then starts right after it and nothing is
skipped or repeated (provider objects scanned past it are scanned again, and
dropped again). Only a page with nothing to show names a provider id it did
not return: see :data:`EXTRA_PAGES_EMPTY`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from .codecs.base import dump_json
from .errors import UpstreamUnreachable
from .failclosed import guard
from .routing import RouteMatch
from .upstream import QueryItem, read_body

if TYPE_CHECKING:
    from .services import Services

# Extra provider pages are asked for this many objects (or the caller's limit
# when larger): the largest page every cut-down listing accepts (files take up
# to 10,000, the others 100). A short page means the caller's objects are
# sparse here, and one provider round trip costs far more than checking a
# hundred ids against the ledger.
SCAN_LIMIT = 100
# Once the page holds at least one object, stop after this many extra provider
# pages (400 objects at SCAN_LIMIT). Each is a full provider round trip (a few
# hundred ms on the real API), so a page costs at most five; stopping early
# loses nothing, because the next page starts right after the last object given.
EXTRA_PAGES = 4
# With nothing to show yet, keep going much longer, since an empty page with
# ``has_more`` ends the SDK's auto-pagination: 25 extra pages, 2,500 other
# objects in a row, far past the gaps a tenant normally sees. Still bounded, so
# one cheap request cannot make the gateway walk a whole large account (each
# page also costs a ledger query). Past it is the one unavoidable empty page:
# ``has_more: true`` and ``last_id`` the last provider id scanned, from which a
# client that follows ``last_id`` continues; that id names an object of someone
# else, but nothing about it, and the gateway refuses it in every other use.
EXTRA_PAGES_EMPTY = 25
# The provider's page size when the request names none (openapi.yaml).
DEFAULT_LIMIT = 20
FILES_DEFAULT_LIMIT = 10_000

Failure = TypeVar("Failure")


def maybe_json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def is_tenant_listing(matched: RouteMatch | None, method: str) -> bool:
    return (method == "GET" and matched is not None and not matched.route.owned
            and not matched.route.public_listing)


def _id_of(item: Any) -> str | None:
    object_id = item.get("id") if isinstance(item, dict) else None
    return object_id if isinstance(object_id, str) else None


@dataclass(frozen=True, slots=True)
class UpstreamPage:
    """One provider page: its objects in the provider's order, and whether more follow."""

    items: list[Any]
    has_more: bool

    @property
    def cursor(self) -> str | None:
        """Where the provider's next page starts: ``after=`` its last object's id."""
        return _id_of(self.items[-1]) if self.items else None


def upstream_page(listing: Any) -> UpstreamPage | None:
    """The page in a provider answer; None when the answer is not a listing."""
    if not (isinstance(listing, dict) and listing.get("object") == "list"
            and isinstance(listing.get("data"), list)):
        return None
    return UpstreamPage(listing["data"], listing.get("has_more") is True)


@dataclass(frozen=True, slots=True)
class PageBounds:
    """How far past the provider's first page one listing request may look."""

    extra_pages: int = EXTRA_PAGES
    extra_pages_empty: int = EXTRA_PAGES_EMPTY
    scan_limit: int = SCAN_LIMIT


@dataclass(frozen=True, slots=True)
class TenantPage:
    """The caller's page: at most ``limit`` of its objects, and the cursor after them."""

    items: list[Any]
    has_more: bool
    last_id: str | None

    @property
    def first_id(self) -> str | None:
        return _id_of(self.items[0]) if self.items else None


async def fill_page(first: UpstreamPage, limit: int,
                    fetch_after: Callable[[str, int], Awaitable[UpstreamPage | Failure]],
                    owned_of: Callable[[list[str]], Awaitable[set[str]]],
                    bounds: PageBounds = PageBounds()) -> TenantPage | Failure:
    """Up to ``limit`` owned objects from ``first`` and the provider pages after it.

    ``owned_of(ids)`` answers which of a page's ids are the caller's (one
    ledger query per page, not per object). ``fetch_after(cursor, size)`` asks
    the provider for ``size`` objects after ``cursor``; whatever else it
    answers (the provider refused) is returned as it is, so the caller renders
    the failure. ``has_more`` is exact when the
    objects run out before the provider does: one more owned object past the
    limit on a page already fetched, or a provider page still to come.
    """
    kept: list[Any] = []
    page, extra = first, 0
    while True:
        owned = await owned_of([i for i in map(_id_of, page.items) if i is not None])
        for item in page.items:
            if _id_of(item) not in owned:
                continue
            if len(kept) == limit:
                return TenantPage(kept, True, _id_of(kept[-1]))
            kept.append(item)
        cursor = page.cursor
        if len(kept) == limit or not page.has_more or cursor is None:
            return TenantPage(kept, page.has_more, _id_of(kept[-1]) if kept else None)
        if extra >= (bounds.extra_pages if kept else bounds.extra_pages_empty):
            return TenantPage(kept, True, _id_of(kept[-1]) if kept else cursor)
        fetched = await fetch_after(cursor, max(limit, bounds.scan_limit))
        if not isinstance(fetched, UpstreamPage):
            return fetched
        page, extra = fetched, extra + 1


@dataclass(frozen=True, slots=True)
class ListingRequest:
    """The upstream request a listing page answered; the pages after it repeat it.

    ``params`` are the query as it went upstream (already protected), and
    ``headers`` the allow-listed ones forwarded with it: never the gateway key.
    """

    path: str
    params: list[QueryItem]
    headers: dict[str, str]

    def value(self, name: str) -> str | None:
        found = [value for key, value in self.params if key == name and value is not None]
        return str(found[-1]) if found else None

    @property
    def limit(self) -> int:
        """How many objects the caller asked for: its ``limit`` or the provider default."""
        try:
            asked = int(self.value("limit") or "")
        except ValueError:
            asked = 0
        if asked > 0:
            return asked
        return FILES_DEFAULT_LIMIT if self.path.strip("/") == "files" else DEFAULT_LIMIT

    @property
    def bounds(self) -> PageBounds:
        """A backward page (``before=``) is cut but not filled.

        The SDK never asks for one, and filling it would mean paging the other way.
        """
        return PageBounds(0, 0) if self.value("before") else PageBounds()

    def after(self, cursor: str, limit: int) -> list[QueryItem]:
        """The same query (order, filters...), for ``limit`` objects after ``cursor``."""
        kept = [(key, value) for key, value in self.params if key not in ("after", "limit")]
        return [*kept, ("after", cursor), ("limit", limit)]


async def own_objects_only(services: Services, tenant: str, request: ListingRequest,
                           raw: bytes) -> bytes | httpx.Response:
    """Cut a provider listing down to the objects this tenant created through the gateway.

    Without this a tenant could list (and learn the ids and metadata of)
    everyone's files, stores, batches. Answers the new body, or the provider's
    refusal of a following page (its body unread) for the pipeline to relay.
    """
    listing = maybe_json(raw)
    first = upstream_page(listing)
    if first is None:
        return raw

    async def owned_of(object_ids: list[str]) -> set[str]:
        return await guard(services.ledger.owned(tenant, object_ids))

    async def fetch_after(cursor: str, limit: int) -> UpstreamPage | httpx.Response:
        response = await services.upstream.send(
            "GET", request.path, params=request.after(cursor, limit), headers=request.headers,
            content=None)
        if response.status_code >= 400:
            return response
        page = upstream_page(maybe_json(await read_body(response)))
        if page is None:
            raise UpstreamUnreachable("the upstream provider answered a listing page that is "
                                      "not a list", code="upstream_bad_listing")
        return page

    cut = await fill_page(first, request.limit, fetch_after, owned_of, request.bounds)
    if isinstance(cut, httpx.Response):
        return cut
    if cut.items == first.items and cut.has_more == first.has_more:
        return raw
    listing.update(data=cut.items, first_id=cut.first_id, last_id=cut.last_id,
                   has_more=cut.has_more)
    return dump_json(listing)
