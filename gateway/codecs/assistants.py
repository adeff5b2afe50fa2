"""Assistants v2 (``OpenAI-Beta: assistants=v2``): assistants, threads, messages, runs.

Requests are scanned like every other family: every string except identifiers
and enums, so an assistant's ``name``, ``description`` and ``instructions``, a
message's ``content``, a run's ``instructions``, ``additional_instructions``
and ``additional_messages``, a tool output's ``output`` and every ``metadata``
value are user text. Tool function names are structural. Tool outputs are
scanned as plain text rather than leaf by leaf as JSON: a tool may key its
JSON by e-mail address or name, and JSON keys are not leaves.

Ledger: assistants (kind ``assistant``), threads (``thread``), messages
(``message``, parent thread) and runs (``run``, parent thread) are recorded
from the object each call answers (a run also records its thread, which is
how create-and-run's new thread gets recorded), from whole bodies and from
streams alike. Vector stores created inline through ``tool_resources`` are
recorded too (``vector_store``), so that the app can refer to them later.

Who owns an assistant
---------------------
An assistant is normally an app's object, shared by all its end users, unlike
a thread, which is one end user's conversation. The gateway treats it so:

- Access is per tenant. Any key of the tenant may read, update or run it (a
  run's ``assistant_id`` must be in the tenant's ledger; another tenant gets
  404, exactly as for a thread), because the app, not the end user, picks the
  assistant.
- Values are per scope, like everywhere else. The assistant's texts are
  tokenized in the scope that created it and restored only there (retrieve,
  update, list). A run in another subject's thread may see the model echo
  the assistant's tokens; they stay tokens there, so no subject ever reads
  another subject's values through a shared assistant.
- Erasure follows the ledger: the assistant belongs to the scope that created
  it. Created in the key's default scope (no subject named), which is the way
  to create a shared assistant, it is the app's and no end user's erasure
  removes it; the end user's own data lives in their threads, messages and
  runs, which are theirs and are removed. Created in a named subject's scope,
  its texts were that person's data, tokenized under a key that erasure
  shreds, so deleting the assistant upstream with the rest of their objects
  is what erasure should do.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..restore import Restorer
from ..routing import Route, route
from ..slots import Json, iter_strings
from .assistants_stream import JSON_TEXT_KEYS, AssistantsStreamRestorer
from .base import COMMON_FIELDS, JsonCodec, ObjectRef

# Enums and identifiers particular to Assistants bodies.
ASSISTANTS_FIELDS = COMMON_FIELDS.extended(structural=(
    "**.tool_choice", "**.response_format", "**.message_id", "**.step_id",
))
# Keys whose string values (or list items) name objects the tenant must own.
_REFERENCE_KEYS = frozenset({"assistant_id", "file_id", "vector_store_id"})
_REFERENCE_LISTS = frozenset({"file_ids", "vector_store_ids"})
# The provider's id alphabet, for the run-step id in the steps route (not owned itself:
# its thread is, and the provider only finds steps inside that thread's run).
_STEP_ID = r"[A-Za-z0-9_\-.:]+"


class AssistantsCodec(JsonCodec):
    family = "assistants"
    fields = ASSISTANTS_FIELDS
    json_text_keys = JSON_TEXT_KEYS

    def referenced_objects(self, body: Json) -> list[str]:
        """Assistants, files and vector stores a request builds on: all must be the tenant's."""
        found: dict[str, None] = {}
        for path, value in iter_strings(body):
            if "metadata" in path:  # the app's own keys, whatever they are called
                continue
            key = path[-1] if path else None
            in_list = isinstance(key, int) and len(path) > 1 and path[-2] in _REFERENCE_LISTS
            if value and (key in _REFERENCE_KEYS or in_list):
                found[value] = None
        return list(found)

    def stream_restorer(self, request: Json, restorer: Restorer
                        ) -> AssistantsStreamRestorer:
        return AssistantsStreamRestorer(restorer)

    def created_objects(self, request: Json, response: Json) -> list[ObjectRef]:
        """Objects in the answer, for the ledger (recording one again changes nothing).

        A read (no request body) creates nothing, so a polling loop costs no
        ledger writes. A list page is never recorded: ``GET /assistants`` lists
        the provider account's assistants, other tenants' included.
        """
        if request is None:
            return []
        objects = response if isinstance(response, list) else [response]
        refs: list[ObjectRef] = []
        for obj in objects:
            if isinstance(obj, dict) and isinstance(obj.get("id"), str):
                refs += _object_refs(obj)
                if _has_inline_vector_stores(request):
                    refs += _vector_store_refs(obj)
        return refs


def _object_refs(obj: dict[str, Any]) -> list[ObjectRef]:
    kind, object_id = obj.get("object"), obj["id"]
    thread_id = obj.get("thread_id") if isinstance(obj.get("thread_id"), str) else None
    if kind == "assistant":
        return [ObjectRef("assistant", object_id)]
    if kind == "thread":
        return [ObjectRef("thread", object_id)]
    if kind == "thread.message" and thread_id:
        return [ObjectRef("message", object_id, thread_id)]
    if kind == "thread.run" and thread_id:
        return [ObjectRef("thread", thread_id), ObjectRef("run", object_id, thread_id)]
    return []


def _has_inline_vector_stores(request: Json) -> bool:
    return any(path[-2:] == ("file_search", "vector_stores") for path in _paths(request))


def _paths(node: Json, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*path, key)
            yield from _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*path, index))


def _vector_store_refs(obj: dict[str, Any]) -> list[ObjectRef]:
    if obj.get("object") not in ("assistant", "thread"):
        return []
    resources = obj.get("tool_resources")
    search = resources.get("file_search") if isinstance(resources, dict) else None
    ids = search.get("vector_store_ids") if isinstance(search, dict) else None
    return [ObjectRef("vector_store", store_id) for store_id in ids or []
            if isinstance(store_id, str) and store_id]


def routes() -> list[Route]:
    """The Assistants paths; ``threads/runs`` must come before ``threads/{id}``."""

    codec = AssistantsCodec()
    runs = "threads/{id}/runs/{child}"
    return [
        route("GET POST", "assistants", codec),
        # An app's assistants serve all its end users (see the module docstring).
        route("GET POST DELETE", "assistants/{id}", codec, shared=True),
        route("POST", "threads", codec),
        route("POST", "threads/runs", codec),
        route("GET POST DELETE", "threads/{id}", codec),
        route("GET POST", "threads/{id}/messages", codec),
        route("GET POST DELETE", "threads/{id}/messages/{child}", codec),
        route("GET POST", "threads/{id}/runs", codec),
        route("GET POST", runs, codec),
        route("POST", f"{runs}/cancel", codec),
        route("POST", f"{runs}/submit_tool_outputs", codec),
        route("GET", f"{runs}/steps", codec),
        route("GET", f"{runs}/steps/{_STEP_ID}", codec),
    ]
