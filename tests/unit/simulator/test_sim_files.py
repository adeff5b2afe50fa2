"""Files (multipart upload, content) and Batches."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from gateway.simulator import SimulatorState

pytestmark = pytest.mark.anyio


async def upload(
    client: httpx.AsyncClient, content: bytes, name: str = "notes.txt", purpose: str = "assistants"
) -> dict[str, Any]:
    response = await client.post(
        "/v1/files", files={"file": (name, content, "text/plain")}, data={"purpose": purpose}
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_upload_retrieve_content_delete(
    client: httpx.AsyncClient, state: SimulatorState
) -> None:
    created = await upload(client, b"Ann Lee, ann@example.com\n")
    assert created["id"].startswith("file-")
    assert (created["object"], created["bytes"], created["filename"]) == ("file", 25, "notes.txt")
    assert (created["purpose"], created["status"]) == ("assistants", "processed")
    url = f"/v1/files/{created['id']}"
    assert (await client.get(url)).json() == created
    body = await client.get(url + "/content")
    assert body.content == b"Ann Lee, ann@example.com\n"
    assert "ann@example.com" in state.bodies_text()
    gone = (await client.delete(url)).json()
    assert gone == {"id": created["id"], "object": "file", "deleted": True}
    assert (await client.get(url)).status_code == 404
    assert (await client.get(url + "/content")).status_code == 404


async def test_binary_upload_is_recorded_with_replacement(
    client: httpx.AsyncClient, state: SimulatorState
) -> None:
    await upload(client, b"\x00\xffZo\xc3\xab", name="x.bin")
    assert "Zoë" in state.bodies_text()


async def test_upload_needs_file_and_purpose(client: httpx.AsyncClient) -> None:
    no_purpose = await client.post("/v1/files", files={"file": ("a.txt", b"x")})
    assert no_purpose.json()["error"]["param"] == "purpose"
    no_file = await client.post("/v1/files", files={"purpose": (None, "batch")})
    assert no_file.json()["error"]["param"] == "file"


async def test_list_filters_by_purpose(client: httpx.AsyncClient) -> None:
    first = await upload(client, b"a", purpose="batch")
    second = await upload(client, b"b")
    listed = (await client.get("/v1/files")).json()
    assert [f["id"] for f in listed["data"]] == [second["id"], first["id"]]
    batch_only = (await client.get("/v1/files", params={"purpose": "batch"})).json()
    assert [f["id"] for f in batch_only["data"]] == [first["id"]]


async def test_batch_lifecycle(client: httpx.AsyncClient) -> None:
    line = {"custom_id": "1", "method": "POST", "url": "/v1/chat/completions", "body": {}}
    jsonl = (json.dumps(line) + "\n") * 3
    input_file = await upload(client, jsonl.encode(), name="in.jsonl", purpose="batch")
    request = {
        "input_file_id": input_file["id"],
        "endpoint": "/v1/chat/completions",
        "completion_window": "24h",
        "metadata": {"k": "v"},
    }
    batch = (await client.post("/v1/batches", json=request)).json()
    assert batch["id"].startswith("batch_")
    assert (batch["status"], batch["request_counts"]["total"]) == ("validating", 3)
    url = f"/v1/batches/{batch['id']}"
    assert (await client.get(url)).json() == batch
    assert [b["id"] for b in (await client.get("/v1/batches")).json()["data"]] == [batch["id"]]
    cancelled = (await client.post(url + "/cancel")).json()
    assert cancelled["status"] == "cancelled"
    assert (await client.post(url + "/cancel")).status_code == 400
    assert (await client.get("/v1/batches/batch_nope")).status_code == 404


async def test_batch_validation(client: httpx.AsyncClient) -> None:
    base = {"input_file_id": "file-nope", "endpoint": "/v1/chat/completions"}
    assert (await client.post("/v1/batches", json=base)).status_code == 400
    unknown = await client.post("/v1/batches", json={**base, "completion_window": "24h"})
    assert unknown.status_code == 404
    bad_window = await client.post("/v1/batches", json={**base, "completion_window": "1h"})
    assert bad_window.status_code == 400


async def test_malformed_multipart_is_400_in_openai_shape(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/files",
        content=b"--b\r\nContent-Disposition: form-data\r\n\r\nx",
        headers={"content-type": "multipart/form-data; boundary=b"},
    )
    assert response.status_code == 400
    assert set(response.json()["error"]) == {"message", "type", "code", "param"}
