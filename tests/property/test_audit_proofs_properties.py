"""Properties of the Merkle code: every honest proof verifies, every damaged one fails."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit import proofs
from audit.errors import ProofError
from audit.hashing import leaf_hash
from audit.proofs import NodeID
from audit.tree import CompactRange
from tests.unit.audit.audit_factories import mth, path, proof

LEAVES = [leaf_hash(i.to_bytes(4, "big")) for i in range(300)]


def _nodes(spans: tuple[proofs.Span, ...], leaves: list[bytes]) -> list[bytes]:
    fetched = {n: mth(leaves[n.begin : n.end]) for n in proofs.fetch_list(spans)}
    return proofs.assemble(spans, fetched)


def _damaged(hashes: list[bytes], data: st.DataObject) -> list[bytes]:
    choice = data.draw(st.sampled_from(["flip", "drop", "add", "swap"] if hashes else ["add"]))
    damaged = list(hashes)
    if choice == "flip":
        at = data.draw(st.integers(0, len(damaged) - 1))
        bit = data.draw(st.integers(0, 255))
        value = bytearray(damaged[at])
        value[bit // 8] ^= 1 << (bit % 8)
        damaged[at] = bytes(value)
    elif choice == "drop":
        del damaged[data.draw(st.integers(0, len(damaged) - 1))]
    elif choice == "add":
        damaged.insert(data.draw(st.integers(0, len(damaged))), leaf_hash(b"extra"))
    else:
        if len(damaged) < 2 or damaged[0] == damaged[-1]:
            damaged.append(leaf_hash(b"extra"))
        else:
            damaged[0], damaged[-1] = damaged[-1], damaged[0]
    return damaged


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 300), st.data())
def test_inclusion(size: int, data: st.DataObject) -> None:
    leaves = LEAVES[:size]
    index = data.draw(st.integers(0, size - 1))
    hashes = _nodes(proofs.inclusion_spans(index, size), leaves)
    assert hashes == path(index, leaves)
    root = mth(leaves)
    proofs.verify_inclusion(index, size, leaves[index], hashes, root)
    with pytest.raises(ProofError):
        proofs.verify_inclusion(index, size, leaves[index], _damaged(hashes, data), root)
    other = data.draw(st.integers(0, size - 1).filter(lambda i: i != index)) if size > 1 else None
    if other is not None:
        with pytest.raises(ProofError):
            proofs.verify_inclusion(other, size, leaves[index], hashes, root)


@settings(max_examples=150, deadline=None)
@given(st.integers(2, 300), st.data())
def test_consistency(size2: int, data: st.DataObject) -> None:
    size1 = data.draw(st.integers(1, size2 - 1))
    leaves = LEAVES[:size2]
    hashes = _nodes(proofs.consistency_spans(size1, size2), leaves)
    assert hashes == proof(size1, leaves)
    root1, root2 = mth(leaves[:size1]), mth(leaves)
    proofs.verify_consistency(size1, size2, hashes, root1, root2)
    with pytest.raises(ProofError):
        proofs.verify_consistency(size1, size2, _damaged(hashes, data), root1, root2)
    with pytest.raises(ProofError):
        proofs.verify_consistency(size1, size2, hashes, root1, leaf_hash(b"forked"))


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 300), st.data())
def test_subtree_consistency(size: int, data: st.DataObject) -> None:
    level = data.draw(st.integers(0, size.bit_length() - 1))
    index = data.draw(st.integers(0, (size >> level) - 1))
    node = NodeID(level, index)
    leaves = LEAVES[:size]
    spans = proofs.subtree_consistency_spans(node.begin, node.end, size)
    hashes = _nodes(spans, leaves)
    subtree = mth(leaves[node.begin : node.end])
    proofs.verify_subtree_consistency(node.begin, node.end, size, hashes, subtree, mth(leaves))
    if hashes:
        with pytest.raises(ProofError):
            proofs.verify_subtree_consistency(
                node.begin, node.end, size, _damaged(hashes, data), subtree, mth(leaves)
            )


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 4), min_size=1, max_size=12))
def test_compact_range_with_pushed_subtrees(levels: list[int]) -> None:
    compact = CompactRange()
    covered = 0
    for level in levels:
        width = 1 << level
        if covered % width or covered + width > len(LEAVES):
            continue
        compact.push(level, mth(LEAVES[covered : covered + width]))
        covered += width
    assert compact.size == covered
    assert compact.root() == mth(LEAVES[:covered])
