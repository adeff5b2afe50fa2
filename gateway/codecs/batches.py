"""Batches (``/v1/batches``) and the batch input file that feeds them.

A batch input file is JSONL, one API request a line. Each line's ``body`` is
protected exactly as the same request sent directly would be: the codec that
serves the line's ``url`` names its slots (tool-call arguments, structural
keys and all), and the texts go through the call's one ``protect_texts``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import BadRequest, NotFound
from ..slots import Json, Path, Slot, StructuralKeys, dump_json_text, json_text_leaves, set_path
from .base import (
    COMMON_STRUCTURAL,
    FUNCTION_NAME_PAIRS,
    Codec,
    ForeignIds,
    JsonCodec,
    ObjectRef,
    ProtectTexts,
)

if TYPE_CHECKING:
    from policies import Policy

    from ..routes import Route

# Fields a direct call has pseudonymised by the pipeline before scanning; in a
# batch line nobody does that, so they are tokenized like any text instead.
_IDENTITY_FIELDS = ("user", "safety_identifier")

# A line's own keys that are not free text (``custom_id`` is: apps put names in it).
_LINE_STRUCTURE = frozenset({"method", "url", "body"})

CodecFor = Callable[[str], Codec | None]


class BatchesCodec(JsonCodec):
    family = "batches"
    structural = StructuralKeys(COMMON_STRUCTURAL | {"anchor"}, FUNCTION_NAME_PAIRS)

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

    The table is built on first use, not at construction, because this object
    is itself built while the table is (the files route holds it).
    """

    def __init__(self, policy: Policy) -> None:
        self._policy = policy
        self._routes: list[Route] | None = None

    def __call__(self, url: str) -> Codec | None:
        from ..routes import build_routes, match_route

        if self._routes is None:
            self._routes = build_routes(self._policy)
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
    changed: bool = False


@dataclass(slots=True)
class _Work:
    """Every text of every line, flattened for one ``protect_texts`` call."""

    texts: list[str] = field(default_factory=list)
    # (line, path of the slot in the line, JSON-text document and leaf path or None)
    targets: list[tuple[_Line, Path, tuple[int, Path] | None]] = field(default_factory=list)
    documents: list[Json] = field(default_factory=list)


async def protect_batch_jsonl(text: str, codec_for: CodecFor, protect_texts: ProtectTexts,
                              foreign_ids: ForeignIds) -> str:
    """Tokenize every request of a batch input file; lines without values stay as sent.

    A line may build on stored objects (a previous response, a conversation,
    a file) as the same request sent directly may: each must be the caller's
    tenant's, or the whole file is refused before anything is scanned or sent.
    """
    lines = [_split_ending(raw) for raw in text.splitlines(keepends=True)]
    work = _Work()
    named: dict[str, int] = {}  # id -> the first line naming it
    for number, line in enumerate(lines, start=1):
        if line.raw.strip():
            line.document = _parse_line(line.raw, number)
            codec = _line_codec(line.document, codec_for, number)
            for object_id in codec.referenced_objects(line.document["body"]):
                named.setdefault(object_id, number)
            _collect(work, line, _line_slots(line.document, codec))
    foreign = await foreign_ids(list(named)) if named else set()
    if foreign:
        object_id = min(foreign, key=named.__getitem__)
        raise NotFound(f"line {named[object_id]} of the batch file refers to {object_id!r}, "
                       "which is no object of this key's tenant", code="object_not_found")
    if work.texts:
        protected = await protect_texts(work.texts)
        _write_back(work, protected)
    return "".join(
        (dump_json_text(line.document) if line.changed else line.raw) + line.ending
        for line in lines)


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
    slots += [Slot(("body", *slot.path), slot.text, slot.json_text)
              for slot in codec.request_slots(body)]
    for name in _IDENTITY_FIELDS:
        value = body.get(name)
        if isinstance(value, str) and value:
            slots.append(Slot(("body", name), value))
    return slots


def _collect(work: _Work, line: _Line, slots: Sequence[Slot]) -> None:
    for slot in slots:
        parsed = json_text_leaves(slot.text) if slot.json_text else None
        if parsed is None:
            work.texts.append(slot.text)
            work.targets.append((line, slot.path, None))
            continue
        document, leaves = parsed
        work.documents.append(document)
        for leaf_path, leaf in leaves:
            work.texts.append(leaf)
            work.targets.append((line, slot.path, (len(work.documents) - 1, leaf_path)))


def _write_back(work: _Work, protected: Sequence[str]) -> None:
    changed_documents: dict[int, tuple[_Line, Path]] = {}
    for (line, path, leaf), old, new in zip(work.targets, work.texts, protected, strict=True):
        if new == old:
            continue
        line.changed = True
        if leaf is None:
            set_path(line.document, path, new)
            continue
        index, leaf_path = leaf
        if leaf_path:
            set_path(work.documents[index], leaf_path, new)
        else:  # the JSON text is itself one string
            work.documents[index] = new
        changed_documents[index] = (line, path)
    for index, (line, path) in changed_documents.items():
        set_path(line.document, path, dump_json_text(work.documents[index]))


def routes() -> list[Route]:
    from ..routes import route

    codec = BatchesCodec()
    return [
        route("GET POST", "batches", codec),
        route("GET", "batches/{id}", codec),
        route("POST", "batches/{id}/cancel", codec),
    ]
