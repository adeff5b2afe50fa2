"""Assistants v2: assistants, threads and thread messages.

Every operation demands the ``OpenAI-Beta: assistants=v2`` header, as
OpenAI does; runs live in ``runs.py``.
"""

from __future__ import annotations

from typing import Any

from gateway.simulator.common import (
    Call,
    Endpoint,
    Reply,
    deleted,
    filtered,
    metadata_of,
    new_id,
    now,
    page,
    required,
)
from gateway.simulator.errors import invalid, not_found
from gateway.simulator.state import JsonObject, SimulatorState

BETA = "assistants=v2"
_ASSISTANT_FIELDS = (
    "name",
    "description",
    "model",
    "instructions",
    "tools",
    "tool_resources",
    "top_p",
    "temperature",
    "response_format",
    "reasoning_effort",
)


def endpoints() -> list[Endpoint]:
    operations = [
        ("POST", "/assistants", create_assistant),
        ("GET", "/assistants", list_assistants),
        ("GET", "/assistants/{assistant_id}", retrieve_assistant),
        ("POST", "/assistants/{assistant_id}", update_assistant),
        ("DELETE", "/assistants/{assistant_id}", delete_assistant),
        ("POST", "/threads", create_thread),
        ("GET", "/threads/{thread_id}", retrieve_thread),
        ("POST", "/threads/{thread_id}", update_thread),
        ("DELETE", "/threads/{thread_id}", delete_thread),
        ("POST", "/threads/{thread_id}/messages", create_message),
        ("GET", "/threads/{thread_id}/messages", list_messages),
        ("GET", "/threads/{thread_id}/messages/{message_id}", retrieve_message),
        ("POST", "/threads/{thread_id}/messages/{message_id}", update_message),
        ("DELETE", "/threads/{thread_id}/messages/{message_id}", delete_message),
    ]
    return [Endpoint(method, path, handler, beta=BETA) for method, path, handler in operations]


def assistant(state: SimulatorState, assistant_id: str) -> JsonObject:
    found = state.store.assistants.get(assistant_id)
    if found is None:
        raise not_found("assistant", assistant_id, param="assistant_id")
    return found


def thread(state: SimulatorState, thread_id: str) -> JsonObject:
    found = state.store.threads.get(thread_id)
    if found is None:
        raise not_found("thread", thread_id)
    return found


def create_assistant(state: SimulatorState, call: Call) -> Reply:
    body = call.json()
    required(body, "model")
    created: JsonObject = {
        "id": new_id("asst_"),
        "object": "assistant",
        "created_at": now(),
        "name": None,
        "description": None,
        "instructions": None,
        "tools": [],
        "tool_resources": {},
        "top_p": 1.0,
        "temperature": 1.0,
        "response_format": "auto",
        "metadata": metadata_of(body),
    }
    created.update({key: body[key] for key in _ASSISTANT_FIELDS if key in body})
    state.store.assistants[created["id"]] = created
    return created


def list_assistants(state: SimulatorState, call: Call) -> Reply:
    return page(call, list(state.store.assistants.values()))


def retrieve_assistant(state: SimulatorState, call: Call) -> Reply:
    return assistant(state, call.params["assistant_id"])


def update_assistant(state: SimulatorState, call: Call) -> Reply:
    found = assistant(state, call.params["assistant_id"])
    body = call.json()
    found.update({key: body[key] for key in _ASSISTANT_FIELDS if key in body})
    if "metadata" in body:
        found["metadata"] = metadata_of(body)
    return found


def delete_assistant(state: SimulatorState, call: Call) -> Reply:
    found = assistant(state, call.params["assistant_id"])
    del state.store.assistants[found["id"]]
    return deleted(found["id"], "assistant.deleted")


def new_thread(state: SimulatorState, body: JsonObject) -> JsonObject:
    """A thread with its initial messages (also used by create-and-run)."""
    messages = body.get("messages") or []
    if not isinstance(messages, list):
        raise invalid("messages", "Invalid 'messages': expected an array.")
    created: JsonObject = {
        "id": new_id("thread_"),
        "object": "thread",
        "created_at": now(),
        "metadata": metadata_of(body),
        "tool_resources": body.get("tool_resources") or {},
    }
    state.store.threads[created["id"]] = created
    state.store.messages[created["id"]] = []
    for message in messages:
        add_message(state, created["id"], _message_request(message))
    return created


def _message_request(message: Any) -> JsonObject:
    if not isinstance(message, dict):
        raise invalid("messages", "Invalid message: expected an object.")
    required(message, "role")
    required(message, "content")
    if message["role"] not in ("user", "assistant"):
        raise invalid("role", "Invalid 'role': expected 'user' or 'assistant'.")
    return message


def add_message(
    state: SimulatorState,
    thread_id: str,
    request: JsonObject,
    *,
    assistant_id: str | None = None,
    run_id: str | None = None,
) -> JsonObject:
    """Store a message in the shape OpenAI returns it."""
    created_at = now()
    message: JsonObject = {
        "id": new_id("msg_"),
        "object": "thread.message",
        "created_at": created_at,
        "assistant_id": assistant_id,
        "thread_id": thread_id,
        "run_id": run_id,
        "role": request["role"],
        "content": stored_content(request["content"]),
        "attachments": request.get("attachments") or [],
        "metadata": metadata_of(request),
        "status": "completed",
        "incomplete_details": None,
        "completed_at": created_at,
        "incomplete_at": None,
    }
    state.store.messages[thread_id].append(message)
    return message


def stored_content(content: Any) -> list[Any]:
    """Request content (a string or parts) as stored parts with ``text.value``."""
    if isinstance(content, str):
        return [text_part(content)]
    if not isinstance(content, list):
        raise invalid("content", "Invalid 'content': expected a string or an array of parts.")
    return [
        text_part(part["text"])
        if isinstance(part, dict)
        and part.get("type") == "text"
        and isinstance(part.get("text"), str)
        else part
        for part in content
    ]


def text_part(value: str) -> JsonObject:
    return {"type": "text", "text": {"value": value, "annotations": []}}


def create_thread(state: SimulatorState, call: Call) -> Reply:
    return new_thread(state, call.json())


def retrieve_thread(state: SimulatorState, call: Call) -> Reply:
    return thread(state, call.params["thread_id"])


def update_thread(state: SimulatorState, call: Call) -> Reply:
    found = thread(state, call.params["thread_id"])
    body = call.json()
    if "metadata" in body:
        found["metadata"] = metadata_of(body)
    if "tool_resources" in body:
        found["tool_resources"] = body["tool_resources"] or {}
    return found


def delete_thread(state: SimulatorState, call: Call) -> Reply:
    found = thread(state, call.params["thread_id"])
    del state.store.threads[found["id"]]
    del state.store.messages[found["id"]]
    for run_id in [k for k, run in state.store.runs.items() if run["thread_id"] == found["id"]]:
        del state.store.runs[run_id]
        state.store.steps.pop(run_id, None)
    return deleted(found["id"], "thread.deleted")


def create_message(state: SimulatorState, call: Call) -> Reply:
    thread_id = thread(state, call.params["thread_id"])["id"]
    return add_message(state, thread_id, _message_request(call.json()))


def list_messages(state: SimulatorState, call: Call) -> Reply:
    thread_id = thread(state, call.params["thread_id"])["id"]
    messages = filtered(state.store.messages[thread_id], run_id=call.query.get("run_id"))
    return page(call, messages)


def _message(state: SimulatorState, call: Call) -> JsonObject:
    thread_id = thread(state, call.params["thread_id"])["id"]
    message_id = call.params["message_id"]
    for message in state.store.messages[thread_id]:
        if message["id"] == message_id:
            return message
    raise not_found("message", message_id)


def retrieve_message(state: SimulatorState, call: Call) -> Reply:
    return _message(state, call)


def update_message(state: SimulatorState, call: Call) -> Reply:
    message = _message(state, call)
    message["metadata"] = metadata_of(call.json())
    return message


def delete_message(state: SimulatorState, call: Call) -> Reply:
    message = _message(state, call)
    state.store.messages[message["thread_id"]].remove(message)
    return deleted(message["id"], "thread.message.deleted")
