"""Finding and replacing the strings of a JSON body (pure, no I/O).

A *slot* is one string in a request or response body, addressed by its path.
The fail-closed rule of every codec lives here: every string is a slot unless
its key is listed as structural, so a field the provider adds tomorrow is
scanned by default instead of leaked by default.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

Json = Any
PathItem = str | int
Path = tuple[PathItem, ...]


@dataclass(frozen=True, slots=True)
class StructuralKeys:
    """Keys whose string values are identifiers or enums, never user text.

    ``keys`` match anywhere; ``pairs`` match a (parent key, key) pair only, for
    names that are structural in one place and user text in another (a tool
    function's ``name`` versus a chat message author's ``name``).
    """

    keys: frozenset[str]
    pairs: frozenset[tuple[str, str]] = frozenset()
    # Keys whose string value is JSON text (tool-call arguments): scanned leaf by leaf.
    json_text: frozenset[str] = frozenset({"arguments"})

    def is_structural(self, path: Path) -> bool:
        """A string is structural if the key that holds it (or holds its list) is."""
        named = path
        while named and not isinstance(named[-1], str):
            named = named[:-1]  # ["a", "b"] under a structural key: each element is too
        key = named[-1] if named else None
        if not isinstance(key, str):
            return False
        if key in self.keys:
            return True
        parent = _parent_key(named)
        return parent is not None and (parent, key) in self.pairs


@dataclass(frozen=True, slots=True)
class Slot:
    path: Path
    text: str
    json_text: bool = False


def _parent_key(path: Path) -> str | None:
    for item in reversed(path[:-1]):
        if isinstance(item, str):
            return item
    return None


def iter_strings(node: Json, path: Path = ()) -> Iterator[tuple[Path, str]]:
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from iter_strings(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from iter_strings(value, (*path, index))


def request_slots(body: Json, structural: StructuralKeys) -> list[Slot]:
    slots: list[Slot] = []
    for path, text in iter_strings(body):
        if not path or not text or structural.is_structural(path):
            continue
        slots.append(Slot(path, text, json_text=path[-1] in structural.json_text))
    return slots


def get_path(body: Json, path: Path) -> Json:
    node = body
    for item in path:
        node = node[item]
    return node


def set_path(body: Json, path: Path, value: Json) -> None:
    parent = get_path(body, path[:-1])
    parent[path[-1]] = value


def json_text_leaves(text: str) -> tuple[Json, list[tuple[Path, str]]] | None:
    """Parse JSON text (tool-call arguments) into its string leaves, or None if not JSON."""
    try:
        document = json.loads(text)
    except ValueError:
        return None
    return document, [(path, leaf) for path, leaf in iter_strings(document) if leaf]


def dump_json_text(document: Json) -> str:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def json_string_escape(value: str) -> str:
    """Escape a value for insertion inside a JSON string literal (no quotes added)."""
    return json.dumps(value, ensure_ascii=False)[1:-1]


RestoreText = Callable[[str, bool], Awaitable[str]]


async def restore_strings(node: Json, restore: RestoreText, json_text_keys: frozenset[str],
                          key: PathItem | None = None) -> Json:
    """Restore every string of a response body that may hold a token.

    Every string is visited (fail safe: a new response field is restored too);
    strings under a JSON-text key get JSON-escaped values so they stay valid JSON.
    """
    if isinstance(node, str):
        if "<" not in node:
            return node
        return await restore(node, isinstance(key, str) and key in json_text_keys)
    if isinstance(node, dict):
        for name, value in node.items():
            node[name] = await restore_strings(value, restore, json_text_keys, name)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            node[index] = await restore_strings(value, restore, json_text_keys, key)
    return node
