"""Embeddings (``/v1/embeddings``), under ``policy.routes.embeddings``.

``tokenize`` (default): the input texts are tokenized like any prompt; the
vectors then describe ``<PERSON_1>`` rather than the person, which is the
point. ``block``: refused before anything leaves. ``allow``: sent unchanged,
by an explicit policy choice.

Token-id input (lists of integers) cannot be scanned without the provider's
tokenizer, so it is refused unless the policy allows embeddings unscanned.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from ..errors import BadRequest, Forbidden
from ..routing import Route, route
from ..slots import Json, Slot
from .base import JsonCodec

if TYPE_CHECKING:
    from policies import Policy

EmbeddingsMode = Literal["tokenize", "block", "allow"]


def has_token_ids(value: Json) -> bool:
    """True for ``[1, 2]`` and ``[[1, 2], [3]]``: input that is not text."""
    if not isinstance(value, list):
        return False
    return any(isinstance(item, int) or (isinstance(item, list) and any(
        isinstance(inner, int) for inner in item)) for item in value)


def refuse_token_ids(field: str) -> BadRequest:
    return BadRequest(
        f"'{field}' given as token ids cannot be scanned for personal data; send text",
        code="token_input_unsupported", param=field)


class EmbeddingsCodec(JsonCodec):
    family = "embeddings"

    def __init__(self, mode: EmbeddingsMode = "tokenize") -> None:
        self._mode = mode

    def request_slots(self, body: Json) -> list[Slot]:
        if self._mode == "block":
            raise Forbidden("embeddings are blocked by the gateway policy (routes.embeddings)",
                            code="embeddings_blocked")
        if self._mode == "allow":
            return []
        if isinstance(body, dict) and has_token_ids(body.get("input")):
            raise refuse_token_ids("input")
        return super().request_slots(body)


def routes(policy: Policy) -> list[Route]:
    return [route("POST", "embeddings", EmbeddingsCodec(policy.routes.embeddings))]
