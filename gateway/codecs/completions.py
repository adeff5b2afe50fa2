"""Legacy completions (``/v1/completions``) and their stream of text deltas.

``prompt`` (a string or a list of strings) and ``suffix`` are scanned by the
shared default; token-id prompts cannot be scanned and are refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..restore import ChunkStreamRestorer, ScopeRestorer
from ..slots import Json, Slot
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


class CompletionsStreamRestorer(ChunkStreamRestorer[int]):
    """Restores ``choices[].text`` with one holdback per choice.

    A choice's held text is flushed into the chunk carrying its
    ``finish_reason``; anything still held when the stream ends goes out in
    one extra chunk before ``[DONE]``.
    """

    async def _flushed(self) -> list[dict[str, Any]]:
        choices = []
        for key in self._buffers.pending_keys():
            text = await self._restorer.text(self._buffers.flush(key))
            choices.append({"index": key, "text": text, "logprobs": None,
                            "finish_reason": None})
        return choices

    async def _restore_choices(self, chunk: dict[str, Any]) -> None:
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
