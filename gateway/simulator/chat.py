"""Chat Completions: ``POST /v1/chat/completions`` and stored completions.

The answer echoes the request so a test sees restoration at work:
"You said: <last user text>", "Tool result: <tool output>", a tool call whose
arguments carry the user text, a refusal, or a JSON object for structured
output. Streams follow OpenAI's chunk sequence (role first, deltas, finish
reason, optional usage chunk, ``[DONE]``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from gateway.simulator.chat_stream import completion_chunks
from gateway.simulator.common import (
    ECHO_PREFIX,
    TOOL_PREFIX,
    Call,
    Endpoint,
    Reply,
    count_tokens,
    deleted,
    first_function,
    is_refusal,
    metadata_of,
    new_id,
    now,
    page,
    query_arguments,
    refusal_text,
    required,
    text_of,
)
from gateway.simulator.errors import invalid, not_found
from gateway.simulator.sse import EventStream
from gateway.simulator.state import JsonObject, SimulatorState

SYSTEM_FINGERPRINT = "fp_simulated"


def endpoints() -> list[Endpoint]:
    return [
        Endpoint("POST", "/chat/completions", create),
        Endpoint("GET", "/chat/completions", list_stored),
        Endpoint("GET", "/chat/completions/{completion_id}", retrieve),
        Endpoint("POST", "/chat/completions/{completion_id}", update),
        Endpoint("DELETE", "/chat/completions/{completion_id}", delete),
        Endpoint("GET", "/chat/completions/{completion_id}/messages", messages),
    ]


@dataclass(frozen=True, slots=True)
class Answer:
    """What the simulated model says for one choice."""

    content: str | None = None
    refusal: str | None = None
    tool_name: str | None = None
    arguments: str | None = None
    legacy_function: bool = False

    @property
    def finish_reason(self) -> str:
        if self.tool_name is None:
            return "stop"
        return "function_call" if self.legacy_function else "tool_calls"

    def output_text(self) -> str:
        return self.content or self.refusal or self.arguments or ""


def last_user_text(messages: list[Any]) -> str:
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            return text_of(message.get("content"))
    return ""


def answer_for(body: JsonObject) -> Answer:
    """The echo rules of the brief, in priority order."""
    messages: list[Any] = body["messages"]
    last = messages[-1]
    if last.get("role") in ("tool", "function"):
        return Answer(content=TOOL_PREFIX + text_of(last.get("content")))
    text = last_user_text(messages)
    if is_refusal(text):
        return Answer(refusal=refusal_text(text))
    if last.get("role") == "user":
        called = _tool_call(body, text)
        if called is not None:
            return called
    response_format = body.get("response_format") or {}
    if response_format.get("type") in ("json_schema", "json_object"):
        return Answer(content=json.dumps({"echo": text}))
    return Answer(content=ECHO_PREFIX + text)


def _tool_call(body: JsonObject, text: str) -> Answer | None:
    tool_choice = body.get("tool_choice")
    tool = first_function(body.get("tools"))
    if tool is not None and tool_choice != "none":
        name = str(tool.get("function", {}).get("name", ""))
        if isinstance(tool_choice, dict) and tool_choice.get("type") == "function":
            name = str(tool_choice.get("function", {}).get("name", name))
        return Answer(tool_name=name, arguments=query_arguments(text))
    functions = body.get("functions")
    if isinstance(functions, list) and functions and body.get("function_call") != "none":
        name = str(functions[0].get("name", ""))
        return Answer(tool_name=name, arguments=query_arguments(text), legacy_function=True)
    return None


def message_of(answer: Answer) -> JsonObject:
    message: JsonObject = {
        "role": "assistant",
        "content": answer.content,
        "refusal": answer.refusal,
        "annotations": [],
    }
    if answer.tool_name is not None and answer.legacy_function:
        message["function_call"] = {"name": answer.tool_name, "arguments": answer.arguments}
    elif answer.tool_name is not None:
        message["tool_calls"] = [
            {
                "id": new_id("call_"),
                "type": "function",
                "function": {"name": answer.tool_name, "arguments": answer.arguments},
            }
        ]
    return message


def _usage(body: JsonObject, answers: list[Answer]) -> JsonObject:
    prompt = sum(count_tokens(text_of(m.get("content"))) for m in body["messages"]) + 3
    completion = sum(count_tokens(answer.output_text()) for answer in answers)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _validated(call: Call) -> JsonObject:
    body = call.json()
    required(body, "model")
    messages = required(body, "messages")
    if not isinstance(messages, list) or not messages:
        raise invalid("messages", "Invalid 'messages': expected a non-empty array.")
    if not all(isinstance(m, dict) and isinstance(m.get("role"), str) for m in messages):
        raise invalid("messages", "Invalid 'messages': each message needs a 'role'.")
    n = body.get("n", 1)
    if n is None:
        n = 1
    if type(n) is not int or not 1 <= n <= 128:
        raise invalid("n", "Invalid 'n': must be an integer between 1 and 128.")
    return body


def create(state: SimulatorState, call: Call) -> Reply:
    body = _validated(call)
    answer = answer_for(body)
    answers = [answer] * (body.get("n") or 1)
    completion: JsonObject = {
        "id": new_id("chatcmpl-"),
        "object": "chat.completion",
        "created": now(),
        "model": body["model"],
        "choices": [
            {
                "index": i,
                "message": message_of(a),
                "logprobs": None,
                "finish_reason": a.finish_reason,
            }
            for i, a in enumerate(answers)
        ],
        "usage": _usage(body, answers),
        "service_tier": body.get("service_tier") or "default",
        "system_fingerprint": SYSTEM_FINGERPRINT,
    }
    if body.get("store"):
        _store(state, body, completion)
    if body.get("stream"):
        options = body.get("stream_options") or {}
        return EventStream(
            completion_chunks(
                completion, state.stream_piece_chars, bool(options.get("include_usage"))
            )
        )
    return completion


def _store(state: SimulatorState, body: JsonObject, completion: JsonObject) -> None:
    completion_id = str(completion["id"])
    state.store.chat_completions[completion_id] = {
        **completion,
        "metadata": metadata_of(body),
    }
    state.store.chat_messages[completion_id] = [
        {
            "id": f"{completion_id}-{index}",
            "role": message["role"],
            "content": text_of(message.get("content")),
            "name": message.get("name"),
            "content_parts": message.get("content")
            if isinstance(message.get("content"), list)
            else None,
        }
        for index, message in enumerate(body["messages"])
    ]


def _stored(state: SimulatorState, call: Call) -> JsonObject:
    completion_id = call.params["completion_id"]
    found = state.store.chat_completions.get(completion_id)
    if found is None:
        raise not_found("chat completion", completion_id)
    return found


def list_stored(state: SimulatorState, call: Call) -> Reply:
    wanted = {
        key[len("metadata[") : -1]: value
        for key, value in call.query.items()
        if key.startswith("metadata[") and key.endswith("]")
    }
    model = call.query.get("model")
    items = [
        completion
        for completion in state.store.chat_completions.values()
        if (model is None or completion["model"] == model)
        and all(completion["metadata"].get(k) == v for k, v in wanted.items())
    ]
    return page(call, items, default_order="asc")


def retrieve(state: SimulatorState, call: Call) -> Reply:
    return _stored(state, call)


def update(state: SimulatorState, call: Call) -> Reply:
    completion = _stored(state, call)
    completion["metadata"] = metadata_of(call.json())
    return completion


def delete(state: SimulatorState, call: Call) -> Reply:
    completion = _stored(state, call)
    del state.store.chat_completions[completion["id"]]
    state.store.chat_messages.pop(completion["id"], None)
    return deleted(completion["id"], "chat.completion.deleted")


def messages(state: SimulatorState, call: Call) -> Reply:
    completion = _stored(state, call)
    return page(call, state.store.chat_messages[completion["id"]], default_order="asc")
