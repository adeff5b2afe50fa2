"""Legacy completions (``/v1/completions``) and their stream of text deltas.

``prompt`` (a string or a list of strings) and ``suffix`` are scanned by the
shared default; token-id prompts cannot be scanned and are refused.
"""

from __future__ import annotations

from typing import Any

from ..restore import ChunkStreamRestorer, Restorer
from ..routing import Route, route
from ..slots import Json, Slot
from .base import JsonCodec
from .embeddings import has_token_ids, refuse_token_ids


class CompletionsCodec(JsonCodec):
    family = "completions"

    def request_slots(self, body: Json) -> list[Slot]:
        if isinstance(body, dict) and has_token_ids(body.get("prompt")):
            raise refuse_token_ids("prompt")
        return super().request_slots(body)

    def stream_restorer(self, request: Json, restorer: Restorer
                        ) -> CompletionsStreamRestorer:
        return CompletionsStreamRestorer(restorer)


class CompletionsStreamRestorer(ChunkStreamRestorer[int]):
    """Restores ``choices[].text`` with one holdback per choice.

    A choice's held text is flushed into the chunk carrying its
    ``finish_reason``; anything still held when the stream ends goes out in
    one extra chunk before ``[DONE]``.
    """

    def _flushed(self) -> list[dict[str, Any]]:
        choices = []
        for key in self._deltas.pending_keys():
            text = self._deltas.flush(key)
            choices.append({"index": key, "text": text, "logprobs": None,
                            "finish_reason": None})
        return choices

    def _restore_choices(self, chunk: dict[str, Any]) -> None:
        for choice in chunk.get("choices") or []:
            if not isinstance(choice, dict):
                continue
            index = choice.get("index", 0)
            piece = choice.get("text")
            text = self._deltas.feed(index, piece) if isinstance(piece, str) else ""
            if choice.get("finish_reason") is not None:
                text += self._deltas.flush(index)
            if isinstance(piece, str) or text:
                choice["text"] = text


def routes() -> list[Route]:
    return [route("POST", "completions", CompletionsCodec())]
