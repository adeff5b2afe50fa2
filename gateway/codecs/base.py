"""What every codec provides to the one pipeline, and the JSON defaults most share.

A codec decides, for one API family: which strings of a request are user text
(everything not structural), how a whole answer is restored, how its stream is
restored, which upstream objects a call created (for the ledger) and which
objects a request refers to (ownership is checked before anything is sent).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from ..restore import ScopeRestorer, StreamRestorer
from ..slots import Json, Slot, StructuralKeys, dump_json_text, request_slots

# Identifiers and enums that appear across the OpenAI API. A key listed here is
# never scanned, so keep it to names whose values are never user text.
COMMON_STRUCTURAL = frozenset({
    "model", "role", "type", "id", "object", "status", "tool_call_id", "call_id",
    "finish_reason", "detail", "format", "voice", "service_tier", "reasoning_effort",
    "modalities", "verbosity", "encoding_format", "purpose", "truncation",
    "previous_response_id", "response_id", "item_id", "file_id", "file_ids", "assistant_id",
    "thread_id", "run_id", "vector_store_id", "vector_store_ids", "conversation_id",
    "input_file_id", "output_file_id", "error_file_id", "batch_id", "endpoint",
    "completion_window", "order", "after", "before", "include", "ranker", "version",
    "prompt_cache_retention", "effort", "generate_summary", "summary_mode",
    # pseudonymised by the pipeline before the body is scanned
    "user", "safety_identifier",
})
FUNCTION_NAME_PAIRS = frozenset({("function", "name"), ("function_call", "name")})


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """An upstream object a call created or touched, for the resource ledger."""

    kind: str
    upstream_id: str
    parent_id: str | None = None


# Scans and tokenizes free texts in the call's scope (counting what it found),
# for bodies that are not JSON: uploaded files, multipart forms.
ProtectTexts = Callable[[Sequence[str]], Awaitable[list[str]]]
# Which of the given upstream ids are not the caller's tenant's, for bodies that
# name stored objects where the pipeline cannot see them (batch input lines).
ForeignIds = Callable[[Sequence[str]], Awaitable[set[str]]]


@dataclass(frozen=True, slots=True)
class RawBody:
    content: bytes
    content_type: str


class Codec(Protocol):
    family: str

    def request_slots(self, body: Json) -> list[Slot]: ...

    def referenced_objects(self, body: Json) -> list[str]: ...

    async def protect_raw(self, body: RawBody, protect_texts: ProtectTexts,
                          foreign_ids: ForeignIds) -> RawBody: ...

    async def restore_body(self, request: Json, body: RawBody, restorer: ScopeRestorer
                           ) -> RawBody: ...

    def stream_restorer(self, request: Json, restorer: ScopeRestorer) -> StreamRestorer: ...

    def created_objects(self, request: Json, response: Json) -> list[ObjectRef]: ...


def dump_json(body: Json) -> bytes:
    return dump_json_text(body).encode()


class JsonCodec:
    """Shared defaults: scan every non-structural string, restore every string."""

    family = "generic"
    structural = StructuralKeys(COMMON_STRUCTURAL, FUNCTION_NAME_PAIRS)

    def request_slots(self, body: Json) -> list[Slot]:
        return request_slots(body, self.structural)

    def referenced_objects(self, body: Json) -> list[str]:
        return []

    async def protect_raw(self, body: RawBody, protect_texts: ProtectTexts,
                          foreign_ids: ForeignIds) -> RawBody:
        from ..errors import UnsupportedMediaType

        raise UnsupportedMediaType(
            f"this endpoint takes JSON, not {body.content_type.split(';')[0] or 'raw bytes'}")

    def response_json_text_keys(self, request: Json) -> frozenset[str]:
        return self.structural.json_text

    async def restore_body(self, request: Json, body: RawBody, restorer: ScopeRestorer
                           ) -> RawBody:
        """Restore every string of a JSON answer; a non-JSON answer is left as it is."""
        try:
            document = json.loads(body.content) if body.content else None
        except ValueError:
            return body
        if document is None:
            return body
        document = await restorer.body(document, self.response_json_text_keys(request))
        return RawBody(dump_json(document), "application/json")

    def stream_restorer(self, request: Json, restorer: ScopeRestorer) -> StreamRestorer:
        from ..restore import WholeEventStreamRestorer

        return WholeEventStreamRestorer(restorer, self.response_json_text_keys(request))

    def created_objects(self, request: Json, response: Json) -> list[ObjectRef]:
        return []
