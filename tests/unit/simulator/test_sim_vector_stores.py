"""Vector stores: CRUD, attached files, file batches, content and search."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from gateway.simulator import SimulatorState

pytestmark = pytest.mark.anyio

DOC = "Ann Lee lives in Paris.\n\nHer phone is 555-0100.\n\nBob likes tea."


async def upload(client: httpx.AsyncClient, text: str, name: str = "doc.txt") -> str:
    response = await client.post(
        "/v1/files", files={"file": (name, text.encode())}, data={"purpose": "assistants"}
    )
    file_id: str = response.json()["id"]
    return file_id


async def make_store(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    response = await client.post("/v1/vector_stores", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_store_lifecycle(client: httpx.AsyncClient, state: SimulatorState) -> None:
    file_id = await upload(client, DOC)
    store = await make_store(client, name="kb", file_ids=[file_id], metadata={"k": "v"})
    assert store["id"].startswith("vs_")
    assert (store["object"], store["status"], store["name"]) == ("vector_store", "completed", "kb")
    assert store["file_counts"] == {
        "in_progress": 0,
        "completed": 1,
        "failed": 0,
        "cancelled": 0,
        "total": 1,
    }
    assert store["usage_bytes"] == len(DOC)
    url = f"/v1/vector_stores/{store['id']}"
    assert (await client.get(url)).json() == store
    updated = (await client.post(url, json={"name": "kb2", "metadata": {"k": "w"}})).json()
    assert (updated["name"], updated["metadata"]) == ("kb2", {"k": "w"})
    assert [s["id"] for s in (await client.get("/v1/vector_stores")).json()["data"]] == [
        store["id"]
    ]
    assert f"{store['id']}/{file_id}" in state.live_ids()
    gone = (await client.delete(url)).json()
    assert gone == {"id": store["id"], "object": "vector_store.deleted", "deleted": True}
    assert (await client.get(url)).status_code == 404
    assert state.live_ids() == {file_id}


async def test_unknown_file_is_404(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/vector_stores", json={"file_ids": ["file-nope"]})
    assert response.status_code == 404


async def test_attached_files(client: httpx.AsyncClient) -> None:
    store = await make_store(client)
    file_id = await upload(client, DOC)
    base = f"/v1/vector_stores/{store['id']}/files"
    attached = (await client.post(base, json={"file_id": file_id, "attributes": {"a": 1}})).json()
    assert (attached["id"], attached["object"]) == (file_id, "vector_store.file")
    assert (attached["vector_store_id"], attached["attributes"]) == (store["id"], {"a": 1})
    assert [f["id"] for f in (await client.get(base)).json()["data"]] == [file_id]
    assert (await client.get(f"{base}/{file_id}")).json() == attached
    updated = (await client.post(f"{base}/{file_id}", json={"attributes": {"a": 2}})).json()
    assert updated["attributes"] == {"a": 2}
    content = (await client.get(f"{base}/{file_id}/content")).json()
    assert content["object"] == "vector_store.file_content.page"
    assert [d["text"] for d in content["data"]][:2] == [
        "Ann Lee lives in Paris.",
        "Her phone is 555-0100.",
    ]
    gone = (await client.delete(f"{base}/{file_id}")).json()
    assert gone == {"id": file_id, "object": "vector_store.file.deleted", "deleted": True}
    assert (await client.get(f"{base}/{file_id}")).status_code == 404
    assert (await client.post(base, json={})).status_code == 400


async def test_file_batches(client: httpx.AsyncClient) -> None:
    store = await make_store(client)
    first, second = await upload(client, "one"), await upload(client, "two")
    base = f"/v1/vector_stores/{store['id']}/file_batches"
    batch = (await client.post(base, json={"file_ids": [first, second]})).json()
    assert batch["id"].startswith("vsfb_")
    assert (batch["object"], batch["file_counts"]["completed"]) == ("vector_store.files_batch", 2)
    assert (await client.get(f"{base}/{batch['id']}")).json() == batch
    files = (await client.get(f"{base}/{batch['id']}/files", params={"order": "asc"})).json()
    assert [f["id"] for f in files["data"]] == [first, second]
    per_file = [{"file_id": first, "attributes": {"x": "y"}}]
    batch2 = (await client.post(base, json={"files": per_file})).json()
    assert batch2["file_counts"]["total"] == 1
    cancelled = (await client.post(f"{base}/{batch['id']}/cancel")).json()
    assert cancelled["status"] == "cancelled"
    assert (await client.post(base, json={})).status_code == 400
    assert (await client.get(f"{base}/vsfb_nope")).status_code == 404


async def test_search(client: httpx.AsyncClient) -> None:
    doc = await upload(client, DOC, name="people.txt")
    other = await upload(client, "Paris is big.", name="city.txt")
    store = await make_store(client, file_ids=[doc])
    base = f"/v1/vector_stores/{store['id']}"
    await client.post(f"{base}/files", json={"file_id": other, "attributes": {"kind": "city"}})
    page = (await client.post(f"{base}/search", json={"query": "Ann Lee phone"})).json()
    assert page["object"] == "vector_store.search_results.page"
    assert page["search_query"] == ["Ann Lee phone"]
    top = page["data"][0]
    assert (top["file_id"], top["filename"]) == (doc, "people.txt")
    assert top["content"] == [{"type": "text", "text": "Ann Lee lives in Paris."}]
    assert 0 < top["score"] <= 1
    filtered = await client.post(
        f"{base}/search",
        json={"query": ["Paris"], "filters": {"type": "eq", "key": "kind", "value": "city"}},
    )
    assert [hit["file_id"] for hit in filtered.json()["data"]] == [other]
    assert filtered.json()["data"][0]["attributes"] == {"kind": "city"}
    one = await client.post(f"{base}/search", json={"query": "Paris", "max_num_results": 1})
    assert len(one.json()["data"]) == 1
    assert (await client.post(f"{base}/search", json={})).status_code == 400
    assert (await client.post(f"{base}/search", json={"query": [1]})).status_code == 400
