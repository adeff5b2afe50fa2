from __future__ import annotations

import pytest

from audit.errors import ProofError
from audit.hashing import EMPTY_ROOT, leaf_hash
from audit.proofs import NodeID
from audit.tree import CompactRange, border, root_of
from tests.unit.audit.audit_factories import mth

LEAVES = [leaf_hash(i.to_bytes(4, "big")) for i in range(130)]


def test_root_after_every_append_matches_reference() -> None:
    compact = CompactRange()
    assert compact.root() == EMPTY_ROOT
    for size in range(1, len(LEAVES) + 1):
        created = compact.append(LEAVES[size - 1])
        assert compact.root() == mth(LEAVES[:size])
        assert created[0] == (NodeID(0, size - 1), LEAVES[size - 1])
        for node, value in created:
            assert value == mth(LEAVES[node.begin : node.end])


def test_every_perfect_subtree_is_created_once() -> None:
    compact = CompactRange()
    made = [node for leaf in LEAVES[:64] for node, _ in compact.append(leaf)]
    assert len(made) == len(set(made)) == 127  # 64 + 32 + ... + 1


def test_border_and_resume_from_stored_nodes() -> None:
    assert border(13) == (NodeID(3, 0), NodeID(2, 2), NodeID(0, 12))
    assert border(0) == ()
    resumed = CompactRange(13, [mth(LEAVES[n.begin : n.end]) for n in border(13)])
    resumed.append(LEAVES[13])
    assert resumed.root() == mth(LEAVES[:14])


def test_pushing_a_whole_subtree_steps_over_it() -> None:
    compact = CompactRange()
    compact.push(3, mth(LEAVES[:8]))
    for leaf in LEAVES[8:11]:
        compact.append(leaf)
    assert compact.root() == mth(LEAVES[:11])
    with pytest.raises(ProofError):
        compact.push(2, mth(LEAVES[11:15]))  # 11 is not a multiple of 4


def test_inconsistent_border_is_refused() -> None:
    with pytest.raises(ProofError):
        CompactRange(3, [LEAVES[0]])
    assert root_of(LEAVES[:5]) == mth(LEAVES[:5])
