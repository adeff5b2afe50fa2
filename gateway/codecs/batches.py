"""Batches (``/v1/batches``) and the batch input file that feeds them.

A batch input file is JSONL, one API request a line. Each line's ``body`` is
protected exactly as the same request sent directly would be: the codec that
serves the line's ``url`` names its slots (tool-call arguments, structural
keys and all), and the texts go through the call's one ``protect_texts``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ..errors import BadRequest, NotFound
from ..routing import Route, match_route, route
from ..slots import Json, Slot, dump_json_text
from .base import Codec, JsonCodec, ObjectRef, Protector

if TYPE_CHECKING:
    from policies import Policy

# Fields a direct call has pseudonymised by the pipeline before scanning; in a
# batch line nobody does that, so they are tokenized like any text instead.
_IDENTITY_FIELDS = ("user", "safety_identifier")

# A line's own keys that are not free text (``custom_id`` is: apps put names in it).
_LINE_STRUCTURE = frozenset({"method", "url", "body"})

CodecFor = Callable[[str], Codec | None]


class BatchesCodec(JsonCodec):
    family = "batches"

    def referenced_objects(self, body: Json) -> list[str]:
        file_id = body.get("input_file_id") if isinstance(body, dict) else None
        return [file_id] if isinstance(file_id, str) else []

    def created_objects(self, request: Json, response: Json) -> list[ObjectRef]:
        """The batch, and its output files once it has them (read back as the owner's)."""
        if not (isinstance(response, dict) and response.get("object") == "batch"
                and isinstance(response.get("id"), str)):
            return []
        batch_id = response["id"]
        refs = [ObjectRef("batch", batch_id)]
        for name in ("output_file_id", "error_file_id"):
            if isinstance(response.get(name), str) and response[name]:
                refs.append(ObjectRef("file", response[name], batch_id))
        return refs


class RouteCodecs:
    """Finds the codec for a batch line's ``url`` in the gateway's own route table.

    The files route holds this object, so it exists before the table does:
    the table is handed over with :meth:`use` once built.
    """

    def __init__(self, policy: Policy) -> None:
        self._policy = policy
        self._routes: list[Route] = []

    def use(self, routes: list[Route]) -> None:
        self._routes = routes

    def __call__(self, url: str) -> Codec | None:
        path = url.split("?", 1)[0].removeprefix("/").removeprefix("v1/")
        matched = match_route(self._routes, "POST", path)
        if matched is not None and not matched.route.owned:
            return matched.route.codec
        if matched is None and self._policy.routes.unknown_paths == "passthrough":
            return JsonCodec()
        return None


@dataclass(slots=True)
class _Line:
    raw: str
    ending: str
    document: dict[str, Any] | None = None


async def protect_batch_jsonl(text: str, codec_for: CodecFor, protector: Protector) -> str:
    """Tokenize every request of a batch input file; lines without values stay as sent.

    A line may build on stored objects (a previous response, a conversation,
    a file) as the same request sent directly may: each must be the caller's
    tenant's, or the whole file is refused before anything is scanned or sent.
    """
    lines = [_split_ending(raw) for raw in text.splitlines(keepends=True)]
    documents: list[Json] = []  # one per line with a request, protected as one body
    slots: list[Slot] = []
    named: dict[str, int] = {}  # id -> the first line naming it
    for number, line in enumerate(lines, start=1):
        if line.raw.strip():
            line.document = _parse_line(line.raw, number)
            codec = _line_codec(line.document, codec_for, number)
            for object_id in codec.referenced_objects(line.document["body"]):
                named.setdefault(object_id, number)
            slots += [replace(slot, path=(len(documents), *slot.path))
                      for slot in _line_slots(line.document, codec)]
            documents.append(line.document)
    foreign = await protector.foreign_ids(list(named)) if named else set()
    if foreign:
        object_id = min(foreign, key=named.__getitem__)
        raise NotFound(f"line {named[object_id]} of the batch file refers to {object_id!r}, "
                       "which is no object of this key's tenant", code="object_not_found")
    before = [dump_json_text(document) for document in documents]
    if slots:
        await protector.document(documents, slots)
    changed = {id(document) for document, was in zip(documents, before, strict=True)
               if dump_json_text(document) != was}
    return "".join(
        (dump_json_text(line.document) if id(line.document) in changed else line.raw)
        + line.ending for line in lines)


def _split_ending(raw: str) -> _Line:
    body = raw.rstrip("\r\n")
    return _Line(body, raw[len(body):])


def _parse_line(raw: str, number: int) -> dict[str, Any]:
    try:
        document = json.loads(raw)
    except ValueError:
        raise BadRequest(f"line {number} of the batch file is not JSON",
                         code="invalid_batch_file") from None
    if not (isinstance(document, dict) and isinstance(document.get("body"), dict)
            and isinstance(document.get("url"), str)):
        raise BadRequest(f"line {number} of the batch file is not a request with a url and a body",
                         code="invalid_batch_file")
    return document


def _line_codec(document: dict[str, Any], codec_for: CodecFor, number: int) -> Codec:
    codec = codec_for(document["url"])
    if codec is None:
        raise BadRequest(f"line {number} of the batch file calls an endpoint the gateway "
                         "does not serve", code="invalid_batch_file")
    return codec


def _line_slots(document: dict[str, Any], codec: Codec) -> list[Slot]:
    """The body's slots as its codec names them, plus the line's own free strings."""
    body: dict[str, Any] = document["body"]
    slots = [Slot((key,), value) for key, value in document.items()
             if key not in _LINE_STRUCTURE and isinstance(value, str) and value]
    slots += [replace(slot, path=("body", *slot.path)) for slot in codec.request_slots(body)]
    for name in _IDENTITY_FIELDS:
        value = body.get(name)
        if isinstance(value, str) and value:
            slots.append(Slot(("body", name), value))
    return slots


def routes() -> list[Route]:
    codec = BatchesCodec()
    return [
        route("GET POST", "batches", codec),
        route("GET", "batches/{id}", codec),
        route("POST", "batches/{id}/cancel", codec),
    ]
