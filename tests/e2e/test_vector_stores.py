"""Vector stores end to end: stores, attached files, file batches, search, ledger, tenants."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import anyio
import openai
import pytest

from gateway.simulator import SimulatorState
from tests.e2e.conftest import Gateway
from tests.e2e.test_misc_routes import EMAIL, NAME, PHONE, assert_nothing_personal_arrived
from vault import Scope

DOCUMENT = (f"Customer file\n\n{NAME} called from {PHONE} about the invoice.\n\n"
            f"Reply to {EMAIL} by Friday.\n").encode()

# A subject of these tests' own: what they store stays out of other tests' scope.
SUBJECT = "vector-stores-e2e"


def upload(client: openai.OpenAI, content: bytes = DOCUMENT) -> str:
    return client.files.create(file=("customer.txt", content, "text/plain"),
                               purpose="assistants").id


def test_store_attach_search_and_read_back(gateway: Gateway, provider: SimulatorState) -> None:
    client = gateway.client(SUBJECT)
    store = client.vector_stores.create(name=f"Files of {NAME}", metadata={"owner": EMAIL})
    assert (store.name, store.metadata) == (f"Files of {NAME}", {"owner": EMAIL})
    file_id = upload(client)
    attached = client.vector_stores.files.create(
        vector_store_id=store.id, file_id=file_id, attributes={"author": NAME, "year": 2024})
    assert attached.attributes == {"author": NAME, "year": 2024}
    raw = client.vector_stores.with_raw_response.search(
        store.id, query=f"{NAME} called", filters={"type": "eq", "key": "author", "value": NAME})
    assert raw.http_response.json()["search_query"] == [f"{NAME} called"]
    hit = raw.parse().data[0]
    assert NAME in hit.content[0].text and PHONE in hit.content[0].text
    assert hit.attributes == {"author": NAME, "year": 2024}
    assert client.vector_stores.search(
        store.id, query=[EMAIL], filters={"type": "eq", "key": "author", "value": "Ann"}
    ).data == []
    content = client.vector_stores.files.content(file_id, vector_store_id=store.id)
    assert EMAIL in "".join(part.text or "" for part in content)
    assert_nothing_personal_arrived(provider, [NAME, EMAIL, PHONE])


def test_store_and_file_management(gateway: Gateway, provider: SimulatorState) -> None:
    client = gateway.client(SUBJECT)
    first, second = upload(client), upload(client, b"Second file, no names.\n")
    store = client.vector_stores.create(name="plain", file_ids=[first])
    assert client.vector_stores.update(store.id, name=f"Now {NAME}").name == f"Now {NAME}"
    assert client.vector_stores.retrieve(store.id).name == f"Now {NAME}"
    assert store.id in [item.id for item in client.vector_stores.list()]
    assert [item.id for item in client.vector_stores.files.list(store.id)] == [first]
    updated = client.vector_stores.files.update(
        file_id=first, vector_store_id=store.id, attributes={"who": EMAIL})
    assert updated.attributes == {"who": EMAIL}
    assert client.vector_stores.files.retrieve(
        file_id=first, vector_store_id=store.id).attributes == {"who": EMAIL}
    batch = client.vector_stores.file_batches.create(store.id, file_ids=[second])
    assert client.vector_stores.file_batches.retrieve(
        batch.id, vector_store_id=store.id).id == batch.id
    assert [item.id for item in client.vector_stores.file_batches.list_files(
        batch.id, vector_store_id=store.id)] == [second]
    client.vector_stores.file_batches.cancel(batch.id, vector_store_id=store.id)
    assert client.vector_stores.files.delete(file_id=first, vector_store_id=store.id).deleted
    # Detaching a file from a store must leave the file itself ours, and forget
    # the attachment.
    assert client.files.retrieve(first).id == first
    ledger = gateway.services.ledger
    assert anyio.run(ledger.owner, "acme", f"{store.id}/{first}") is None
    assert anyio.run(ledger.owner, "acme", first) is not None
    assert client.vector_stores.delete(store.id).deleted
    with pytest.raises(openai.NotFoundError):
        client.vector_stores.retrieve(store.id)
    assert_nothing_personal_arrived(provider, [NAME, EMAIL])


def test_ledger_records_stores_files_and_attachments(gateway: Gateway,
                                                     provider: SimulatorState) -> None:
    client = gateway.client(subject="ledger-subject")
    file_id = upload(client)
    store = client.vector_stores.create(name="s", file_ids=[file_id])
    entries = asyncio.run(gateway.services.ledger.objects(Scope("acme", "ledger-subject")))
    recorded = {(entry.kind, entry.upstream_id, entry.parent_id) for entry in entries}
    assert {("file", file_id, None), ("vector_store", store.id, None),
            ("vector_store_file", f"{store.id}/{file_id}", store.id)} <= recorded


def test_other_tenant_gets_404_everywhere(gateway: Gateway, provider: SimulatorState) -> None:
    client = gateway.client(SUBJECT)
    file_id = upload(client)
    store = client.vector_stores.create(name="mine", file_ids=[file_id])
    other = gateway.client(key=gateway.other_tenant_key)
    attempts: list[Callable[[], object]] = [
        lambda: other.vector_stores.retrieve(store.id),
        lambda: other.vector_stores.search(store.id, query="invoice"),
        lambda: other.vector_stores.files.list(store.id),
        lambda: other.vector_stores.files.content(file_id, vector_store_id=store.id),
        lambda: other.vector_stores.delete(store.id),
        lambda: other.vector_stores.create(name="theirs", file_ids=[file_id]),
    ]
    for attempt in attempts:
        with pytest.raises(openai.NotFoundError):
            attempt()
    theirs = other.vector_stores.create(name="theirs")
    with pytest.raises(openai.NotFoundError):
        other.vector_stores.files.create(vector_store_id=theirs.id, file_id=file_id)
    with pytest.raises(openai.NotFoundError):
        other.vector_stores.file_batches.create(theirs.id, file_ids=[file_id])
    assert client.vector_stores.retrieve(store.id).name == "mine"
