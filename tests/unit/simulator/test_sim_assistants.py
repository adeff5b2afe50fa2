"""Assistants v2: beta header, assistants, threads, messages, runs, steps, streams."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.unit.simulator.sim_helpers import BETA, sse_events

pytestmark = pytest.mark.anyio

TOOLS = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]


async def post(client: httpx.AsyncClient, url: str, status: int = 200, **body: Any) -> Any:
    response = await client.post(url, json=body, headers=BETA)
    assert response.status_code == status, response.text
    return response.json() if not body.get("stream") else sse_events(response.text)


async def get(client: httpx.AsyncClient, url: str, **params: Any) -> Any:
    return (await client.get(url, params=params, headers=BETA)).json()


async def setup(client: httpx.AsyncClient, tools: list[Any] | None = None) -> tuple[str, str]:
    assistant = await post(client, "/v1/assistants", model="gpt-4o", tools=tools or [])
    thread = await post(
        client, "/v1/threads", messages=[{"role": "user", "content": "I am Zoë Müller"}]
    )
    return assistant["id"], thread["id"]


async def test_beta_header_is_required(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/assistants", json={"model": "m"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_beta"
    assert "assistants=v2" in response.json()["error"]["message"]


async def test_assistant_crud(client: httpx.AsyncClient) -> None:
    created = await post(
        client, "/v1/assistants", model="gpt-4o", instructions="Help Ann", description="d"
    )
    assert created["id"].startswith("asst_")
    assert (created["object"], created["instructions"]) == ("assistant", "Help Ann")
    url = f"/v1/assistants/{created['id']}"
    assert await get(client, url) == created
    updated = await post(client, url, name="helper", metadata={"k": "v"})
    assert (updated["name"], updated["metadata"]) == ("helper", {"k": "v"})
    assert [a["id"] for a in (await get(client, "/v1/assistants"))["data"]] == [created["id"]]
    gone = (await client.delete(url, headers=BETA)).json()
    assert gone == {"id": created["id"], "object": "assistant.deleted", "deleted": True}
    assert (await client.get(url, headers=BETA)).status_code == 404
    await post(client, "/v1/assistants", 400)


async def test_threads_and_messages(client: httpx.AsyncClient) -> None:
    _, thread_id = await setup(client)
    thread_url = f"/v1/threads/{thread_id}"
    assert (await get(client, thread_url))["object"] == "thread"
    assert (await post(client, thread_url, metadata={"k": "v"}))["metadata"] == {"k": "v"}
    parts = [{"type": "text", "text": "second"}]
    created = await post(client, thread_url + "/messages", role="user", content=parts)
    assert created["id"].startswith("msg_")
    assert created["content"] == [{"type": "text", "text": {"value": "second", "annotations": []}}]
    listed = await get(client, thread_url + "/messages")
    values = [m["content"][0]["text"]["value"] for m in listed["data"]]
    assert values == ["second", "I am Zoë Müller"]
    message_url = f"{thread_url}/messages/{created['id']}"
    assert (await get(client, message_url))["id"] == created["id"]
    assert (await post(client, message_url, metadata={"a": "b"}))["metadata"] == {"a": "b"}
    gone = (await client.delete(message_url, headers=BETA)).json()
    assert gone["object"] == "thread.message.deleted"
    await post(client, thread_url + "/messages", 400, role="system", content="x")
    deleted = (await client.delete(thread_url, headers=BETA)).json()
    assert deleted == {"id": thread_id, "object": "thread.deleted", "deleted": True}
    assert (await client.get(thread_url, headers=BETA)).status_code == 404


async def test_run_completes_with_an_echo(client: httpx.AsyncClient) -> None:
    assistant_id, thread_id = await setup(client)
    run = await post(client, f"/v1/threads/{thread_id}/runs", assistant_id=assistant_id)
    assert run["id"].startswith("run_")
    assert (run["status"], run["object"]) == ("completed", "thread.run")
    assert run["usage"]["total_tokens"] > 0
    messages = await get(client, f"/v1/threads/{thread_id}/messages", run_id=run["id"])
    reply = messages["data"][0]
    assert (reply["role"], reply["assistant_id"]) == ("assistant", assistant_id)
    assert reply["content"][0]["text"]["value"] == "You said: I am Zoë Müller"
    run_url = f"/v1/threads/{thread_id}/runs/{run['id']}"
    assert await get(client, run_url) == run
    steps = await get(client, run_url + "/steps")
    step = steps["data"][0]
    assert step["id"].startswith("step_")
    assert step["step_details"]["message_creation"]["message_id"] == reply["id"]
    assert await get(client, f"{run_url}/steps/{step['id']}") == step
    assert [r["id"] for r in (await get(client, f"/v1/threads/{thread_id}/runs"))["data"]] == [
        run["id"]
    ]
    assert (await post(client, run_url, metadata={"k": "v"}))["metadata"] == {"k": "v"}
    await post(client, run_url + "/cancel", 400)


async def test_tool_run_requires_action_then_completes(client: httpx.AsyncClient) -> None:
    assistant_id, thread_id = await setup(client, TOOLS)
    run = await post(client, f"/v1/threads/{thread_id}/runs", assistant_id=assistant_id)
    assert run["status"] == "requires_action"
    tool_call = run["required_action"]["submit_tool_outputs"]["tool_calls"][0]
    assert json.loads(tool_call["function"]["arguments"]) == {"query": "I am Zoë Müller"}
    run_url = f"/v1/threads/{thread_id}/runs/{run['id']}"
    await post(client, run_url + "/submit_tool_outputs", 400, tool_outputs=[])
    done = await post(
        client,
        run_url + "/submit_tool_outputs",
        tool_outputs=[{"tool_call_id": tool_call["id"], "output": "Zoë is in Rome"}],
    )
    assert (done["status"], done["required_action"]) == ("completed", None)
    messages = await get(client, f"/v1/threads/{thread_id}/messages")
    assert messages["data"][0]["content"][0]["text"]["value"] == "Tool result: Zoë is in Rome"
    steps = (await get(client, run_url + "/steps", order="asc"))["data"]
    assert steps[0]["step_details"]["tool_calls"][0]["function"]["output"] == "Zoë is in Rome"
    await post(client, run_url + "/submit_tool_outputs", 400, tool_outputs=[])


async def test_cancel_a_waiting_run(client: httpx.AsyncClient) -> None:
    assistant_id, thread_id = await setup(client, TOOLS)
    run = await post(client, f"/v1/threads/{thread_id}/runs", assistant_id=assistant_id)
    cancelled = await post(client, f"/v1/threads/{thread_id}/runs/{run['id']}/cancel")
    assert cancelled["status"] == "cancelled"


async def test_run_options(client: httpx.AsyncClient) -> None:
    assistant_id, thread_id = await setup(client, TOOLS)
    run = await post(
        client,
        f"/v1/threads/{thread_id}/runs",
        assistant_id=assistant_id,
        tools=[],
        additional_instructions="Call Ann",
        additional_messages=[{"role": "user", "content": "extra"}],
    )
    assert (run["status"], run["instructions"]) == ("completed", "Call Ann")
    await post(client, f"/v1/threads/{thread_id}/runs", 404, assistant_id="asst_nope")
    await post(client, "/v1/threads/thread_nope/runs", 404, assistant_id=assistant_id)


def deltas(events: list[tuple[str | None, Any]], name: str) -> list[Any]:
    return [data for event, data in events if event == name]


async def test_create_and_run_stream(client: httpx.AsyncClient) -> None:
    assistant_id, _ = await setup(client)
    thread = {"messages": [{"role": "user", "content": "Hi Ann"}]}
    events = await post(
        client, "/v1/threads/runs", assistant_id=assistant_id, thread=thread, stream=True
    )
    names = [event for event, _ in events]
    assert names[:4] == [
        "thread.created",
        "thread.run.created",
        "thread.run.queued",
        "thread.run.in_progress",
    ]
    assert names[-2:] == ["thread.run.completed", "done"]
    assert events[-1][1] == "[DONE]"
    assert all(data.get("type") != event for event, data in events[:-1])
    text = "".join(
        d["delta"]["content"][0]["text"]["value"] for d in deltas(events, "thread.message.delta")
    )
    assert text == "You said: Hi Ann"
    completed = deltas(events, "thread.message.completed")[0]
    assert completed["content"][0]["text"]["value"] == text


async def test_tool_run_stream_and_submit_stream(client: httpx.AsyncClient) -> None:
    assistant_id, thread_id = await setup(client, TOOLS)
    events = await post(
        client, f"/v1/threads/{thread_id}/runs", assistant_id=assistant_id, stream=True
    )
    step_deltas = deltas(events, "thread.run.step.delta")
    calls = [d["delta"]["step_details"]["tool_calls"][0] for d in step_deltas]
    assert calls[0]["id"].startswith("call_")
    assert json.loads("".join(c["function"]["arguments"] for c in calls)) == {
        "query": "I am Zoë Müller"
    }
    run = deltas(events, "thread.run.requires_action")[0]
    tool_call_id = run["required_action"]["submit_tool_outputs"]["tool_calls"][0]["id"]
    resumed = await post(
        client,
        f"/v1/threads/{thread_id}/runs/{run['id']}/submit_tool_outputs",
        tool_outputs=[{"tool_call_id": tool_call_id, "output": "Rome"}],
        stream=True,
    )
    names = [event for event, _ in resumed]
    assert names[0] == "thread.run.step.completed"
    assert names[-2:] == ["thread.run.completed", "done"]
    text = "".join(
        d["delta"]["content"][0]["text"]["value"] for d in deltas(resumed, "thread.message.delta")
    )
    assert text == "Tool result: Rome"
