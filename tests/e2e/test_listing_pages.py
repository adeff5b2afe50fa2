"""Tenant listings page correctly with the real SDK, however the shared account mixes tenants.

Files made straight on the simulated provider stand for objects of tenants of
other gateways (or of none): the ledger knows nothing of them, like B's files
it does not hold for A. Lists are newest first unless ``order="asc"``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

import httpx
import openai
import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from audit import storage
from audit.records import AuditRecord, from_canonical
from gateway.listing import EXTRA_PAGES, EXTRA_PAGES_EMPTY, SCAN_LIMIT
from gateway.server_thread import ServerThread
from gateway.simulator import SimulatorState, create_simulator_app
from gateway.simulator.common import new_id
from tests.e2e.conftest import Gateway
from vault.db import create_engine


def upload(client: openai.OpenAI, name: str) -> str:
    return client.files.create(file=(name, b"quarterly notes", "text/plain"),
                               purpose="assistants").id


def foreign(provider: SimulatorState, count: int) -> list[str]:
    """Files on the account that no tenant of this gateway made."""
    made = [{"id": new_id("file-", 22), "object": "file", "bytes": 1, "created_at": 0,
             "expires_at": None, "filename": "x.txt", "purpose": "assistants",
             "status": "processed", "status_details": None} for _ in range(count)]
    with provider.lock:
        provider.store.files.update((item["id"], item) for item in made)
    return [str(item["id"]) for item in made]


def listing_requests(provider: SimulatorState) -> list[dict[str, str]]:
    return [r.headers for r in provider.requests if r.method == "GET" and r.path == "/v1/files"]


def audit_records(gateway: Gateway, request_id: str) -> list[AuditRecord]:
    engine = create_engine(gateway.settings.resolved_database_url)
    try:
        with engine.connect() as conn:
            records = [from_canonical(r.body) for r in storage.iter_records(conn)]
    finally:
        engine.dispose()
    return [r for r in records if r.request_id == request_id]


def test_auto_pagination_shows_each_of_our_files_once_in_order(
        gateway: Gateway, provider: SimulatorState) -> None:
    mine, theirs = gateway.client(), gateway.client(key=gateway.other_tenant_key)
    ours: list[str] = []
    their_files = [upload(theirs, f"b{n}.txt") for n in range(3)]
    ours.append(upload(mine, "a1.txt"))
    foreign(provider, 7)
    ours += [upload(mine, "a2.txt"), upload(mine, "a3.txt")]
    their_files += [upload(theirs, f"b{n}.txt") for n in range(3, 7)]
    foreign(provider, SCAN_LIMIT + 50)  # a whole extra provider page of none of ours
    ours.append(upload(mine, "a4.txt"))
    their_files.append(upload(theirs, "b7.txt"))
    ours.append(upload(mine, "a5.txt"))
    foreign(provider, 3)
    requests_before = len(listing_requests(provider))

    assert [f.id for f in mine.files.list(limit=2)] == ours[::-1]
    assert [f.id for f in mine.files.list(limit=2, order="asc")] == ours
    assert [f.id for f in mine.files.list(limit=3, purpose="assistants")] == ours[::-1]
    assert [f.id for f in theirs.files.list(limit=2)] == their_files[::-1]
    extra = listing_requests(provider)[requests_before:]
    assert len(extra) > 8
    for headers in extra:
        assert headers["authorization"] == "Bearer sk-upstream-secret"
        assert not any(gateway.app_key in value or gateway.other_tenant_key in value
                       for value in headers.values())
    asked = [r.query for r in provider.requests if r.path == "/v1/files" and r.method == "GET"]
    assert any(q.get("order") == "asc" and "after" in q for q in asked)
    assert any(q.get("purpose") == "assistants" and "after" in q for q in asked)


def test_the_bound_on_extra_pages_still_reaches_every_object(
        gateway: Gateway, provider: SimulatorState) -> None:
    client = gateway.client()
    oldest = upload(client, "old.txt")
    foreign(provider, SCAN_LIMIT * (EXTRA_PAGES + 1))
    newer = upload(client, "new.txt")
    foreign(provider, 5)
    before = len(listing_requests(provider))

    raw = client.files.with_raw_response.list(limit=2)
    first = raw.parse()
    assert [f.id for f in first.data] == [newer] and first.has_more
    assert len(listing_requests(provider)) - before == 1 + EXTRA_PAGES
    [record] = audit_records(gateway, raw.headers["x-piigate-request-id"])
    assert record.status == 200 and record.path == "/v1/files"

    assert [f.id for f in client.files.list(limit=2)] == [newer, oldest]


def test_past_the_ceiling_the_empty_page_says_where_to_go_on(
        gateway: Gateway, provider: SimulatorState) -> None:
    """The one empty page with has_more: the SDK stops there, a client following last_id
    does not."""
    oldest = upload(gateway.client(), "old.txt")
    gap = foreign(provider, 2 + EXTRA_PAGES_EMPTY * SCAN_LIMIT + 10)[::-1]
    headers = {"authorization": f"Bearer {gateway.app_key}"}
    page = httpx.get(f"{gateway.url}/v1/files", params={"limit": 2}, headers=headers).json()
    assert page["data"] == [] and page["has_more"] and page["first_id"] is None
    assert page["last_id"] == gap[1 + EXTRA_PAGES_EMPTY * SCAN_LIMIT]
    following = httpx.get(f"{gateway.url}/v1/files", headers=headers,
                          params={"limit": 2, "after": page["last_id"]}).json()
    assert [f["id"] for f in following["data"]] == [oldest] and not following["has_more"]


class RefuseSecondListing:
    """The provider, except that its second file listing is refused as overloaded."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.listings = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope)
            if request.method == "GET" and request.url.path == "/v1/files":
                self.listings += 1
                if self.listings == 2:
                    refusal = {"error": {"message": "overloaded", "type": "server_error",
                                         "code": "overloaded", "param": None}}
                    await JSONResponse(refusal, status_code=503)(scope, receive, send)
                    return
        await self.app(scope, receive, send)


@pytest.fixture
def refusing_provider_url(provider: SimulatorState) -> Iterator[str]:
    with ServerThread(RefuseSecondListing(create_simulator_app(provider))) as server:
        yield server.url


def test_a_refused_extra_page_fails_the_listing_like_the_provider(
        make_gateway: Callable[..., AbstractContextManager[Gateway]],
        refusing_provider_url: str, provider: SimulatorState) -> None:
    with make_gateway(provider_url=refusing_provider_url) as gateway:
        upload(gateway.client(), "a.txt")
        foreign(provider, 3)
        with pytest.raises(openai.InternalServerError) as raised:
            gateway.client().files.list(limit=2)
        assert raised.value.status_code == 503 and raised.value.code == "overloaded"
        request_id = raised.value.response.headers["x-piigate-request-id"]
        [record] = audit_records(gateway, request_id)
        assert record.status == 503 and record.path == "/v1/files"
