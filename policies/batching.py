"""Cutting work into pieces: long texts into segments, batches into shares.

Why: spaCy refuses texts over a million characters, a single uploaded file
should keep both cores busy, and a batch is best split so that every worker
gets about the same number of characters. Pure functions, tested directly.
"""

from __future__ import annotations

from collections.abc import Sequence

# Where a segment may end, best first: a blank line, a line end, a space. A
# value rarely spans a line break, so cutting there keeps values whole.
_BREAKS = ("\n\n", "\n", " ")


def segment(text: str, max_chars: int) -> list[tuple[int, str]]:
    """``(offset, piece)`` pairs whose pieces concatenate back to ``text``."""
    if max_chars <= 0:
        raise ValueError("max_chars must be positive")
    pieces: list[tuple[int, str]] = []
    start = 0
    while len(text) - start > max_chars:
        limit = start + max_chars
        cut = limit
        for marker in _BREAKS:
            found = text.rfind(marker, start + max_chars // 2, limit)
            if found >= 0:
                cut = found + len(marker)
                break
        pieces.append((start, text[start:cut]))
        start = cut
    pieces.append((start, text[start:]))
    return pieces


def partition(sizes: Sequence[int], parts: int) -> list[list[int]]:
    """Indexes of ``sizes`` in at most ``parts`` groups of about equal total size.

    Largest first into the lightest group (the classic greedy rule); empty
    groups are dropped and each group keeps its indexes in input order.
    """
    if parts <= 0:
        raise ValueError("parts must be positive")
    groups: list[list[int]] = [[] for _ in range(parts)]
    loads = [0] * parts
    for index in sorted(range(len(sizes)), key=lambda i: -sizes[i]):
        lightest = loads.index(min(loads))
        groups[lightest].append(index)
        loads[lightest] += sizes[index]
    return [sorted(group) for group in groups if group]
