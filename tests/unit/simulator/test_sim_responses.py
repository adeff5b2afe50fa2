"""Responses API: echo output, tools, reasoning, chains, storage and the event stream."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from gateway.simulator import SimulatorState
from tests.unit.simulator.sim_helpers import sse_events

pytestmark = pytest.mark.anyio

TOOLS = [{"type": "function", "name": "lookup", "parameters": {"type": "object"}}]


async def respond(client: httpx.AsyncClient, status: int = 200, **body: Any) -> dict[str, Any]:
    body.setdefault("model", "gpt-4.1")
    response = await client.post("/v1/responses", json=body)
    assert response.status_code == status, response.text
    result: dict[str, Any] = response.json()
    return result


def only_text(response: dict[str, Any]) -> str:
    part = response["output"][-1]["content"][0]
    text: str = part["text"]
    return text


async def test_string_input_is_echoed_with_a_citation(client: httpx.AsyncClient) -> None:
    result = await respond(client, input="I am Zoë Müller", instructions="Be nice to Ann")
    assert result["id"].startswith("resp_")
    assert (result["object"], result["status"]) == ("response", "completed")
    assert result["instructions"] == "Be nice to Ann"
    message = result["output"][0]
    assert message["id"].startswith("msg_")
    part = message["content"][0]
    assert part["text"] == "You said: I am Zoë Müller"
    annotation = part["annotations"][0]
    assert annotation["type"] == "url_citation"
    assert part["text"][annotation["start_index"] : annotation["end_index"]] == "I am Zoë Müller"
    usage = result["usage"]
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]


async def test_item_input_uses_the_last_user_message(client: httpx.AsyncClient) -> None:
    items = [
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": "ok"},
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "last"}]},
    ]
    assert only_text(await respond(client, input=items)) == "You said: last"


async def test_function_tool_gives_a_function_call(client: httpx.AsyncClient) -> None:
    result = await respond(client, input="Call Ann", tools=TOOLS)
    call = result["output"][0]
    assert call["type"] == "function_call"
    assert call["name"] == "lookup"
    assert call["call_id"].startswith("call_")
    assert json.loads(call["arguments"]) == {"query": "Call Ann"}
    plain = await respond(client, input="Call Ann", tools=TOOLS, tool_choice="none")
    assert only_text(plain) == "You said: Call Ann"


async def test_function_output_is_echoed_as_tool_result(client: httpx.AsyncClient) -> None:
    first = await respond(client, input="Call Ann", tools=TOOLS)
    call_id = first["output"][0]["call_id"]
    output = {"type": "function_call_output", "call_id": call_id, "output": "Ann: 555-0100"}
    result = await respond(client, input=[output], tools=TOOLS, previous_response_id=first["id"])
    assert only_text(result).startswith("Tool result: Ann: 555-0100")
    assert result["previous_response_id"] == first["id"]


async def test_history_supplies_the_user_text(client: httpx.AsyncClient) -> None:
    first = await respond(client, input="Remember Ann")
    result = await respond(client, input=[], previous_response_id=first["id"])
    assert only_text(result) == "You said: Remember Ann"


async def test_reasoning_refusal_and_json(client: httpx.AsyncClient) -> None:
    reasoned = await respond(client, input="Ann", reasoning={"effort": "low", "summary": "auto"})
    assert reasoned["output"][0]["type"] == "reasoning"
    assert reasoned["output"][0]["summary"][0]["text"] == "The user said: Ann"
    refused = await respond(client, input="[[refuse]] Ann")
    assert refused["output"][0]["content"][0] == {
        "type": "refusal",
        "refusal": "I can't help with that: Ann",
    }
    fmt = {"format": {"type": "json_schema", "name": "x", "schema": {}}}
    assert json.loads(only_text(await respond(client, input="Ann", text=fmt))) == {"echo": "Ann"}


async def test_missing_model_and_unknown_previous(client: httpx.AsyncClient) -> None:
    assert (await client.post("/v1/responses", json={"input": "x"})).status_code == 400
    missing = await respond(client, 404, input="x", previous_response_id="resp_nope")
    assert missing["error"]["param"] == "previous_response_id"
    assert (await respond(client, 404, input="x", conversation="conv_nope"))["error"]


async def test_storage_retrieve_input_items_delete(client: httpx.AsyncClient) -> None:
    items = [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]
    created = await respond(client, input=items)
    url = f"/v1/responses/{created['id']}"
    assert (await client.get(url)).json() == created
    listed = (await client.get(url + "/input_items")).json()
    assert [i["content"][0]["text"] for i in listed["data"]] == ["b", "a"]
    asc = (await client.get(url + "/input_items", params={"order": "asc", "limit": 1})).json()
    assert ([i["content"][0]["text"] for i in asc["data"]], asc["has_more"]) == (["a"], True)
    assert (await client.delete(url)).json() == {
        "id": created["id"],
        "object": "response",
        "deleted": True,
    }
    assert (await client.get(url)).status_code == 404


async def test_store_false_keeps_nothing(client: httpx.AsyncClient, state: SimulatorState) -> None:
    created = await respond(client, input="x", store=False)
    assert (await client.get(f"/v1/responses/{created['id']}")).status_code == 404
    assert state.live_ids() == set()


async def test_cancel(client: httpx.AsyncClient) -> None:
    plain = await respond(client, input="x")
    assert (await client.post(f"/v1/responses/{plain['id']}/cancel")).status_code == 400
    queued = await respond(client, input="x", background=True)
    assert (queued["status"], queued["output"]) == ("queued", [])
    cancelled = await client.post(f"/v1/responses/{queued['id']}/cancel")
    assert cancelled.status_code == 200
    fetched = (await client.get(f"/v1/responses/{queued['id']}")).json()
    assert only_text(fetched) == "You said: x"


async def test_conversation_collects_items(client: httpx.AsyncClient) -> None:
    conversation = (await client.post("/v1/conversations", json={})).json()
    result = await respond(client, input="Ann", conversation={"id": conversation["id"]})
    assert result["conversation"] == {"id": conversation["id"]}
    items = await client.get(f"/v1/conversations/{conversation['id']}/items?order=asc")
    assert [i["role"] for i in items.json()["data"]] == ["user", "assistant"]
    both = await respond(
        client, 400, input="x", conversation=conversation["id"], previous_response_id=result["id"]
    )
    assert both["error"]["code"] == "mutually_exclusive_parameters"


async def stream(client: httpx.AsyncClient, **body: Any) -> list[dict[str, Any]]:
    response = await client.post("/v1/responses", json={"model": "m", **body, "stream": True})
    assert response.status_code == 200
    events = sse_events(response.text)
    assert all(name == data["type"] for name, data in events)
    datas = [data for _, data in events]
    assert [d["sequence_number"] for d in datas] == list(range(len(datas)))
    return datas


def joined(events: list[dict[str, Any]], kind: str) -> str:
    return "".join(e["delta"] for e in events if e["type"] == kind)


async def test_stream_text_sequence(client: httpx.AsyncClient) -> None:
    events = await stream(client, input="Zoë Müller")
    kinds = [e["type"] for e in events]
    assert kinds[:4] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
    ]
    assert kinds[-4:] == [
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert "response.output_text.annotation.added" in kinds
    assert joined(events, "response.output_text.delta") == "You said: Zoë Müller"
    assert events[0]["response"]["status"] == "in_progress"
    final = events[-1]["response"]
    fetched = (await client.get(f"/v1/responses/{final['id']}")).json()
    assert fetched == final


async def test_stream_function_call_reasoning_refusal(client: httpx.AsyncClient) -> None:
    events = await stream(client, input="Ann", tools=TOOLS, reasoning={"effort": "low"})
    assert joined(events, "response.reasoning_summary_text.delta") == "The user said: Ann"
    arguments = joined(events, "response.function_call_arguments.delta")
    assert json.loads(arguments) == {"query": "Ann"}
    done = [e for e in events if e["type"] == "response.function_call_arguments.done"]
    assert (done[0]["arguments"], done[0]["name"]) == (arguments, "lookup")
    refused = await stream(client, input="[[refuse]] Ann")
    assert joined(refused, "response.refusal.delta") == "I can't help with that: Ann"
    assert "response.refusal.done" in [e["type"] for e in refused]
