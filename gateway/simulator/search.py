"""Naive vector-store search: paragraph chunks, word-overlap scores, attribute filters.

Hand-written on purpose: the simulator needs deterministic, explainable
hits (a test searches for a word and expects the chunk that holds it), not
semantic quality, so an embedding library would only add weight and noise.
"""

from __future__ import annotations

import re
from typing import Any

MAX_CHUNK_CHARS = 800
_WORD = re.compile(r"\w+")


def chunk_text(text: str, max_chars: int = MAX_CHUNK_CHARS) -> list[str]:
    """Paragraphs (blank-line separated), long ones cut at ``max_chars``."""
    chunks: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        paragraph = paragraph.strip()
        while paragraph:
            chunks.append(paragraph[:max_chars])
            paragraph = paragraph[max_chars:].strip()
    return chunks


def score(query: str, chunk: str) -> float:
    """1.0 when the chunk holds the whole query, else the share of query words it holds."""
    if query.strip() and query.strip().lower() in chunk.lower():
        return 1.0
    wanted = set(_WORD.findall(query.lower()))
    if not wanted:
        return 0.0
    present = wanted & set(_WORD.findall(chunk.lower()))
    return round(len(present) / len(wanted), 4)


def matches(condition: Any, attributes: dict[str, Any]) -> bool:
    """Whether attributes satisfy an OpenAI comparison or compound filter."""
    if not isinstance(condition, dict):
        return True
    kind = condition.get("type")
    if kind in ("and", "or"):
        results = [matches(inner, attributes) for inner in condition.get("filters") or []]
        return all(results) if kind == "and" else any(results)
    key = condition.get("key")
    if key not in attributes:
        return kind in ("ne", "nin")
    value, wanted = attributes[key], condition.get("value")
    return _compare(str(kind), value, wanted)


def _compare(kind: str, value: Any, wanted: Any) -> bool:
    if kind == "eq":
        return bool(value == wanted)
    if kind == "ne":
        return bool(value != wanted)
    if kind in ("in", "nin"):
        inside = isinstance(wanted, list) and value in wanted
        return inside if kind == "in" else not inside
    try:
        order = {"gt": value > wanted, "gte": value >= wanted, "lt": value < wanted}
        order["lte"] = value <= wanted
    except TypeError:
        return False
    return bool(order.get(kind, False))
