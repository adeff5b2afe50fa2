"""Responses API: stateful ``/v1/responses`` with chains, conversations, streams.

The output echoes the last user input as an ``output_text`` carrying one
``url_citation`` whose ``start_index``/``end_index`` span the echoed part, so
a test sees the gateway shift annotation offsets when a restored value is
longer or shorter than its token. With a custom (free-form) tool offered and
no function tool, the answer is a ``custom_tool_call`` whose ``input`` is the
user text.
"""

from __future__ import annotations

import json
from typing import Any

from gateway.simulator import conversations
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
from gateway.simulator.errors import ApiError
from gateway.simulator.items import item_text, last_user_text, normalise_input
from gateway.simulator.responses_stream import response_events
from gateway.simulator.sse import EventStream
from gateway.simulator.state import JsonObject, SimulatorState

CITATION_URL = "https://example.com/echo"
REASONING_PREFIX = "The user said: "


def endpoints() -> list[Endpoint]:
    return [
        Endpoint("POST", "/responses", create),
        Endpoint("GET", "/responses/{response_id}", retrieve),
        Endpoint("DELETE", "/responses/{response_id}", delete),
        Endpoint("POST", "/responses/{response_id}/cancel", cancel),
        Endpoint("GET", "/responses/{response_id}/input_items", input_items),
    ]


def output_for(
    body: JsonObject, items: list[JsonObject], history: list[JsonObject]
) -> list[JsonObject]:
    """The output items: optional reasoning, then a message or a function call."""
    last = items[-1] if items else {}
    found = last_user_text(items)
    text = found if found is not None else last_user_text(history) or ""
    function_name = _function_call(body, last)
    custom_name = _custom_call(body, last)
    output: list[JsonObject] = []
    if body.get("reasoning"):
        output.append(_reasoning(text))
    if last.get("type") == "function_call_output":
        result = last.get("output")
        output.append(_message(_text_part(TOOL_PREFIX, text_of(result) or str(result or ""))))
    elif is_refusal(text):
        output.append(_message({"type": "refusal", "refusal": refusal_text(text)}))
    elif function_name is not None:
        output.append(_function_call_item(function_name, text))
    elif custom_name is not None:
        output.append(_custom_call_item(custom_name, text))
    elif _format_type(body) in ("json_schema", "json_object"):
        part = {"type": "output_text", "text": json.dumps({"echo": text}), "annotations": []}
        output.append(_message({**part, "logprobs": []}))
    else:
        output.append(_message(_text_part(ECHO_PREFIX, text)))
    return output


def _function_call(body: JsonObject, last: JsonObject) -> str | None:
    tool = first_function(body.get("tools"))
    is_user = last.get("type") == "message" and last.get("role") == "user"
    if tool is None or body.get("tool_choice") == "none" or not is_user:
        return None
    choice = body.get("tool_choice")
    if isinstance(choice, dict) and choice.get("type") == "function" and choice.get("name"):
        return str(choice["name"])
    return str(tool.get("name", ""))


def _custom_call(body: JsonObject, last: JsonObject) -> str | None:
    """The first custom tool's name, when the model should call it."""
    is_user = last.get("type") == "message" and last.get("role") == "user"
    tools = body.get("tools")
    if body.get("tool_choice") == "none" or not is_user or not isinstance(tools, list):
        return None
    for tool in tools:
        if isinstance(tool, dict) and tool.get("type") == "custom" and tool.get("name"):
            return str(tool["name"])
    return None


def _format_type(body: JsonObject) -> Any:
    text = body.get("text")
    return (text.get("format") or {}).get("type") if isinstance(text, dict) else None


def _text_part(prefix: str, text: str) -> JsonObject:
    annotation = {
        "type": "url_citation",
        "start_index": len(prefix),
        "end_index": len(prefix) + len(text),
        "url": CITATION_URL,
        "title": "Echo of the input",
    }
    return {
        "type": "output_text",
        "text": prefix + text,
        "annotations": [annotation],
        "logprobs": [],
    }


def _message(part: JsonObject) -> JsonObject:
    return {
        "type": "message",
        "id": new_id("msg_", 48),
        "status": "completed",
        "role": "assistant",
        "content": [part],
    }


def _function_call_item(name: str, text: str) -> JsonObject:
    return {
        "type": "function_call",
        "id": new_id("fc_", 48),
        "call_id": new_id("call_"),
        "name": name,
        "arguments": query_arguments(text),
        "status": "completed",
    }


def _custom_call_item(name: str, text: str) -> JsonObject:
    return {
        "type": "custom_tool_call",
        "id": new_id("ctc_", 48),
        "call_id": new_id("call_"),
        "name": name,
        "input": text,
        "status": "completed",
    }


def _reasoning(text: str) -> JsonObject:
    summary = {"type": "summary_text", "text": REASONING_PREFIX + text}
    return {"type": "reasoning", "id": new_id("rs_", 48), "summary": [summary]}


def _history(state: SimulatorState, body: JsonObject) -> list[JsonObject]:
    """Items the model would see before this input: the previous chain or conversation."""
    previous_id = body.get("previous_response_id")
    conversation_id = _conversation_id(body)
    if previous_id and conversation_id:
        raise ApiError(
            400,
            "Mutually exclusive parameters: 'previous_response_id' and 'conversation'.",
            code="mutually_exclusive_parameters",
            param="previous_response_id",
        )
    if conversation_id:
        conversations.conversation(state, conversation_id)
        return list(state.store.conversation_items[conversation_id])
    history: list[JsonObject] = []
    while previous_id:
        previous = state.store.responses.get(str(previous_id))
        if previous is None:
            raise ApiError(
                404,
                f"Previous response with id '{previous_id}' not found.",
                param="previous_response_id",
            )
        history[:0] = state.store.response_inputs[previous["id"]] + previous["output"]
        previous_id = previous.get("previous_response_id")
    return history


def _resolved(state: SimulatorState, items: list[JsonObject]) -> list[JsonObject]:
    """Input as the model sees it: an ``item_reference`` is the stored item it names.

    Any stored item of the account will do (a response's input or output, a
    conversation's item), whoever stored it: the account is one. An id that
    names nothing is a 404, as upstream.
    """
    if not any(item.get("type") == "item_reference" for item in items):
        return items
    known = [item for response_id, response in state.store.responses.items()
             for item in state.store.response_inputs[response_id] + response["output"]]
    known += [item for listed in state.store.conversation_items.values() for item in listed]
    stored = {str(item.get("id")): item for item in reversed(known)
              if item.get("type") != "item_reference"}
    context: list[JsonObject] = []
    for item in items:
        if item.get("type") != "item_reference":
            context.append(item)
        elif str(item.get("id")) in stored:
            context.append(stored[str(item.get("id"))])
        else:
            raise ApiError(404, f"Item with id '{item.get('id')}' not found.", param="input")
    return context


def _conversation_id(body: JsonObject) -> str | None:
    value = body.get("conversation")
    if isinstance(value, dict):
        value = value.get("id")
    return str(value) if value else None


def _usage(items: list[JsonObject], output: list[JsonObject]) -> JsonObject:
    prompt = sum(count_tokens(item_text(item)) for item in items)
    completion = sum(count_tokens(item_text(item)) for item in output)
    return {
        "input_tokens": prompt,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": completion,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": prompt + completion,
    }


def build(body: JsonObject, output: list[JsonObject], usage: JsonObject) -> JsonObject:
    conversation_id = _conversation_id(body)
    return {
        "id": new_id("resp_", 48),
        "object": "response",
        "created_at": now(),
        "status": "completed",
        "background": bool(body.get("background")),
        "error": None,
        "incomplete_details": None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "model": body["model"],
        "output": output,
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "previous_response_id": body.get("previous_response_id"),
        "conversation": {"id": conversation_id} if conversation_id else None,
        "prompt": body.get("prompt"),
        "reasoning": body.get("reasoning") or {"effort": None, "summary": None},
        "service_tier": "default",
        "store": body.get("store", True) is not False,
        "temperature": body.get("temperature", 1.0),
        "text": body.get("text") or {"format": {"type": "text"}},
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": body.get("tools") or [],
        "top_p": body.get("top_p", 1.0),
        "truncation": body.get("truncation", "disabled"),
        "usage": usage,
        "user": body.get("user"),
        "safety_identifier": body.get("safety_identifier"),
        "metadata": metadata_of(body),
    }


def create(state: SimulatorState, call: Call) -> Reply:
    body = call.json()
    required(body, "model")
    items = normalise_input(body.get("input") or [])
    history = _history(state, body)
    context = _resolved(state, items)
    output = output_for(body, context, history)
    response = build(body, output, _usage(history + context, output))
    conversation_id = _conversation_id(body)
    if conversation_id:
        conversations.append_items(state, conversation_id, items + output)
    if response["store"]:
        state.store.responses[response["id"]] = response
        state.store.response_inputs[response["id"]] = items
    if body.get("stream"):
        return EventStream(response_events(response, state.stream_piece_chars))
    if response["background"]:
        return {**response, "status": "queued", "output": [], "usage": None}
    return response


def _stored(state: SimulatorState, call: Call) -> JsonObject:
    response_id = call.params["response_id"]
    found = state.store.responses.get(response_id)
    if found is None:
        raise ApiError(404, f"Response with id '{response_id}' not found.", param="response_id")
    return found


def retrieve(state: SimulatorState, call: Call) -> Reply:
    return _stored(state, call)


def delete(state: SimulatorState, call: Call) -> Reply:
    response = _stored(state, call)
    del state.store.responses[response["id"]]
    del state.store.response_inputs[response["id"]]
    return deleted(response["id"], "response")


def cancel(state: SimulatorState, call: Call) -> Reply:
    """Background responses finish at once here, so cancelling one is a no-op answer."""
    response = _stored(state, call)
    if not response["background"]:
        raise ApiError(400, "Only responses created with background=true can be cancelled.")
    return response


def input_items(state: SimulatorState, call: Call) -> Reply:
    response = _stored(state, call)
    return page(call, state.store.response_inputs[response["id"]])
