"""Files (multipart upload, content download) and Batches (status only)."""

from __future__ import annotations

from gateway.simulator.common import (
    Call,
    Endpoint,
    RawBody,
    Reply,
    UploadedFile,
    deleted,
    filtered,
    metadata_of,
    new_id,
    now,
    page,
    required,
)
from gateway.simulator.errors import ApiError, invalid, missing, not_found
from gateway.simulator.state import JsonObject, SimulatorState

BATCH_WINDOW_SECONDS = 24 * 3600


def endpoints() -> list[Endpoint]:
    return [
        Endpoint("POST", "/files", upload),
        Endpoint("GET", "/files", list_files),
        Endpoint("GET", "/files/{file_id}", retrieve),
        Endpoint("DELETE", "/files/{file_id}", delete),
        Endpoint("GET", "/files/{file_id}/content", content),
        Endpoint("POST", "/batches", create_batch),
        Endpoint("GET", "/batches", list_batches),
        Endpoint("GET", "/batches/{batch_id}", retrieve_batch),
        Endpoint("POST", "/batches/{batch_id}/cancel", cancel_batch),
    ]


def stored_file(state: SimulatorState, file_id: str, param: str | None = None) -> JsonObject:
    found = state.store.files.get(file_id)
    if found is None:
        raise not_found("file", file_id, param=param)
    return found


def file_text(state: SimulatorState, file_id: str) -> str:
    """A stored file's bytes as text, the way a vector store would read them."""
    return state.store.file_bytes[file_id].decode("utf-8", errors="replace")


def upload(state: SimulatorState, call: Call) -> Reply:
    upload = call.form.get("file")
    purpose = call.form.get("purpose")
    if not isinstance(upload, UploadedFile):
        raise missing("file")
    if not isinstance(purpose, str) or not purpose:
        raise missing("purpose")
    created: JsonObject = {
        "id": new_id("file-", 22),
        "object": "file",
        "bytes": len(upload.content),
        "created_at": now(),
        "expires_at": None,
        "filename": upload.filename,
        "purpose": purpose,
        "status": "processed",
        "status_details": None,
    }
    state.store.files[created["id"]] = created
    state.store.file_bytes[created["id"]] = upload.content
    return created


def list_files(state: SimulatorState, call: Call) -> Reply:
    items = filtered(state.store.files.values(), purpose=call.query.get("purpose"))
    return page(call, items, default_limit=10_000, max_limit=10_000)


def retrieve(state: SimulatorState, call: Call) -> Reply:
    return stored_file(state, call.params["file_id"])


def delete(state: SimulatorState, call: Call) -> Reply:
    found = stored_file(state, call.params["file_id"])
    del state.store.files[found["id"]]
    del state.store.file_bytes[found["id"]]
    return deleted(found["id"], "file")


def content(state: SimulatorState, call: Call) -> Reply:
    found = stored_file(state, call.params["file_id"])
    return RawBody(state.store.file_bytes[found["id"]])


def create_batch(state: SimulatorState, call: Call) -> Reply:
    body = call.json()
    input_file_id = str(required(body, "input_file_id"))
    endpoint = required(body, "endpoint")
    window = required(body, "completion_window")
    if window != "24h":
        raise invalid("completion_window", "Invalid 'completion_window': only '24h' is supported.")
    stored_file(state, input_file_id, param="input_file_id")
    lines = [line for line in file_text(state, input_file_id).splitlines() if line.strip()]
    created_at = now()
    batch: JsonObject = {
        "id": new_id("batch_"),
        "object": "batch",
        "endpoint": endpoint,
        "errors": None,
        "input_file_id": input_file_id,
        "completion_window": window,
        "status": "validating",
        "output_file_id": None,
        "error_file_id": None,
        "created_at": created_at,
        "in_progress_at": None,
        "expires_at": created_at + BATCH_WINDOW_SECONDS,
        "finalizing_at": None,
        "completed_at": None,
        "failed_at": None,
        "expired_at": None,
        "cancelling_at": None,
        "cancelled_at": None,
        "request_counts": {"total": len(lines), "completed": 0, "failed": 0},
        "metadata": metadata_of(body),
    }
    state.store.batches[batch["id"]] = batch
    return batch


def _batch(state: SimulatorState, call: Call) -> JsonObject:
    batch_id = call.params["batch_id"]
    found = state.store.batches.get(batch_id)
    if found is None:
        raise not_found("batch", batch_id)
    return found


def list_batches(state: SimulatorState, call: Call) -> Reply:
    return page(call, list(state.store.batches.values()))


def retrieve_batch(state: SimulatorState, call: Call) -> Reply:
    return _batch(state, call)


def cancel_batch(state: SimulatorState, call: Call) -> Reply:
    batch = _batch(state, call)
    if batch["status"] in ("completed", "failed", "expired", "cancelled"):
        raise ApiError(400, f"Cannot cancel a batch with status '{batch['status']}'.")
    batch["status"] = "cancelled"
    batch["cancelling_at"] = batch["cancelled_at"] = now()
    return batch
