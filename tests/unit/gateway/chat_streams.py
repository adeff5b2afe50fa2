"""Build Chat Completions SSE streams and read them back the way the SDK does."""

from __future__ import annotations

import itertools
import json
from typing import Any

from gateway.codecs.chat import ChatStreamRestorer
from gateway.sse import SSEDecoder

from .fakes import restorer_of


def chunk(delta: dict[str, Any], finish: str | None = None, index: int = 0) -> bytes:
    body = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1,
            "model": "m", "choices": [{"index": index, "delta": delta,
                                       "finish_reason": finish}]}
    return f"data: {json.dumps(body)}\n\n".encode()


def chat_stream(content: list[str], arguments: list[str] | None = None) -> bytes:
    parts = [chunk({"role": "assistant", "content": ""})]
    parts += [chunk({"content": piece}) for piece in content]
    for number, piece in enumerate(arguments or []):
        call: dict[str, Any] = {"index": 0, "function": {"arguments": piece}}
        if number == 0:
            call.update(id="call_1", type="function")
            call["function"]["name"] = "lookup"
        parts.append(chunk({"tool_calls": [call]}))
    parts.append(chunk({}, finish="tool_calls" if arguments else "stop"))
    parts.append(b"data: [DONE]\n\n")
    return b"".join(parts)


def restore_stream(raw: bytes, cuts: list[int], values: dict[str, str],
                   json_content: bool = False) -> tuple[str, str, list[str]]:
    """Feed ``raw`` cut at ``cuts``; return (content, arguments, raw data lines)."""
    return restore_stream_async(raw, cuts, values, json_content)


def restore_stream_async(raw: bytes, cuts: list[int], values: dict[str, str],
                               json_content: bool = False) -> tuple[str, str, list[str]]:
    restorer = ChatStreamRestorer(restorer_of(values),
                                  json_content=json_content)
    decoder = SSEDecoder()
    out = []
    bounds = [0, *sorted(cuts), len(raw)]
    for start, end in itertools.pairwise(bounds):
        for event in decoder.decode(raw[start:end]):
            out += restorer.on_event(event)
    for event in decoder.flush():
        out += restorer.on_event(event)
    out += restorer.finish()
    content, arguments, datas = "", "", []
    for event in out:
        datas.append(event.data or "")
        if event.data in (None, "[DONE]"):
            continue
        for choice in json.loads(event.data).get("choices", []):
            delta = choice["delta"]
            content += delta.get("content") or ""
            for call in delta.get("tool_calls") or []:
                arguments += call.get("function", {}).get("arguments") or ""
    return content, arguments, datas
