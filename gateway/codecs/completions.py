"""Legacy completions (``/v1/completions``) and their stream of text deltas.

``prompt`` (a string or a list of strings) and ``suffix`` are scanned by the
shared default; token-id prompts cannot be scanned and are refused.
"""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING, Any

from ..restore import DeltaBuffers, ScopeRestorer
from ..slots import Json, Slot
from ..sse import SSEEvent
from .base import JsonCodec
from .embeddings import has_token_ids, refuse_token_ids

if TYPE_CHECKING:
    from ..routes import Route


class CompletionsCodec(JsonCodec):
    family = "completions"

    def request_slots(self, body: Json) -> list[Slot]:
        if isinstance(body, dict) and has_token_ids(body.get("prompt")):
            raise refuse_token_ids("prompt")
        return super().request_slots(body)

    def stream_restorer(self, request: Json, restorer: ScopeRestorer
                        ) -> CompletionsStreamRestorer:
        return CompletionsStreamRestorer(restorer)


def _dump(chunk: Json) -> str:
    return json.dumps(chunk, ensure_ascii=False, separators=(",", ":"))


class CompletionsStreamRestorer:
    """Restores ``choices[].text`` with one holdback per choice.

    A choice's held text is flushed into the chunk carrying its
    ``finish_reason``; anything still held when the stream ends goes out in
    one extra chunk before ``[DONE]``.
    """

    def __init__(self, restorer: ScopeRestorer) -> None:
        self._restorer = restorer
        self._buffers: DeltaBuffers[int] = DeltaBuffers()  # per choice index
        self._envelope: dict[str, Any] | None = None
        self.usage: dict[str, int] | None = None

    @property
    def result(self) -> Json:
        return None

    async def on_event(self, event: SSEEvent) -> list[SSEEvent]:
        if event.data is None:
            return [event]
        if event.data.strip() == "[DONE]":
            return [*await self.finish(), event]
        try:
            chunk = json.loads(event.data)
        except ValueError:
            return [event]
        if not isinstance(chunk, dict):
            return [event]
        if "error" in chunk:
            chunk = await self._restorer.body(chunk, frozenset())
        else:
            await self._restore_chunk(chunk)
        event.data = _dump(chunk)
        return [event]

    async def finish(self) -> list[SSEEvent]:
        choices = []
        for key in self._buffers.pending_keys():
            text = await self._restorer.text(self._buffers.flush(key))
            choices.append({"index": key, "text": text, "logprobs": None,
                            "finish_reason": None})
        if not choices or self._envelope is None:
            return []
        chunk = {**copy.deepcopy(self._envelope), "choices": choices}
        return [SSEEvent(data=_dump(chunk))]

    async def _restore_chunk(self, chunk: dict[str, Any]) -> None:
        if isinstance(chunk.get("usage"), dict):
            self.usage = {k: v for k, v in chunk["usage"].items() if isinstance(v, int)}
        self._envelope = {k: v for k, v in chunk.items() if k not in {"choices", "usage"}}
        for choice in chunk.get("choices") or []:
            if not isinstance(choice, dict):
                continue
            index = choice.get("index", 0)
            piece = choice.get("text")
            ready = self._buffers.feed(index, piece) if isinstance(piece, str) else ""
            if choice.get("finish_reason") is not None:
                ready += self._buffers.flush(index)
            if isinstance(piece, str) or ready:
                choice["text"] = await self._restorer.text(ready)


def routes() -> list[Route]:
    from ..routes import route

    return [route("POST", "completions", CompletionsCodec())]
