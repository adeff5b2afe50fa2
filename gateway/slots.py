"""Finding and replacing the user text of a JSON body (pure, no I/O).

A *slot* is one piece of a request that may carry user text: a string, an
object key, a number, addressed by its path. The fail-closed rule of every
codec lives here: everything is a slot unless the codec's :class:`Fields`
name it structural (an id or an enum at a given path), so a field the
provider adds tomorrow is scanned by default instead of leaked by default.

Inside *free-form* objects (``metadata``, JSON schemas, prompt variables, the
JSON text of tool-call arguments) nothing is structural: every value, every
key and every number is user data, whatever its name.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum
from functools import cache
from importlib import resources
from typing import Any

from .fieldpaths import Path, PathItem, PathSet

Json = Any

# Values this short under a key are analysed as "key: value", so that the key
# gives the detector its context ("phone: 4915552524252", "upn: jan@corp.example").
CONTEXT_MAX_CHARS = 200
# Keys whose values are prose, read on their own (and joined with neighbouring
# parts): a key as context would only get in the way.
PROSE_KEYS = frozenset({
    "text", "content", "input", "instructions", "additional_instructions", "prompt",
    "description", "output", "query", "summary", "transcript", "refusal", "suffix",
})
# Integers shorter than this cannot be a phone, card or account number.
MIN_SCANNED_DIGITS = 6


class SlotKind(Enum):
    STRING = "string"          # a string value
    KEY = "key"                # an object key: rewriting it renames the key
    NUMBER = "number"          # a JSON number in free-form data: becomes a string if changed
    JSON_TEXT = "json_text"    # a string holding JSON text: scanned leaf by leaf
    IDENTIFIER = "identifier"  # user text that must stay an identifier (a message's name)
    DATA_URL = "data_url"      # a file sent inline (data:...;base64,...): protected as a file


@dataclass(frozen=True, slots=True)
class Slot:
    path: Path
    text: str
    kind: SlotKind = SlotKind.STRING
    # The key this value sits under, given to the detector as context.
    context: str | None = None


@dataclass(frozen=True)
class Fields:
    """How a codec reads its family's request bodies.

    ``structural``: ids and enums, never scanned (outside free-form objects).
    ``free_form``: objects the app defines; everything inside is scanned.
    ``json_text``: strings that hold JSON text (tool-call arguments).
    ``identifiers``: user text that the API constrains to an identifier.
    """

    structural: PathSet
    free_form: PathSet
    json_text: PathSet
    identifiers: PathSet

    def extended(self, *, structural: tuple[str, ...] = (), free_form: tuple[str, ...] = (),
                 json_text: tuple[str, ...] = (), identifiers: tuple[str, ...] = ()
                 ) -> Fields:
        return Fields(self.structural | PathSet(structural), self.free_form | PathSet(free_form),
                      self.json_text | PathSet(json_text),
                      self.identifiers | PathSet(identifiers))


@cache
def api_field_names() -> frozenset[str]:
    """Object keys that are the API's own field names (see the data file's header)."""
    text = resources.files("gateway.data").joinpath("api_field_names.txt").read_text()
    return frozenset(line.strip() for line in text.splitlines()
                     if line.strip() and not line.startswith("#"))


def request_slots(body: Json, fields: Fields) -> list[Slot]:
    """Every slot of a request body, in document order."""
    return list(_walk(body, (), fields, in_free_form=fields.free_form.matches(())))


def _walk(node: Json, path: Path, fields: Fields, *, in_free_form: bool) -> Iterator[Slot]:
    if isinstance(node, dict):
        names = api_field_names()
        for key, value in node.items():
            child = (*path, key)
            if isinstance(key, str) and key and (in_free_form or key not in names):
                yield Slot(child, key, SlotKind.KEY)
            free = in_free_form or fields.free_form.matches(child)
            yield from _walk(value, child, fields, in_free_form=free)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, (*path, index), fields, in_free_form=in_free_form)
    elif isinstance(node, str):
        if node and path:
            slot = _string_slot(node, path, fields, in_free_form)
            if slot is not None:
                yield slot
    elif isinstance(node, int) and not isinstance(node, bool) and in_free_form:
        text = str(node)
        if len(text.lstrip("-")) >= MIN_SCANNED_DIGITS:
            yield Slot(path, text, SlotKind.NUMBER, _context_key(path))


def _string_slot(text: str, path: Path, fields: Fields, in_free_form: bool) -> Slot | None:
    if is_data_url(text):
        return Slot(path, text, SlotKind.DATA_URL)
    if not in_free_form and fields.structural.matches(path):
        return None
    if fields.json_text.matches(path):
        return Slot(path, text, SlotKind.JSON_TEXT)
    if fields.identifiers.matches(path):
        return Slot(path, text, SlotKind.IDENTIFIER)
    context = _context_key(path) if len(text) <= CONTEXT_MAX_CHARS else None
    return Slot(path, text, SlotKind.STRING, context)


def is_data_url(text: str) -> bool:
    return text.startswith("data:") and ";base64," in text[:200]


def _context_key(path: Path) -> str | None:
    key = path[-1] if path else None
    if not isinstance(key, str) or not key or len(key) > 40 or key in PROSE_KEYS:
        return None
    return key


def iter_strings(node: Json, path: Path = ()) -> Iterator[tuple[Path, str]]:
    """Every string of a document with its path, in document order."""
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from iter_strings(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from iter_strings(value, (*path, index))


def json_text_slots(text: str) -> tuple[Json, list[Slot]] | None:
    """Parse JSON text into its slots (everything is free-form), or None if not JSON."""
    try:
        document = json.loads(text)
    except ValueError:
        return None
    everything = Fields(PathSet(), PathSet(("**",)), PathSet(), PathSet())
    return document, list(_walk(document, (), everything, in_free_form=True))


def get_path(body: Json, path: Path) -> Json:
    node = body
    for item in path:
        node = node[item]
    return node


def set_path(body: Json, path: Path, value: Json) -> None:
    parent = get_path(body, path[:-1])
    parent[path[-1]] = value


def rename_key(body: Json, path: Path, new_key: str) -> bool:
    """Rename the key at ``path`` in place, keeping its position; False on a clash."""
    parent = get_path(body, path[:-1])
    old_key = path[-1]
    if new_key == old_key:
        return True
    if new_key in parent:
        return False
    items = list(parent.items())
    parent.clear()
    parent.update((new_key if key == old_key else key, value) for key, value in items)
    return True


def dump_json_text(document: Json) -> str:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def json_string_escape(value: str) -> str:
    """Escape a value for insertion inside a JSON string literal (no quotes added)."""
    return json.dumps(value, ensure_ascii=False)[1:-1]


RestoreText = Callable[[str, bool], str]


def restore_strings(node: Json, restore: RestoreText, json_text_keys: frozenset[str],
                    key: PathItem | None = None) -> Json:
    """Restore every string and object key of a response body that may hold a token.

    Every string is visited (fail safe: a new response field is restored too);
    strings under a JSON-text key get JSON-escaped values so they stay valid JSON.
    Keys are restored because the provider echoes the app's free-form objects
    (``metadata``) whose keys were tokenized on the way out.
    """
    if isinstance(node, str):
        if "<" not in node:
            return node
        return restore(node, isinstance(key, str) and key in json_text_keys)
    if isinstance(node, dict):
        if any("<" in name for name in node if isinstance(name, str)):
            restored = {(restore(name, False) if isinstance(name, str) else name): value
                        for name, value in node.items()}
            node.clear()
            node.update(restored)
        for name, value in node.items():
            node[name] = restore_strings(value, restore, json_text_keys, name)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            node[index] = restore_strings(value, restore, json_text_keys, key)
    return node


__all__ = ["Fields", "Json", "Path", "PathItem", "PathSet", "Slot", "SlotKind", "get_path",
           "request_slots", "set_path"]
