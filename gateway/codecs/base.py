"""What every codec provides to the one pipeline, and the JSON defaults most share.

A codec decides, for one API family: which strings of a request are user text
(everything not structural), how a whole answer is restored, how its stream is
restored, which upstream objects a call created (for the ledger) and which
objects a request refers to (ownership is checked before anything is sent).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from ..fieldpaths import PathSet
from ..restore import Restorer, StreamRestorer
from ..slots import Fields, Json, Slot, dump_json_text, request_slots

# Identifiers and enums that appear across the OpenAI API, by path. A string
# matched here is never scanned, so keep it to fields whose values are never
# user text: ids, enums, model names. ``**.key`` patterns hold outside
# free-form objects only (``metadata.status`` is scanned).
COMMON_STRUCTURAL = (
    "model", "**.model",
    # pseudonymised by the pipeline before the body is scanned
    "user", "safety_identifier",
    "**.role", "**.type", "**.id", "**.object", "**.status", "**.tool_call_id", "**.call_id",
    "**.finish_reason", "**.detail", "**.format", "**.voice", "**.service_tier",
    "**.reasoning_effort", "**.modalities[]", "**.verbosity", "**.encoding_format",
    "**.purpose", "**.truncation", "**.previous_response_id", "**.response_id", "**.item_id",
    "**.file_id", "**.file_ids[]", "**.assistant_id", "**.thread_id", "**.run_id",
    "**.vector_store_id", "**.vector_store_ids[]", "**.conversation_id", "**.input_file_id",
    "**.output_file_id", "**.error_file_id", "**.batch_id", "**.endpoint",
    "**.completion_window", "**.order", "**.after", "**.before", "**.include[]", "**.ranker",
    "**.version", "**.prompt_cache_retention", "**.prompt_cache_key", "**.effort",
    "**.generate_summary", "**.summary_mode", "**.anchor",
    # function and tool names: the model calls them back by name
    "**.function.name", "**.function_call.name", "**.tool_choice", "**.tool_choice.name",
)
# Objects the app defines itself: every key, value and number inside is scanned.
COMMON_FREE_FORM = (
    "**.metadata", "**.parameters", "**.schema", "**.attributes",
    "**.input_schema", "**.output_schema",
)
COMMON_FIELDS = Fields(
    structural=PathSet(COMMON_STRUCTURAL),
    free_form=PathSet(COMMON_FREE_FORM),
    json_text=PathSet(("**.arguments",)),
    identifiers=PathSet(),
)


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """An upstream object a call created or touched, for the resource ledger."""

    kind: str
    upstream_id: str
    parent_id: str | None = None


class Protector(Protocol):
    """The call's protection, for bodies the pipeline cannot walk as JSON itself.

    ``texts``: scan and tokenize free texts (lines of an uploaded file, form
    fields) in the call's scope. ``document``: protect the given slots of a
    JSON document in place, exactly as a request body's (a batch file's
    lines). ``foreign_ids``: which of these upstream ids are not the caller's
    tenant's (objects named inside an upload). All count what they find.
    """

    async def texts(self, texts: Sequence[str]) -> list[str]: ...

    async def document(self, document: Json, slots: Sequence[Slot]) -> None: ...

    async def foreign_ids(self, ids: Sequence[str]) -> set[str]: ...


@dataclass(frozen=True, slots=True)
class RawBody:
    content: bytes
    content_type: str


class Codec(Protocol):
    family: str

    def request_slots(self, body: Json) -> list[Slot]: ...

    def referenced_objects(self, body: Json) -> list[str]: ...

    async def protect_raw(self, body: RawBody, protector: Protector) -> RawBody: ...

    def restore_body(self, request: Json, body: RawBody, restorer: Restorer) -> RawBody: ...

    def stream_restorer(self, request: Json, restorer: Restorer) -> StreamRestorer: ...

    def created_objects(self, request: Json, response: Json) -> list[ObjectRef]: ...


def dump_json(body: Json) -> bytes:
    return dump_json_text(body).encode()


class JsonCodec:
    """Shared defaults: scan every non-structural string, restore every string."""

    family = "generic"
    fields = COMMON_FIELDS
    # Keys whose string value is JSON text in answers (tool-call arguments).
    json_text_keys = frozenset({"arguments"})

    def request_slots(self, body: Json) -> list[Slot]:
        return request_slots(body, self.fields)

    def referenced_objects(self, body: Json) -> list[str]:
        return []

    async def protect_raw(self, body: RawBody, protector: Protector) -> RawBody:
        from ..errors import UnsupportedMediaType

        sent = body.content_type.split(";")[0].strip() or "a body with no content type"
        raise UnsupportedMediaType(
            f"this endpoint takes a JSON body (application/json), not {sent}",
            code="unsupported_content_type")

    def response_json_text_keys(self, request: Json) -> frozenset[str]:
        return self.json_text_keys

    def restore_body(self, request: Json, body: RawBody, restorer: Restorer) -> RawBody:
        """Restore every string of a JSON answer; a non-JSON answer is left as it is."""
        try:
            document = json.loads(body.content) if body.content else None
        except ValueError:
            return body
        if document is None:
            return body
        document = restorer.body(document, self.response_json_text_keys(request))
        return RawBody(dump_json(document), "application/json")

    def stream_restorer(self, request: Json, restorer: Restorer) -> StreamRestorer:
        from ..restore import WholeEventStreamRestorer

        return WholeEventStreamRestorer(restorer, self.response_json_text_keys(request))

    def created_objects(self, request: Json, response: Json) -> list[ObjectRef]:
        return []
