"""Chat Completions streaming: the chunk sequence for a finished completion.

Built from the non-streamed completion so both forms say exactly the same
thing (a test compares the restored stream with the restored whole answer).
Choices interleave chunk by chunk, as OpenAI's do with ``n > 1``, so the
gateway must keep per-choice state.
"""

from __future__ import annotations

from itertools import zip_longest
from typing import Any

from gateway.simulator.common import pieces
from gateway.simulator.sse import DONE, SseEvent
from gateway.simulator.state import JsonObject


def completion_chunks(
    completion: JsonObject, piece_size: int | None, include_usage: bool
) -> list[SseEvent]:
    """Every SSE event of the stream, ``[DONE]`` included."""
    per_choice = [_choice_deltas(choice, piece_size) for choice in completion["choices"]]
    events: list[SseEvent] = []
    for row in zip_longest(*per_choice):
        for choice in row:
            if choice is not None:
                events.append(SseEvent(_chunk(completion, [choice], include_usage)))
    if include_usage:
        usage_chunk = _chunk(completion, [], include_usage)
        usage_chunk["usage"] = completion["usage"]
        events.append(SseEvent(usage_chunk))
    events.append(SseEvent(DONE))
    return events


def _chunk(completion: JsonObject, choices: list[JsonObject], include_usage: bool) -> JsonObject:
    chunk: JsonObject = {
        "id": completion["id"],
        "object": "chat.completion.chunk",
        "created": completion["created"],
        "model": completion["model"],
        "service_tier": completion["service_tier"],
        "system_fingerprint": completion["system_fingerprint"],
        "choices": choices,
    }
    if include_usage:
        chunk["usage"] = None
    return chunk


def _choice_deltas(choice: JsonObject, piece_size: int | None) -> list[JsonObject]:
    message: JsonObject = choice["message"]
    first: JsonObject = {
        "role": "assistant",
        "content": "" if message["content"] is not None else None,
    }
    rest: list[JsonObject] = []
    if message.get("refusal") is not None:
        first["refusal"] = ""
        rest = [{"refusal": piece} for piece in pieces(message["refusal"], piece_size)]
    elif message.get("tool_calls"):
        first["tool_calls"], rest = _tool_call_deltas(message["tool_calls"], piece_size)
    elif message.get("function_call"):
        call = message["function_call"]
        first["function_call"] = {"name": call["name"], "arguments": ""}
        rest = [
            {"function_call": {"arguments": piece}}
            for piece in pieces(call["arguments"], piece_size)
        ]
    else:
        first["refusal"] = None
        rest = [{"content": piece} for piece in pieces(message["content"] or "", piece_size)]
    index = choice["index"]
    return [_choice(index, delta, None) for delta in (first, *rest)] + [
        _choice(index, {}, choice["finish_reason"])
    ]


def _tool_call_deltas(
    tool_calls: list[JsonObject], piece_size: int | None
) -> tuple[list[JsonObject], list[JsonObject]]:
    """Tool call headers for the first chunk, then argument pieces per call."""
    heads = [
        {
            "index": index,
            "id": call["id"],
            "type": "function",
            "function": {"name": call["function"]["name"], "arguments": ""},
        }
        for index, call in enumerate(tool_calls)
    ]
    rest = [
        {"tool_calls": [{"index": index, "function": {"arguments": piece}}]}
        for index, call in enumerate(tool_calls)
        for piece in pieces(call["function"]["arguments"], piece_size)
    ]
    return heads, rest


def _choice(index: int, delta: JsonObject, finish_reason: Any) -> JsonObject:
    return {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
