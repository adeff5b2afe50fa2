"""Grouping the tagger's token windows into padded batches.

Why: one ``session.run`` per chat message pays the graph's fixed cost per
message, and a single short row keeps the matrix kernels half idle. Windows
of all the texts of a scan go through the model in groups instead; sorted by
length, so a group's rows are padded to about the same length and little
work is spent on padding. Measured on the tuning seeds (messages of about 26
tokens): groups of 8 cost about 40% less tagger CPU than one run per message
with the shipped 4-bit model and about 15% less with the int8 one; larger
groups lose again (longer padding, worse cache use). Pure functions, tested
directly.

Why one row per group: with the int8 model (:mod:`policies.tagger_model`)
the activations of a whole group share one quantisation scale, so a token's
probabilities would move with the other rows of its group and a text could
come out differently depending on what it was batched with. A gateway's
findings must depend on the text alone (the same prompt must be protected the
same way every time), so the int8 model runs one row per group, which costs
about 15% of the tagger's time; the shipped 4-bit model (used when the rewrite
is not possible) keeps groups of ``ROWS_PER_GROUP``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

# Rows per group for a model whose rows are independent (the shipped 4-bit one).
ROWS_PER_GROUP = 8
# A group also stops growing when its padded size would pass this many
# tokens, so eight long windows do not make one huge attention batch.
MAX_BATCH_TOKENS = 1024


def plan_batches(
    lengths: Sequence[int], max_rows: int = ROWS_PER_GROUP, max_tokens: int = MAX_BATCH_TOKENS
) -> list[list[int]]:
    """Indexes of ``lengths`` in groups: shortest first, each padded size bounded.

    Every index appears exactly once. A group holds at most ``max_rows`` rows
    and at most ``max_tokens`` padded tokens (rows times its longest row),
    except that a row longer than ``max_tokens`` still gets a group alone.
    """
    if max_rows <= 0 or max_tokens <= 0:
        raise ValueError("batch limits must be positive")
    groups: list[list[int]] = []
    current: list[int] = []
    for index in sorted(range(len(lengths)), key=lambda i: lengths[i]):
        # Sorted ascending: the row being added is the group's longest.
        if current and (
            len(current) >= max_rows or (len(current) + 1) * lengths[index] > max_tokens
        ):
            groups.append(current)
            current = []
        current.append(index)
    if current:
        groups.append(current)
    return groups


def pad_rows(
    rows: Sequence[Sequence[int]], first: int, last: int
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Token ids ``[first, *row, last, 0...]`` and the attention mask (1 on real tokens)."""
    width = max((len(row) for row in rows), default=0) + 2
    ids = np.zeros((len(rows), width), dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=np.int64)
    for number, row in enumerate(rows):
        ids[number, : len(row) + 2] = [first, *row, last]
        mask[number, : len(row) + 2] = 1
    return ids, mask
