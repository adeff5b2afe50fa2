"""Conversations: CRUD and items."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.anyio


def message(text: str) -> dict[str, object]:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


async def test_conversation_lifecycle(client: httpx.AsyncClient) -> None:
    created = await client.post(
        "/v1/conversations", json={"items": [message("Ann")], "metadata": {"k": "v"}}
    )
    conversation = created.json()
    assert conversation["id"].startswith("conv_")
    assert (conversation["object"], conversation["metadata"]) == ("conversation", {"k": "v"})
    url = f"/v1/conversations/{conversation['id']}"
    assert (await client.get(url)).json() == conversation
    updated = await client.post(url, json={"metadata": {"k": "w"}})
    assert updated.json()["metadata"] == {"k": "w"}
    assert (await client.post(url, json={})).status_code == 400
    gone = (await client.delete(url)).json()
    assert gone == {"id": conversation["id"], "object": "conversation.deleted", "deleted": True}
    assert (await client.get(url)).status_code == 404


async def test_items(client: httpx.AsyncClient) -> None:
    conversation = (await client.post("/v1/conversations", json={"items": [message("a")]})).json()
    url = f"/v1/conversations/{conversation['id']}/items"
    added = (await client.post(url, json={"items": [message("b"), message("c")]})).json()
    assert added["object"] == "list"
    assert [i["id"][:4] for i in added["data"]] == ["msg_", "msg_"]
    listed = (await client.get(url)).json()
    assert [i["content"][0]["text"] for i in listed["data"]] == ["c", "b", "a"]
    item_id = added["data"][0]["id"]
    assert (await client.get(f"{url}/{item_id}")).json()["content"][0]["text"] == "b"
    after_delete = (await client.delete(f"{url}/{item_id}")).json()
    assert after_delete["id"] == conversation["id"]
    assert (await client.get(f"{url}/{item_id}")).status_code == 404
    assert len((await client.get(url)).json()["data"]) == 2


async def test_string_content_becomes_parts(client: httpx.AsyncClient) -> None:
    items = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]
    conversation = (await client.post("/v1/conversations", json={"items": items})).json()
    listed = await client.get(f"/v1/conversations/{conversation['id']}/items?order=asc")
    parts = [i["content"][0] for i in listed.json()["data"]]
    assert [p["type"] for p in parts] == ["input_text", "output_text"]


async def test_limits_and_unknowns(client: httpx.AsyncClient) -> None:
    too_many = {"items": [message(str(i)) for i in range(21)]}
    assert (await client.post("/v1/conversations", json=too_many)).status_code == 400
    assert (await client.post("/v1/conversations", json={"items": "x"})).status_code == 400
    assert (
        await client.post("/v1/conversations/conv_x/items", json={"items": []})
    ).status_code == 404
    assert (await client.get("/v1/conversations/conv_x/items")).status_code == 404
