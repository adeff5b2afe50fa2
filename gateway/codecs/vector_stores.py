"""Vector stores (``/v1/vector_stores``): stores, their files, file batches, search.

Every free string is scanned by the shared default: store names, descriptions,
metadata, file attributes, search queries and filter values. Filter *keys*
name attributes, whose keys are never scanned either, so they stay as sent
and a filter still matches. Tokens in attributes and filters come from the
store owner's scope (every path below names the store), so a tokenized filter
value matches the tokenized attribute it was meant to match.

Search results (``content[].text``, ``attributes``, ``search_query``) and file
contents are restored by the shared JSON default.
"""

from __future__ import annotations

from typing import Any

from ..routing import Route, route
from ..slots import Json
from .base import COMMON_FIELDS, JsonCodec, ObjectRef

_DELETED = ("vector_store.deleted", "vector_store.file.deleted")
# The spec's enum says "files_batch", its description and examples "file_batch".
_FILE_BATCH = ("vector_store.files_batch", "vector_store.file_batch")


def vector_store_file_id(store_id: str, file_id: str) -> str:
    """Ledger id of a file attached to a store (the file itself has its own entry)."""
    return f"{store_id}/{file_id}"


def _file_ids(body: dict[str, Any]) -> list[str]:
    ids = [body["file_id"]] if isinstance(body.get("file_id"), str) else []
    ids.extend(item for item in body.get("file_ids") or [] if isinstance(item, str))
    ids.extend(item["file_id"] for item in body.get("files") or []
               if isinstance(item, dict) and isinstance(item.get("file_id"), str))
    return ids


class VectorStoresCodec(JsonCodec):
    family = "vector_stores"
    # A search filter names the attribute it compares; its value is user data.
    fields = COMMON_FIELDS.extended(structural=("**.filters.**.key",))

    def referenced_objects(self, body: Json) -> list[str]:
        """Files put into a store must be this tenant's."""
        return _file_ids(body) if isinstance(body, dict) else []

    def created_objects(self, request: Json, response: Json) -> list[ObjectRef]:
        if not isinstance(response, dict) or not isinstance(response.get("id"), str):
            return []
        kind = response.get("object")
        attached = _file_ids(request) if isinstance(request, dict) else []
        if kind == "vector_store":
            store_id = response["id"]
            return [ObjectRef("vector_store", store_id), *_attached(store_id, attached)]
        store_id = response.get("vector_store_id")
        if not isinstance(store_id, str) or kind in _DELETED:
            return []
        if kind == "vector_store.file":
            return _attached(store_id, [response["id"]])
        if kind in _FILE_BATCH:
            return _attached(store_id, attached)
        return []


def _attached(store_id: str, file_ids: list[str]) -> list[ObjectRef]:
    return [ObjectRef("vector_store_file", vector_store_file_id(store_id, file_id), store_id)
            for file_id in file_ids]


def routes() -> list[Route]:
    codec = VectorStoresCodec()
    # A DELETE on a store's file detaches it: the attachment ("<store>/<file>")
    # leaves the ledger, the file's own entry stays.
    detach = route("GET POST DELETE", "vector_stores/{id}/files/{child}", codec,
                   forgets="{id}/{child}")
    return [
        route("GET POST", "vector_stores", codec),
        route("GET POST DELETE", "vector_stores/{id}", codec),
        route("GET POST", "vector_stores/{id}/files", codec),
        detach,
        route("GET", "vector_stores/{id}/files/{child}/content", codec),
        route("POST", "vector_stores/{id}/file_batches", codec),
        route("GET", "vector_stores/{id}/file_batches/{child}", codec),
        route("POST", "vector_stores/{id}/file_batches/{child}/cancel", codec),
        route("GET", "vector_stores/{id}/file_batches/{child}/files", codec),
        route("POST", "vector_stores/{id}/search", codec),
    ]
