"""Filling a tenant's listing page from the provider pages after a short one."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any, cast

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.errors import UpstreamUnreachable
from gateway.listing import (
    ListingRequest,
    PageBounds,
    TenantPage,
    UpstreamPage,
    fill_page,
    own_objects_only,
    upstream_page,
)
from gateway.services import Services
from gateway.upstream import Upstream

pytestmark = pytest.mark.anyio

MINE = "a"


@dataclass
class Provider:
    """A shared account's listing: ids in list order, those starting with "a" are ours."""

    ids: list[str]
    fetches: list[tuple[str, int]] = field(default_factory=list)

    def page(self, after: str | None, limit: int) -> UpstreamPage:
        start = self.ids.index(after) + 1 if after is not None else 0
        chunk = self.ids[start:start + limit]
        return UpstreamPage([{"id": i} for i in chunk], start + limit < len(self.ids))

    async def fetch_after(self, cursor: str, limit: int) -> UpstreamPage:
        self.fetches.append((cursor, limit))
        return self.page(cursor, limit)

    async def request(self, after: str | None, limit: int, bounds: PageBounds) -> TenantPage:
        """One gateway request: the caller's own page, then filled."""
        cut = await fill_page(self.page(after, limit), limit, self.fetch_after, is_mine, bounds)
        assert isinstance(cut, TenantPage)
        return cut


async def is_mine(object_ids: list[str]) -> set[str]:
    return {i for i in object_ids if i.startswith(MINE)}


def layout(*runs: tuple[str, int]) -> list[str]:
    """("a", 2), ("b", 3) -> a0 a1 b2 b3 b4: runs of ours and theirs, ids unique."""
    ids: list[str] = []
    for prefix, count in runs:
        ids += [f"{prefix}{len(ids) + n}" for n in range(count)]
    return ids


def ids(page: TenantPage) -> list[str]:
    return [item["id"] for item in page.items]


SMALL = PageBounds(extra_pages=2, extra_pages_empty=5, scan_limit=3)


async def test_a_page_of_ours_is_kept_as_it_is() -> None:
    provider = Provider(layout(("a", 3), ("b", 2)))
    cut = await provider.request(None, 3, SMALL)
    assert ids(cut) == ["a0", "a1", "a2"] and cut.has_more
    assert (cut.first_id, cut.last_id) == ("a0", "a2") and provider.fetches == []


async def test_a_short_page_is_filled_from_the_pages_after_it() -> None:
    provider = Provider(layout(("a", 1), ("b", 4), ("a", 2), ("b", 1), ("a", 1)))
    cut = await provider.request(None, 3, SMALL)
    assert ids(cut) == ["a0", "a5", "a6"] and cut.has_more and cut.last_id == "a6"
    assert provider.fetches == [("b2", 3), ("a5", 3)]


async def test_pages_of_only_theirs_never_make_an_empty_page() -> None:
    provider = Provider(layout(("b", 9), ("a", 1)))
    cut = await provider.request(None, 2, SMALL)
    assert ids(cut) == ["a9"] and not cut.has_more and cut.last_id == "a9"


async def test_has_more_is_exact_when_the_limit_falls_inside_a_page() -> None:
    then_theirs = await Provider(layout(("b", 2), ("a", 2), ("b", 1))).request(None, 2, SMALL)
    assert ids(then_theirs) == ["a2", "a3"] and not then_theirs.has_more
    then_ours = await Provider(layout(("b", 2), ("a", 3))).request(None, 2, SMALL)
    assert ids(then_ours) == ["a2", "a3"] and then_ours.has_more


async def test_extra_pages_ask_for_the_callers_limit_when_it_is_larger() -> None:
    provider = Provider(layout(("b", 5), ("a", 5)))
    await provider.request(None, 5, SMALL)
    assert provider.fetches == [("b4", 5)]


async def test_the_bound_stops_a_page_that_has_something() -> None:
    provider = Provider(layout(("a", 1), ("b", 20), ("a", 1)))
    cut = await provider.request(None, 2, SMALL)
    assert len(provider.fetches) == SMALL.extra_pages
    assert ids(cut) == ["a0"] and cut.has_more and cut.last_id == "a0"


async def test_past_the_ceiling_an_empty_page_points_past_what_was_scanned() -> None:
    provider = Provider(layout(("b", 20), ("a", 1)))
    cut = await provider.request(None, 2, SMALL)
    scanned = 2 + SMALL.extra_pages_empty * SMALL.scan_limit
    assert len(provider.fetches) == SMALL.extra_pages_empty
    assert cut.items == [] and cut.has_more and cut.first_id is None
    assert cut.last_id == f"b{scanned - 1}"
    following = await provider.request(cut.last_id, 2, SMALL)
    assert ids(following) == ["a20"]


async def test_a_refused_page_is_handed_back_and_ends_the_filling() -> None:
    calls: list[str] = []

    async def refuse(cursor: str, limit: int) -> str:
        calls.append(cursor)
        return "refused"

    first = UpstreamPage([{"id": "b0"}], True)
    assert await fill_page(first, 2, refuse, is_mine, SMALL) == "refused"
    assert calls == ["b0"]


async def test_a_page_with_more_but_no_cursor_ends_the_filling() -> None:
    async def never(cursor: str, limit: int) -> UpstreamPage:
        raise AssertionError("no cursor to ask after")

    for first in (UpstreamPage([], True), UpstreamPage([{"id": "a0"}, {"name": "x"}], True)):
        cut = await fill_page(first, 5, never, is_mine, SMALL)
        assert isinstance(cut, TenantPage) and cut.has_more


async def test_objects_without_an_id_are_never_shown() -> None:
    first = UpstreamPage([{"id": "a0"}, {"name": "a1"}, "a2", {"id": 3}], False)
    cut = await fill_page(first, 5, Provider([]).fetch_after, is_mine, SMALL)
    assert isinstance(cut, TenantPage) and ids(cut) == ["a0"]


def sdk_walk(provider: Provider, limit: int, bounds: PageBounds) -> tuple[list[str], bool]:
    """The openai SDK's auto-pagination: after= the last object; an empty page ends it.

    Also answers whether it met the one unavoidable empty page with has_more.
    """
    async def walk() -> tuple[list[str], bool]:
        seen: list[str] = []
        after: str | None = None
        while True:
            cut = await provider.request(after, limit, bounds)
            assert len(cut.items) <= limit
            seen += ids(cut)
            if not cut.items or not cut.has_more:
                return seen, cut.has_more
            assert cut.last_id == seen[-1]
            after = seen[-1]
    return asyncio.run(walk())


def cursor_walk(provider: Provider, limit: int, bounds: PageBounds) -> list[str]:
    """A client that follows last_id while has_more (the listing's own cursor)."""
    async def walk() -> list[str]:
        seen: list[str] = []
        after: str | None = None
        while True:
            cut = await provider.request(after, limit, bounds)
            seen += ids(cut)
            if not cut.has_more:
                return seen
            assert cut.last_id is not None
            after = cut.last_id
    return asyncio.run(walk())


def longest_run_of_theirs(listed: list[str]) -> int:
    longest = run = 0
    for object_id in listed:
        run = 0 if object_id.startswith(MINE) else run + 1
        longest = max(longest, run)
    return longest


layouts = st.lists(st.tuples(st.sampled_from("ab"), st.integers(1, 12)), max_size=12)
bounds_st = st.builds(PageBounds, st.integers(0, 3), st.integers(0, 4), st.integers(1, 6))


@settings(max_examples=300, deadline=None)
@given(layouts, st.integers(1, 5), bounds_st)
def test_every_object_of_ours_once_in_order(runs: list[tuple[str, int]], limit: int,
                                            bounds: PageBounds) -> None:
    listed = layout(*runs)
    ours = [i for i in listed if i.startswith(MINE)]
    assert cursor_walk(Provider(listed), limit, bounds) == ours
    seen, stopped_early = sdk_walk(Provider(listed), limit, bounds)
    assert seen == ours[:len(seen)]
    window = limit + bounds.extra_pages_empty * max(limit, bounds.scan_limit)
    if longest_run_of_theirs(listed) < window:
        assert seen == ours and not stopped_early


@settings(max_examples=200, deadline=None)
@given(layouts, st.integers(1, 5), bounds_st)
def test_extra_fetches_stay_within_the_bound(runs: list[tuple[str, int]], limit: int,
                                             bounds: PageBounds) -> None:
    provider = Provider(layout(*runs))
    cut = asyncio.run(provider.request(None, limit, bounds))
    most = max(bounds.extra_pages, bounds.extra_pages_empty)
    assert len(provider.fetches) <= (most if cut.items else bounds.extra_pages_empty)


def test_the_requested_limit_and_the_provider_defaults() -> None:
    assert ListingRequest("files", [], {}).limit == 10_000
    assert ListingRequest("vector_stores", [], {}).limit == 20
    assert ListingRequest("batches", [("limit", "7")], {}).limit == 7
    assert ListingRequest("batches", [("limit", "x")], {}).limit == 20


def test_following_pages_repeat_the_query_with_a_new_cursor() -> None:
    request = ListingRequest("files", [("order", "asc"), ("after", "f1"), ("limit", "2"),
                                       ("purpose", "batch")], {})
    assert request.after("f9", 100) == [("order", "asc"), ("purpose", "batch"),
                                        ("after", "f9"), ("limit", 100)]
    assert request.bounds == PageBounds()
    assert ListingRequest("assistants", [("before", "x")], {}).bounds == PageBounds(0, 0)


def test_only_listings_are_pages() -> None:
    assert upstream_page({"object": "list", "data": [], "has_more": True}) == UpstreamPage(
        [], True)
    assert upstream_page({"object": "list", "data": []}) == UpstreamPage([], False)
    for other in (None, [], {"object": "file", "id": "f"}, {"object": "list", "data": {}}):
        assert upstream_page(other) is None


@dataclass
class FakeLedger:
    mine: set[str]

    async def owned(self, tenant: str, upstream_ids: list[str]) -> set[str]:
        return {i for i in upstream_ids if tenant == "acme" and i in self.mine}


@dataclass
class FakeServices:
    upstream: Upstream
    ledger: FakeLedger


def listing(*object_ids: str, has_more: bool) -> dict[str, Any]:
    return {"object": "list", "data": [{"id": i} for i in object_ids],
            "first_id": object_ids[0] if object_ids else None,
            "last_id": object_ids[-1] if object_ids else None, "has_more": has_more}


def services_answering(answers: list[httpx.Response], seen: list[httpx.Request]) -> Services:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers.pop(0)
    upstream = Upstream("http://provider.test/v1", "sk-provider", timeout=1, connect_timeout=1,
                        transport=httpx.MockTransport(handler))
    return cast(Services, FakeServices(upstream, FakeLedger({"f1", "f4"})))


FIRST = listing("f0", "f1", has_more=True)
REQUEST = ListingRequest("files", [("limit", "2"), ("order", "asc")], {"openai-project": "p"})


async def test_following_pages_go_through_the_upstream_client() -> None:
    seen: list[httpx.Request] = []
    services = services_answering(
        [httpx.Response(200, json=listing("f2", "f3", "f4", "f5", has_more=False))], seen)
    body = await own_objects_only(services, "acme", REQUEST, json.dumps(FIRST).encode())
    assert isinstance(body, bytes)
    assert json.loads(body) == listing("f1", "f4", has_more=False)
    [sent] = seen
    assert sent.url.path == "/v1/files" and sent.headers["authorization"] == "Bearer sk-provider"
    assert sent.headers["openai-project"] == "p"
    assert dict(sent.url.params) == {"order": "asc", "after": "f1", "limit": "100"}


async def test_a_refused_following_page_is_handed_to_the_pipeline() -> None:
    refusal = httpx.Response(429, json={"error": {"message": "slow down"}})
    services = services_answering([refusal], [])
    answer = await own_objects_only(services, "acme", REQUEST, json.dumps(FIRST).encode())
    assert isinstance(answer, httpx.Response) and answer.status_code == 429


async def test_a_following_page_that_is_not_a_list_is_a_bad_gateway() -> None:
    services = services_answering([httpx.Response(200, text="<html>")], [])
    with pytest.raises(UpstreamUnreachable) as raised:
        await own_objects_only(services, "acme", REQUEST, json.dumps(FIRST).encode())
    assert raised.value.code == "upstream_bad_listing"


async def test_answers_that_are_not_listings_pass_untouched() -> None:
    services = services_answering([], [])
    raw = b'{"object": "model", "id": "gpt"}'
    assert await own_objects_only(services, "acme", REQUEST, raw) == raw
