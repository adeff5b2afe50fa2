"""Token grammar: the one definition of what a piigate token looks like.

A token is ``<TYPE_N>``: an upper-case entity type (letters, digits and
underscores, starting with a letter) and a positive decimal index, for example
``<PERSON_3>`` or ``<EMAIL_ADDRESS_12>``. The grammar is deliberately narrow so
that restoring can find tokens by scanning text (LLM output keeps no offsets)
and so that a stream restorer needs to hold back only a short tail that could
still grow into a token.

Pure functions only: no I/O, no state.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

MAX_TYPE_LENGTH = 40
MAX_INDEX_DIGITS = 9
# ``<`` + type + ``_`` + digits + ``>``: the longest text that can be a token.
MAX_TOKEN_LENGTH = 1 + MAX_TYPE_LENGTH + 1 + MAX_INDEX_DIGITS + 1

_TYPE_PATTERN = rf"[A-Z][A-Z0-9_]{{0,{MAX_TYPE_LENGTH - 1}}}"
TOKEN_RE = re.compile(
    rf"<(?P<type>{_TYPE_PATTERN})_(?P<index>[1-9][0-9]{{0,{MAX_INDEX_DIGITS - 1}}})>"
)
_TYPE_RE = re.compile(_TYPE_PATTERN)
# Text after a final '<' that a token could still continue from.
_OPEN_TAIL_RE = re.compile(r"<[A-Z0-9_]*")


@dataclass(frozen=True, slots=True)
class Token:
    entity_type: str
    index: int

    def __str__(self) -> str:
        return f"<{self.entity_type}_{self.index}>"


def format_token(entity_type: str, index: int) -> str:
    """Render a token, refusing types or indexes the grammar could not parse back."""
    if not _TYPE_RE.fullmatch(entity_type):
        raise ValueError("entity type must be upper-case letters, digits and underscores")
    if not 1 <= index < 10**MAX_INDEX_DIGITS:
        raise ValueError("token index out of range")
    return f"<{entity_type}_{index}>"


def parse_token(text: str) -> Token | None:
    match = TOKEN_RE.fullmatch(text)
    if match is None:
        return None
    return Token(match["type"], int(match["index"]))


def find_tokens(text: str) -> Iterator[re.Match[str]]:
    """Every token-shaped substring, left to right, non-overlapping."""
    return TOKEN_RE.finditer(text)


def unfinished_token_start(text: str) -> int:
    """Offset of the shortest tail of ``text`` that could still become a token.

    Returns ``len(text)`` when no tail could: everything may be emitted. Only a
    tail starting at the last ``<`` qualifies, and only while it is shorter than
    the longest possible token and contains nothing a token cannot contain.
    """
    start = text.rfind("<", max(0, len(text) - MAX_TOKEN_LENGTH + 1))
    if start < 0:
        return len(text)
    if _OPEN_TAIL_RE.fullmatch(text, start):
        return start
    return len(text)


class Holdback:
    """Incremental splitter that never emits part of a token.

    ``feed`` returns the text that is safe to emit now (any token in it is
    whole); the rest waits for the next piece. ``flush`` returns what is left at
    the end of the stream. Shaped like httpx's incremental decoders.
    """

    __slots__ = ("_pending",)

    def __init__(self) -> None:
        self._pending = ""

    def feed(self, piece: str) -> str:
        text = self._pending + piece
        cut = unfinished_token_start(text)
        self._pending = text[cut:]
        return text[:cut]

    def flush(self) -> str:
        text, self._pending = self._pending, ""
        return text

    @property
    def pending(self) -> str:
        return self._pending
