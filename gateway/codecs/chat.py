"""Chat Completions (``/v1/chat/completions``) and its stream of deltas."""

from __future__ import annotations

from typing import Any

from ..restore import ChunkStreamRestorer, ScopeRestorer
from ..slots import Json
from .base import JsonCodec, ObjectRef

_TEXT_DELTAS = ("content", "refusal")


def wants_json_content(request: Json) -> bool:
    """Structured outputs put JSON text in ``content``: restored values must be escaped."""
    response_format = request.get("response_format") if isinstance(request, dict) else None
    return isinstance(response_format, dict) and response_format.get("type") in {
        "json_object", "json_schema"}


class ChatCodec(JsonCodec):
    family = "chat"

    def response_json_text_keys(self, request: Json) -> frozenset[str]:
        keys = self.structural.json_text
        return keys | {"content"} if wants_json_content(request) else keys

    def stream_restorer(self, request: Json, restorer: ScopeRestorer) -> ChatStreamRestorer:
        return ChatStreamRestorer(restorer, json_content=wants_json_content(request))

    def created_objects(self, request: Json, response: Json) -> list[ObjectRef]:
        if isinstance(request, dict) and request.get("store") is True and isinstance(
                response, dict) and isinstance(response.get("id"), str):
            return [ObjectRef("chat_completion", response["id"])]
        return []


class ChatStreamRestorer(ChunkStreamRestorer[tuple[int, str, int]]):
    """Restores ``delta.content``, ``delta.refusal`` and tool-call arguments per choice.

    Each (choice, field, tool call) has its own holdback, flushed into the
    chunk that carries the choice's ``finish_reason``; anything still held when
    the stream ends goes out in one extra chunk before ``[DONE]``.
    """

    def __init__(self, restorer: ScopeRestorer, *, json_content: bool) -> None:
        super().__init__(restorer)
        self._json_content = json_content

    async def _flushed(self) -> list[dict[str, Any]]:
        choices = []
        for choice_index in sorted({key[0] for key in self._buffers.pending_keys()}):
            delta: dict[str, Any] = {}
            await self._flush_choice(choice_index, delta)
            choices.append({"index": choice_index, "delta": delta, "finish_reason": None})
        return choices

    async def _restore_choices(self, chunk: dict[str, Any]) -> None:
        for choice in chunk.get("choices") or []:
            if not isinstance(choice, dict):
                continue
            index = choice.get("index", 0)
            delta = choice.get("delta")
            if not isinstance(delta, dict):
                delta = choice["delta"] = {}
            await self._restore_delta(index, delta)
            if choice.get("finish_reason") is not None:
                await self._flush_choice(index, delta)

    async def _restore_delta(self, index: int, delta: dict[str, Any]) -> None:
        for field in _TEXT_DELTAS:
            piece = delta.get(field)
            if isinstance(piece, str):
                ready = self._buffers.feed((index, field, 0), piece)
                delta[field] = await self._restorer.text(
                    ready, json_escaped=field == "content" and self._json_content)
        for call in delta.get("tool_calls") or []:
            function = call.get("function") if isinstance(call, dict) else None
            if isinstance(function, dict) and isinstance(function.get("arguments"), str):
                ready = self._buffers.feed((index, "tool", call.get("index", 0)),
                                           function["arguments"])
                function["arguments"] = await self._restorer.text(ready, json_escaped=True)
        legacy = delta.get("function_call")
        if isinstance(legacy, dict) and isinstance(legacy.get("arguments"), str):
            ready = self._buffers.feed((index, "function_call", 0), legacy["arguments"])
            legacy["arguments"] = await self._restorer.text(ready, json_escaped=True)

    async def _flush_choice(self, index: int, delta: dict[str, Any]) -> None:
        for key in self._buffers.pending_keys():
            if key[0] != index:
                continue
            held = self._buffers.flush(key)
            kind = key[1]
            if kind in _TEXT_DELTAS:
                text = await self._restorer.text(
                    held, json_escaped=kind == "content" and self._json_content)
                delta[kind] = (delta.get(kind) or "") + text
            elif kind == "function_call":
                legacy = delta.setdefault("function_call", {})
                legacy["arguments"] = (legacy.get("arguments") or "") + (
                    await self._restorer.text(held, json_escaped=True))
            else:
                await self._append_tool_arguments(delta, key[2], held)

    async def _append_tool_arguments(self, delta: dict[str, Any], call_index: int,
                                     held: str) -> None:
        text = await self._restorer.text(held, json_escaped=True)
        calls = delta.setdefault("tool_calls", [])
        for call in calls:
            if call.get("index", 0) == call_index:
                function = call.setdefault("function", {})
                function["arguments"] = (function.get("arguments") or "") + text
                return
        calls.append({"index": call_index, "function": {"arguments": text}})
