"""Files attached to vector stores, one at a time or in file batches.

Attaching "processes" at once (status ``completed``): the simulator has no
background work, and the gateway only needs the shapes and the content.
"""

from __future__ import annotations

from typing import Any

from gateway.simulator.common import Call, Endpoint, Reply, deleted, filtered, new_id, now, page
from gateway.simulator.errors import invalid, missing, not_found
from gateway.simulator.files import file_text, stored_file
from gateway.simulator.search import chunk_text
from gateway.simulator.state import JsonObject, SimulatorState

DEFAULT_CHUNKING = {
    "type": "static",
    "static": {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400},
}
_STORE = "/vector_stores/{vector_store_id}"


def endpoints() -> list[Endpoint]:
    return [
        Endpoint("POST", _STORE + "/files", create_file),
        Endpoint("GET", _STORE + "/files", list_files),
        Endpoint("GET", _STORE + "/files/{file_id}", retrieve_file),
        Endpoint("POST", _STORE + "/files/{file_id}", update_file),
        Endpoint("DELETE", _STORE + "/files/{file_id}", delete_file),
        Endpoint("GET", _STORE + "/files/{file_id}/content", file_content),
        Endpoint("POST", _STORE + "/file_batches", create_batch),
        Endpoint("GET", _STORE + "/file_batches/{batch_id}", retrieve_batch),
        Endpoint("POST", _STORE + "/file_batches/{batch_id}/cancel", cancel_batch),
        Endpoint("GET", _STORE + "/file_batches/{batch_id}/files", list_batch_files),
    ]


def file_counts(attached: list[JsonObject]) -> JsonObject:
    counts = {"in_progress": 0, "completed": 0, "failed": 0, "cancelled": 0}
    for item in attached:
        counts[str(item["status"])] += 1
    return {**counts, "total": len(attached)}


def attach(
    state: SimulatorState, store_id: str, file_id: str, attributes: Any, chunking: Any
) -> JsonObject:
    """Attach a stored file to a store (again: replaces the attachment)."""
    stored_file(state, file_id, param="file_id")
    if attributes is not None and not isinstance(attributes, dict):
        raise invalid("attributes", "Invalid 'attributes': expected an object.")
    attached: JsonObject = {
        "id": file_id,
        "object": "vector_store.file",
        "usage_bytes": len(state.store.file_bytes[file_id]),
        "created_at": now(),
        "vector_store_id": store_id,
        "status": "completed",
        "last_error": None,
        "chunking_strategy": chunking or DEFAULT_CHUNKING,
        "attributes": attributes or {},
    }
    state.store.vector_store_files[store_id][file_id] = attached
    return attached


def _store_files(state: SimulatorState, call: Call) -> dict[str, JsonObject]:
    store_id = call.params["vector_store_id"]
    if store_id not in state.store.vector_stores:
        raise not_found("vector store", store_id)
    return state.store.vector_store_files[store_id]


def _attached(state: SimulatorState, call: Call) -> JsonObject:
    file_id = call.params["file_id"]
    found = _store_files(state, call).get(file_id)
    if found is None:
        raise not_found("file", file_id)
    return found


def create_file(state: SimulatorState, call: Call) -> Reply:
    _store_files(state, call)
    body = call.json()
    file_id = body.get("file_id")
    if not isinstance(file_id, str) or not file_id:
        raise missing("file_id")
    store_id = call.params["vector_store_id"]
    return attach(state, store_id, file_id, body.get("attributes"), body.get("chunking_strategy"))


def list_files(state: SimulatorState, call: Call) -> Reply:
    items = filtered(_store_files(state, call).values(), status=call.query.get("filter"))
    return page(call, items)


def retrieve_file(state: SimulatorState, call: Call) -> Reply:
    return _attached(state, call)


def update_file(state: SimulatorState, call: Call) -> Reply:
    attached = _attached(state, call)
    attributes = call.json().get("attributes")
    if not isinstance(attributes, dict):
        raise invalid("attributes", "Invalid 'attributes': expected an object.")
    attached["attributes"] = attributes
    return attached


def delete_file(state: SimulatorState, call: Call) -> Reply:
    attached = _attached(state, call)
    del _store_files(state, call)[attached["id"]]
    return deleted(attached["id"], "vector_store.file.deleted")


def file_content(state: SimulatorState, call: Call) -> Reply:
    attached = _attached(state, call)
    if attached["id"] not in state.store.file_bytes:
        raise not_found("file", attached["id"])
    chunks = chunk_text(file_text(state, attached["id"]))
    return {
        "object": "vector_store.file_content.page",
        "data": [{"type": "text", "text": chunk} for chunk in chunks],
        "has_more": False,
        "next_page": None,
    }


def _batch_entries(body: JsonObject) -> list[tuple[str, Any]]:
    shared = body.get("attributes")
    if isinstance(body.get("files"), list):
        return [(str(f.get("file_id")), f.get("attributes", shared)) for f in body["files"]]
    file_ids = body.get("file_ids")
    if not isinstance(file_ids, list) or not file_ids:
        raise missing("file_ids")
    return [(str(file_id), shared) for file_id in file_ids]


def create_batch(state: SimulatorState, call: Call) -> Reply:
    _store_files(state, call)
    body = call.json()
    store_id = call.params["vector_store_id"]
    entries = _batch_entries(body)
    for file_id, _ in entries:
        stored_file(state, file_id, param="file_ids")
    attached = [
        attach(state, store_id, file_id, attributes, body.get("chunking_strategy"))
        for file_id, attributes in entries
    ]
    batch: JsonObject = {
        "id": new_id("vsfb_"),
        "object": "vector_store.files_batch",
        "created_at": now(),
        "vector_store_id": store_id,
        "status": "completed",
        "file_counts": file_counts(attached),
    }
    state.store.file_batches[batch["id"]] = batch
    state.store.file_batch_files[batch["id"]] = [file_id for file_id, _ in entries]
    return batch


def _batch(state: SimulatorState, call: Call) -> JsonObject:
    _store_files(state, call)
    batch_id = call.params["batch_id"]
    found = state.store.file_batches.get(batch_id)
    if found is None or found["vector_store_id"] != call.params["vector_store_id"]:
        raise not_found("vector store file batch", batch_id)
    return found


def retrieve_batch(state: SimulatorState, call: Call) -> Reply:
    return _batch(state, call)


def cancel_batch(state: SimulatorState, call: Call) -> Reply:
    """Batches finish at once here; cancel still answers ``cancelled`` so clients can try it."""
    batch = _batch(state, call)
    batch["status"] = "cancelled"
    return batch


def list_batch_files(state: SimulatorState, call: Call) -> Reply:
    batch = _batch(state, call)
    attached = _store_files(state, call)
    items = [attached[f] for f in state.store.file_batch_files[batch["id"]] if f in attached]
    return page(call, filtered(items, status=call.query.get("filter")))
