"""Response items, shared by the Responses and Conversations codecs.

A conversation item IS a response item (the same messages, function calls,
tool outputs and reasoning), so both families scan the same structural keys
and restore answers the same way. The one thing a plain walk over strings
gets wrong is ``output_text``: its annotations point into the text by
character offset, so when a restored value is longer or shorter than its
token every annotation after it must move. Offsets are computed from the
token spans of the upstream text and the length of each
restored value; the vault is asked per distinct token, from its cache.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from ..restore import Edit, Restorer
from ..slots import Json, PathItem, Slot, request_slots
from .base import COMMON_FIELDS, RawBody, dump_json

ITEM_FIELDS = COMMON_FIELDS.extended(structural=(
    "**.conversation",       # a conversation id (or {"id": ...})
    "**.phase",              # "commentary" | "final_answer" on assistant messages
    "**.container_id", "**.approval_request_id", "**.first_id", "**.last_id",
    "**.container",          # a code interpreter's container id
    # Where a remote MCP tool lives, and the credentials the app gives the
    # provider to call it: tokenizing them would cut the tool off.
    "**.server_url", "**.server_label", "**.connector_id", "tools[].authorization",
    "tools[].headers.*",
    # Opaque ciphertext of reasoning the provider gave back: it holds no
    # plain text, and changing one character of it breaks the next turn.
    "**.encrypted_content",
    "input[].name",          # function_call / custom_tool_call items in input
    "items[].name",          # the same items added to a conversation
    "tools[].name",          # Responses tools are flat: {"type": "function", "name"}
    "**.format.name",        # text.format json_schema name
    "reasoning.summary",     # "auto" | "concise" | "detailed"
    "prompt.id",
))
# Keys whose string value is JSON text in answers: function and MCP call arguments.
JSON_TEXT_KEYS = frozenset({"arguments"})
STRUCTURED_FORMATS = frozenset({"json_schema", "json_object"})


def item_request_slots(body: Json) -> list[Slot]:
    """Every user string of a Responses-family request."""
    return request_slots(body, ITEM_FIELDS)


def wants_json_text(document: Json) -> bool:
    """Structured outputs put JSON in ``output_text``: restored values must be escaped.

    ``document`` is a Responses request or a response object; both carry the
    format under ``text.format.type``.
    """
    text = document.get("text") if isinstance(document, dict) else None
    text_format = text.get("format") if isinstance(text, dict) else None
    return isinstance(text_format, dict) and text_format.get("type") in STRUCTURED_FORMATS


def shift_offset(offset: int, edits: Sequence[Edit], *, closing: bool) -> int:
    """Where ``offset`` of the upstream text lands in the restored text.

    An offset strictly inside a token (a provider should not produce one)
    widens to the whole restored value: the start of it for an opening
    offset, its end for a closing one.
    """
    moved = 0
    for edit in edits:
        if edit.end <= offset:
            moved += edit.length - (edit.end - edit.start)
        elif edit.start < offset:
            return edit.start + moved + (edit.length if closing else 0)
        else:
            break
    return offset + moved


def shift_annotation(annotation: Json, edits: Sequence[Edit]) -> None:
    if not isinstance(annotation, dict) or not edits:
        return
    for key, closing in (("start_index", False), ("end_index", True)):
        value = annotation.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            annotation[key] = shift_offset(value, edits, closing=closing)


class DocumentRestorer:
    """Restores every string of a Responses-family answer exactly once.

    Fail safe like :func:`gateway.slots.restore_strings` (a field the provider
    adds tomorrow is restored too), plus: ``output_text`` parts move their
    annotations, and their text is JSON-escaped for structured outputs.
    """

    __slots__ = ("_json_output_text", "_restorer")

    def __init__(self, restorer: Restorer, *, json_output_text: bool = False) -> None:
        self._restorer = restorer
        self._json_output_text = json_output_text

    def restore(self, node: Json, key: PathItem | None = None) -> Json:
        if isinstance(node, str):
            if "<" not in node:
                return node
            return self._restorer.text(node, isinstance(key, str) and key in JSON_TEXT_KEYS)
        if isinstance(node, dict):
            skip = self._output_text(node)
            for name, value in node.items():
                if name not in skip:
                    node[name] = self.restore(value, name)
        elif isinstance(node, list):
            for index, value in enumerate(node):
                node[index] = self.restore(value, key)
        return node

    def _output_text(self, node: dict[str, Json]) -> frozenset[str]:
        """Restore an ``output_text`` part's text and shift its annotations."""
        text = node.get("text")
        if node.get("type") != "output_text" or not isinstance(text, str):
            return frozenset()
        node["text"], edits = self._restorer.with_edits(text, self._json_output_text)
        for annotation in node.get("annotations") or []:
            shift_annotation(annotation, edits)
        return frozenset({"text"})


def restore_answer(request: Json, body: RawBody, restorer: Restorer) -> RawBody:
    """A whole Responses or Conversations answer; one that is not JSON is left as it is."""
    try:
        document = json.loads(body.content) if body.content else None
    except ValueError:
        return body
    if document is None:
        return body
    json_text = wants_json_text(request) or wants_json_text(document)
    document = DocumentRestorer(restorer, json_output_text=json_text).restore(document)
    return RawBody(dump_json(document), "application/json")


def item_ids(items: Json) -> list[str]:
    """Ids of the items of a list (created conversation items, a response's output).

    An ``item_reference`` is left out: its id names another item, which is
    recorded where it was created, not here.
    """
    if not isinstance(items, list):
        return []
    return [item["id"] for item in items
            if isinstance(item, dict) and isinstance(item.get("id"), str) and item["id"]
            and item.get("type") != "item_reference"]


# Parts whose ``file_id`` makes the provider load a stored file into the model's
# context. Annotations and file search results also carry a ``file_id``, but only
# to cite it (a container file citation names a container's file, never recorded).
_FILE_PARTS = frozenset({"input_file", "input_image", "computer_screenshot"})
# Subtrees that hold the app's own JSON (metadata, JSON schemas), never a reference.
_NOT_REFERENCES = frozenset({"metadata", "schema", "parameters"})


def referenced_ids(body: Json) -> list[str]:
    """Stored objects a Responses-family body makes the provider load; first seen first.

    Items by reference (``item_reference``; a ``reasoning`` item with no
    ``encrypted_content``, whose content the provider looks up by id), files
    in input parts and tool settings, vector stores searched, code containers
    used. Each must be the caller's tenant's: the provider account is shared.
    """
    found: dict[str, None] = {}
    _collect_references(body, found)
    return list(found)


def _collect_references(node: Json, found: dict[str, None]) -> None:
    if isinstance(node, list):
        for value in node:
            _collect_references(value, found)
    elif isinstance(node, dict):
        for ident in _named_by(node):
            found[ident] = None
        for name, value in node.items():
            if name not in _NOT_REFERENCES and isinstance(value, dict | list):
                _collect_references(value, found)


def _named_by(node: dict[str, Json]) -> list[str]:
    """The ids one JSON object names by itself (not those of the objects inside it)."""
    kind = node.get("type")
    named: list[Json] = []
    if kind == "item_reference" or (kind == "reasoning" and not node.get("encrypted_content")):
        named.append(node.get("id"))
    if kind in _FILE_PARTS:
        named.append(node.get("file_id"))
    if kind == "code_interpreter" and isinstance(node.get("container"), str):
        named.append(node["container"])  # a container id, not {"type": "auto", ...}
    if kind == "container_reference":
        named.append(node.get("container_id"))
    mask = node.get("input_image_mask")  # image_generation tool
    if isinstance(mask, dict):
        named.append(mask.get("file_id"))
    for key in ("file_ids", "vector_store_ids"):  # container files, file_search stores
        values = node.get(key)
        if isinstance(values, list):
            named.extend(values)
    return [ident for ident in named if isinstance(ident, str) and ident]
