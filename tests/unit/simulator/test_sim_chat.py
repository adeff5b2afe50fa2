"""Chat Completions: echo rules, tool calls, refusals, streams, stored completions."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from gateway.simulator import SimulatorState
from tests.unit.simulator.sim_helpers import datas

pytestmark = pytest.mark.anyio

TOOLS = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]


async def chat(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    body.setdefault("model", "gpt-4o-mini")
    response = await client.post("/v1/chat/completions", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def user(text: Any) -> list[dict[str, Any]]:
    return [{"role": "system", "content": "be brief"}, {"role": "user", "content": text}]


async def test_echoes_the_last_user_message(client: httpx.AsyncClient) -> None:
    result = await chat(client, messages=user("Hi, I am Zoë Müller"))
    assert result["object"] == "chat.completion"
    assert result["id"].startswith("chatcmpl-")
    assert isinstance(result["created"], int)
    choice = result["choices"][0]
    assert choice["message"]["content"] == "You said: Hi, I am Zoë Müller"
    assert choice["finish_reason"] == "stop"
    usage = result["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


async def test_text_parts_are_joined(client: httpx.AsyncClient) -> None:
    parts = [{"type": "text", "text": "one"}, {"type": "text", "text": "two"}]
    result = await chat(client, messages=user(parts))
    assert result["choices"][0]["message"]["content"] == "You said: one\ntwo"


async def test_tool_message_is_echoed_as_tool_result(client: httpx.AsyncClient) -> None:
    messages = [
        *user("find Bob"),
        {"role": "assistant", "content": None, "tool_calls": []},
        {"role": "tool", "tool_call_id": "call_1", "content": "Bob lives in Paris"},
    ]
    result = await chat(client, messages=messages, tools=TOOLS)
    assert result["choices"][0]["message"]["content"] == "Tool result: Bob lives in Paris"


async def test_tools_answer_with_a_call_to_the_first_function(client: httpx.AsyncClient) -> None:
    result = await chat(client, messages=user("email jane@example.com"), tools=TOOLS)
    choice = result["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    call = choice["message"]["tool_calls"][0]
    assert call["id"].startswith("call_")
    assert call["function"]["name"] == "lookup"
    assert json.loads(call["function"]["arguments"]) == {"query": "email jane@example.com"}
    assert choice["message"]["content"] is None


async def test_tool_choice_none_and_named(client: httpx.AsyncClient) -> None:
    plain = await chat(client, messages=user("x"), tools=TOOLS, tool_choice="none")
    assert plain["choices"][0]["message"]["content"] == "You said: x"
    tools = [*TOOLS, {"type": "function", "function": {"name": "other"}}]
    named = {"type": "function", "function": {"name": "other"}}
    result = await chat(client, messages=user("x"), tools=tools, tool_choice=named)
    assert result["choices"][0]["message"]["tool_calls"][0]["function"]["name"] == "other"


async def test_legacy_functions_answer_with_function_call(client: httpx.AsyncClient) -> None:
    result = await chat(client, messages=user("x"), functions=[{"name": "old"}])
    choice = result["choices"][0]
    assert choice["finish_reason"] == "function_call"
    assert choice["message"]["function_call"] == {"name": "old", "arguments": '{"query": "x"}'}


async def test_structured_output_is_json(client: httpx.AsyncClient) -> None:
    schema = {"type": "json_schema", "json_schema": {"name": "e", "schema": {}}}
    result = await chat(client, messages=user("Ann"), response_format=schema)
    assert json.loads(result["choices"][0]["message"]["content"]) == {"echo": "Ann"}


async def test_refuse_directive_gives_a_refusal(client: httpx.AsyncClient) -> None:
    result = await chat(client, messages=user("[[refuse]] tell Ann"))
    message = result["choices"][0]["message"]
    assert message["content"] is None
    assert message["refusal"] == "I can't help with that: tell Ann"


async def test_n_gives_that_many_choices(client: httpx.AsyncClient) -> None:
    result = await chat(client, messages=user("x"), n=3)
    assert [c["index"] for c in result["choices"]] == [0, 1, 2]


@pytest.mark.parametrize(
    "body",
    [
        {"messages": user("x")},
        {"model": "m"},
        {"model": "m", "messages": []},
        {"model": "m", "messages": user("x"), "n": 0},
    ],
)
async def test_invalid_requests_get_400(client: httpx.AsyncClient, body: dict[str, Any]) -> None:
    response = await client.post("/v1/chat/completions", json=body)
    assert response.status_code == 400
    assert set(response.json()["error"]) == {"message", "type", "code", "param"}


async def stream(client: httpx.AsyncClient, **body: Any) -> list[Any]:
    body.setdefault("model", "gpt-4o-mini")
    response = await client.post("/v1/chat/completions", json={**body, "stream": True})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    return datas(response.text)


async def test_stream_sends_role_then_pieces_then_finish(client: httpx.AsyncClient) -> None:
    chunks = await stream(client, messages=user("Hello there Zoë"))
    assert chunks[-1] == "[DONE]"
    deltas = [chunk["choices"][0] for chunk in chunks[:-1]]
    assert deltas[0]["delta"]["role"] == "assistant"
    text = "".join(d["delta"].get("content") or "" for d in deltas)
    assert text == "You said: Hello there Zoë"
    assert all(len(d["delta"].get("content") or "") <= 4 for d in deltas)
    assert deltas[-1]["finish_reason"] == "stop"
    assert all(chunk["object"] == "chat.completion.chunk" for chunk in chunks[:-1])
    assert "usage" not in chunks[0]


async def test_stream_include_usage_adds_a_usage_chunk(client: httpx.AsyncClient) -> None:
    chunks = await stream(client, messages=user("x"), stream_options={"include_usage": True})
    assert chunks[-2]["choices"] == []
    assert chunks[-2]["usage"]["total_tokens"] > 0
    assert all(chunk["usage"] is None for chunk in chunks[:-2])


async def test_stream_piece_size_is_configurable(
    client: httpx.AsyncClient, state: SimulatorState
) -> None:
    state.stream_piece_chars = None
    chunks = await stream(client, messages=user("abcdefgh"))
    assert [c["choices"][0]["delta"].get("content") for c in chunks[1:-2]] == ["You said: abcdefgh"]


async def test_stream_tool_call_arguments(client: httpx.AsyncClient) -> None:
    chunks = await stream(client, messages=user("Ann Lee"), tools=TOOLS)
    deltas = [chunk["choices"][0] for chunk in chunks[:-1]]
    head = deltas[0]["delta"]["tool_calls"][0]
    assert head["function"] == {"name": "lookup", "arguments": ""}
    assert head["id"].startswith("call_")
    arguments = "".join(
        d["delta"]["tool_calls"][0]["function"]["arguments"]
        for d in deltas
        if d["delta"].get("tool_calls")
    )
    assert json.loads(arguments) == {"query": "Ann Lee"}
    assert deltas[-1]["finish_reason"] == "tool_calls"


async def test_stream_refusal(client: httpx.AsyncClient) -> None:
    chunks = await stream(client, messages=user("[[refuse]] Ann"))
    refusal = "".join(c["choices"][0]["delta"].get("refusal") or "" for c in chunks[:-1])
    assert refusal == "I can't help with that: Ann"


async def test_stream_interleaves_choices(client: httpx.AsyncClient) -> None:
    chunks = await stream(client, messages=user("abc"), n=2)
    indexes = [c["choices"][0]["index"] for c in chunks[:-1]]
    assert indexes[:4] == [0, 1, 0, 1]
    for index in (0, 1):
        text = "".join(
            c["choices"][0]["delta"].get("content") or ""
            for c in chunks[:-1]
            if c["choices"][0]["index"] == index
        )
        assert text == "You said: abc"


async def test_stored_completion_lifecycle(client: httpx.AsyncClient) -> None:
    created = await chat(client, messages=user("Ann"), store=True, metadata={"topic": "a"})
    await chat(client, messages=user("Bob"), store=True, metadata={"topic": "b"})
    await chat(client, messages=user("not stored"))
    url = f"/v1/chat/completions/{created['id']}"
    fetched = (await client.get(url)).json()
    assert fetched["choices"] == created["choices"]
    listed = (await client.get("/v1/chat/completions", params={"metadata[topic]": "a"})).json()
    assert [c["id"] for c in listed["data"]] == [created["id"]]
    assert len((await client.get("/v1/chat/completions")).json()["data"]) == 2
    messages = (await client.get(url + "/messages")).json()["data"]
    assert [m["content"] for m in messages] == ["be brief", "Ann"]
    updated = (await client.post(url, json={"metadata": {"topic": "z"}})).json()
    assert updated["metadata"] == {"topic": "z"}
    gone = (await client.delete(url)).json()
    assert gone == {"id": created["id"], "object": "chat.completion.deleted", "deleted": True}
    assert (await client.get(url)).status_code == 404


async def test_streamed_completion_can_be_stored(
    client: httpx.AsyncClient, state: SimulatorState
) -> None:
    chunks = await stream(client, messages=user("Ann"), store=True)
    fetched = await client.get(f"/v1/chat/completions/{chunks[0]['id']}")
    assert fetched.json()["choices"][0]["message"]["content"] == "You said: Ann"
    assert chunks[0]["id"] in state.live_ids()
