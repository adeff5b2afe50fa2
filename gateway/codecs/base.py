"""What every codec provides to the one pipeline."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ..restore import ScopeRestorer, StreamRestorer
from ..slots import Json, Slot, StructuralKeys, request_slots

# Identifiers and enums that appear across the OpenAI API. A key listed here is
# never scanned, so keep it to names whose values are never user text.
COMMON_STRUCTURAL = frozenset({
    "model", "role", "type", "id", "object", "status", "tool_call_id", "call_id",
    "finish_reason", "detail", "format", "voice", "service_tier", "reasoning_effort",
    "modalities", "verbosity", "encoding_format", "purpose", "truncation", "tool_choice_type",
    "previous_response_id", "response_id", "item_id", "file_id", "file_ids", "assistant_id",
    "thread_id", "run_id", "vector_store_id", "vector_store_ids", "conversation_id",
    "input_file_id", "output_file_id", "error_file_id", "batch_id", "endpoint",
    "completion_window", "order", "after", "before", "include", "ranker", "version",
    "prompt_cache_retention", "image_url_detail", "effort", "generate_summary", "summary_mode",
})
FUNCTION_NAME_PAIRS = frozenset({("function", "name"), ("function_call", "name")})


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """An upstream object a call created or touched, for the resource ledger."""

    kind: str
    upstream_id: str
    parent_id: str | None = None


class Codec(Protocol):
    family: str

    def request_slots(self, body: Json) -> list[Slot]: ...

    def response_json_text_keys(self, request: Json) -> frozenset[str]: ...

    def stream_restorer(self, request: Json, restorer: ScopeRestorer) -> StreamRestorer: ...

    def created_objects(self, request: Json, response: Json) -> list[ObjectRef]: ...


class JsonCodec:
    """Shared defaults: scan every non-structural string, restore every string."""

    family = "generic"
    structural = StructuralKeys(COMMON_STRUCTURAL, FUNCTION_NAME_PAIRS)

    def request_slots(self, body: Json) -> list[Slot]:
        return request_slots(body, self.structural)

    def response_json_text_keys(self, request: Json) -> frozenset[str]:
        return self.structural.json_text

    def created_objects(self, request: Json, response: Json) -> list[ObjectRef]:
        return []
