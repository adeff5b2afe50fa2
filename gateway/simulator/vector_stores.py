"""Vector stores: the stores themselves and ``search`` over attached files."""

from __future__ import annotations

from typing import Any

from gateway.simulator.common import (
    Call,
    Endpoint,
    Reply,
    deleted,
    metadata_of,
    new_id,
    now,
    page,
    required,
)
from gateway.simulator.errors import invalid, not_found
from gateway.simulator.files import file_text, stored_file
from gateway.simulator.search import chunk_text, matches, score
from gateway.simulator.state import JsonObject, SimulatorState
from gateway.simulator.vector_store_files import attach, file_counts


def endpoints() -> list[Endpoint]:
    return [
        Endpoint("POST", "/vector_stores", create),
        Endpoint("GET", "/vector_stores", list_stores),
        Endpoint("GET", "/vector_stores/{vector_store_id}", retrieve),
        Endpoint("POST", "/vector_stores/{vector_store_id}", update),
        Endpoint("DELETE", "/vector_stores/{vector_store_id}", delete),
        Endpoint("POST", "/vector_stores/{vector_store_id}/search", search),
    ]


def vector_store(state: SimulatorState, vector_store_id: str) -> JsonObject:
    """The store with fresh file counts and size (they follow its attached files)."""
    found = state.store.vector_stores.get(vector_store_id)
    if found is None:
        raise not_found("vector store", vector_store_id)
    attached = state.store.vector_store_files[vector_store_id].values()
    found["file_counts"] = file_counts(list(attached))
    found["usage_bytes"] = sum(int(f["usage_bytes"]) for f in attached)
    return found


def create(state: SimulatorState, call: Call) -> Reply:
    body = call.json()
    file_ids = body.get("file_ids") or []
    if not isinstance(file_ids, list):
        raise invalid("file_ids", "Invalid 'file_ids': expected an array of file ids.")
    for file_id in file_ids:
        stored_file(state, str(file_id), param="file_ids")
    created_at = now()
    store: JsonObject = {
        "id": new_id("vs_"),
        "object": "vector_store",
        "created_at": created_at,
        "name": body.get("name"),
        "description": body.get("description"),
        "usage_bytes": 0,
        "file_counts": file_counts([]),
        "status": "completed",
        "expires_after": body.get("expires_after"),
        "expires_at": None,
        "last_active_at": created_at,
        "metadata": metadata_of(body),
    }
    state.store.vector_stores[store["id"]] = store
    state.store.vector_store_files[store["id"]] = {}
    for file_id in file_ids:
        attach(state, store["id"], str(file_id), {}, body.get("chunking_strategy"))
    return vector_store(state, store["id"])


def list_stores(state: SimulatorState, call: Call) -> Reply:
    stores = [vector_store(state, store_id) for store_id in state.store.vector_stores]
    return page(call, stores)


def retrieve(state: SimulatorState, call: Call) -> Reply:
    return vector_store(state, call.params["vector_store_id"])


def update(state: SimulatorState, call: Call) -> Reply:
    store = vector_store(state, call.params["vector_store_id"])
    body = call.json()
    for name in ("name", "expires_after"):
        if name in body:
            store[name] = body[name]
    if "metadata" in body:
        store["metadata"] = metadata_of(body)
    return store


def delete(state: SimulatorState, call: Call) -> Reply:
    store = vector_store(state, call.params["vector_store_id"])
    del state.store.vector_stores[store["id"]]
    del state.store.vector_store_files[store["id"]]
    batches = state.store.file_batches
    for batch_id in [k for k, v in batches.items() if v["vector_store_id"] == store["id"]]:
        del batches[batch_id]
        del state.store.file_batch_files[batch_id]
    return deleted(store["id"], "vector_store.deleted")


def _queries(body: JsonObject) -> list[str]:
    query = required(body, "query")
    queries = [query] if isinstance(query, str) else query
    if not isinstance(queries, list) or not all(isinstance(q, str) for q in queries):
        raise invalid("query", "Invalid 'query': expected a string or an array of strings.")
    return queries


def search(state: SimulatorState, call: Call) -> Reply:
    store = vector_store(state, call.params["vector_store_id"])
    body = call.json()
    queries = _queries(body)
    limit = body.get("max_num_results", 10)
    if type(limit) is not int or not 1 <= limit <= 50:
        raise invalid("max_num_results", "Invalid 'max_num_results': must be 1 to 50.")
    hits: list[JsonObject] = []
    for attached in state.store.vector_store_files[store["id"]].values():
        if matches(body.get("filters"), attached["attributes"]):
            hits.extend(_hits(state, attached, queries))
    hits.sort(key=lambda hit: -float(hit["score"]))
    return {
        "object": "vector_store.search_results.page",
        "search_query": queries,
        "data": hits[:limit],
        "has_more": False,
        "next_page": None,
    }


def _hits(state: SimulatorState, attached: JsonObject, queries: list[str]) -> list[JsonObject]:
    file_id = str(attached["id"])
    if file_id not in state.store.file_bytes:
        return []
    hits: list[JsonObject] = []
    for chunk in chunk_text(file_text(state, file_id)):
        best = max(score(query, chunk) for query in queries)
        if best > 0:
            hits.append(_hit(state, attached, chunk, best))
    return hits


def _hit(state: SimulatorState, attached: JsonObject, chunk: str, best: float) -> JsonObject:
    file: Any = state.store.files.get(attached["id"]) or {}
    return {
        "file_id": attached["id"],
        "filename": file.get("filename", ""),
        "score": best,
        "attributes": attached["attributes"],
        "content": [{"type": "text", "text": chunk}],
    }
