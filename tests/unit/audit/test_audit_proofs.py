"""Proof index math and verifiers: the shared vectors and a naive reference."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from audit import proofs
from audit.errors import ProofError
from audit.hashing import leaf_hash, node_hash
from audit.proofs import NodeID, Span
from tests.unit.audit.audit_factories import mth, path, proof

VECTORS = Path(__file__).resolve().parents[3] / ".." / "shared" / "testdata" / "merkle"
CASES = sorted(VECTORS.glob("*/**/*.json"))


def _b(text: str) -> bytes:
    return base64.b64decode(text)


def _run(kind: str, case: dict[str, Any]) -> None:
    hashes = [_b(h) for h in case["proof"] or []]
    if kind == "inclusion":
        proofs.verify_inclusion(
            case["leafIdx"], case["treeSize"], _b(case["leafHash"]), hashes, _b(case["root"])
        )
    elif kind == "consistency":
        proofs.verify_consistency(
            case["size1"], case["size2"], hashes, _b(case["root1"]), _b(case["root2"])
        )
    elif kind == "subtreeinclusion":
        proofs.verify_subtree_inclusion(
            case["leafIdx"],
            case["start"],
            case["end"],
            _b(case["leafHash"]),
            hashes,
            _b(case["root"]),
        )
    else:
        proofs.verify_subtree_consistency(
            case["start"], case["end"], case["size"], hashes, _b(case["root1"]), _b(case["root2"])
        )


def test_vectors_are_present() -> None:
    kinds = {case.relative_to(VECTORS).parts[0] for case in CASES}
    assert kinds == {"inclusion", "consistency", "subtreeinclusion", "subtreeconsistency"}
    assert len(CASES) > 500


@pytest.mark.parametrize("case", CASES, ids=lambda p: str(p.relative_to(VECTORS)))
def test_shared_vector(case: Path) -> None:
    data = json.loads(case.read_text())
    kind = case.relative_to(VECTORS).parts[0]
    if data["wantErr"]:
        with pytest.raises(ProofError):
            _run(kind, data)
    else:
        _run(kind, data)


LEAVES = [leaf_hash(str(i).encode()) for i in range(70)]


def _fetch(spans: tuple[Span, ...], leaves: list[bytes]) -> list[bytes]:
    nodes = {node: mth(leaves[node.begin : node.end]) for node in proofs.fetch_list(spans)}
    return proofs.assemble(spans, nodes)


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 8, 9, 16, 31, 33, 70])
def test_inclusion_matches_naive_reference(size: int) -> None:
    leaves = LEAVES[:size]
    root = mth(leaves)
    for index in range(size):
        built = _fetch(proofs.inclusion_spans(index, size), leaves)
        assert built == path(index, leaves)
        proofs.verify_inclusion(index, size, leaves[index], built, root)


@pytest.mark.parametrize("size2", [2, 3, 6, 8, 13, 32, 70])
def test_consistency_matches_naive_reference(size2: int) -> None:
    leaves = LEAVES[:size2]
    for size1 in range(1, size2 + 1):
        built = [] if size1 == size2 else _fetch(proofs.consistency_spans(size1, size2), leaves)
        assert built == proof(size1, leaves)
        proofs.verify_consistency(size1, size2, built, mth(leaves[:size1]), mth(leaves))


def test_subtree_consistency_of_every_aligned_block() -> None:
    leaves = LEAVES[:45]
    for level in range(0, 6):
        for index in range(45 >> level):
            node = NodeID(level, index)
            spans = proofs.subtree_consistency_spans(node.begin, node.end, 45)
            built = _fetch(spans, leaves)
            subtree = mth(leaves[node.begin : node.end])
            proofs.verify_subtree_consistency(node.begin, node.end, 45, built, subtree, mth(leaves))
            with pytest.raises(ProofError):
                proofs.verify_subtree_consistency(
                    node.begin, node.end, 45, built, leaf_hash(b"other"), mth(leaves)
                )


def test_proofs_are_logarithmic() -> None:
    size = 10**12 + 7
    assert len(proofs.inclusion_spans(123_456_789, size)) <= 40
    assert len(proofs.fetch_list(proofs.inclusion_spans(size - 1, size))) <= 2 * 40
    assert len(proofs.consistency_spans(10**11 + 3, size)) <= 2 * 40


def test_span_nodes_split_an_ephemeral_span() -> None:
    assert Span(4, 7).nodes() == (NodeID(1, 2), NodeID(0, 6))
    assert Span(0, 8).nodes() == (NodeID(3, 0),)
    parts = {NodeID(1, 2): b"a" * 32, NodeID(0, 6): b"b" * 32}
    assert proofs.assemble([Span(4, 7)], parts) == [node_hash(b"a" * 32, b"b" * 32)]


def test_out_of_range_requests_are_refused() -> None:
    with pytest.raises(ProofError):
        proofs.inclusion_spans(5, 5)
    with pytest.raises(ProofError):
        proofs.consistency_spans(0, 5)
    with pytest.raises(ProofError):
        proofs.subtree_consistency_spans(2, 6, 8)
    assert not proofs.is_valid_subtree(3, 3)
    assert proofs.is_valid_subtree(4, 7)
