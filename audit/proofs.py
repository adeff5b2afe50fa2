"""Merkle proof index math and pure verifiers (RFC 9162 section 2.1.3, 2.1.4).

Shaped after transparency-dev/merkle: working out *which* nodes a proof needs
is separate from fetching them (storage) and from checking them (the
verifiers here). No I/O, no state.

A proof element is the hash of a :class:`Span` of leaves ``[begin, end)``, in
the order RFC 9162's ``PATH`` and ``SUBPROOF`` produce them (bottom-up). A span
that is not a perfect subtree (one at the right edge of the tree, an
"ephemeral" node) is assembled from the perfect subtrees in
:meth:`Span.nodes`, so storage only keeps perfect subtrees.

Verification recomputes the roots from the proof: the proof hashes are
assigned to the spans the index math expects (so a proof of the wrong length
or for other sizes fails), then the tree hash of ``[0, size)`` is rebuilt by
splitting ranges the way RFC 9162 does and taking a proof hash wherever a span
matches. That visits only the O(log n) nodes on the paths involved.

Besides RFC 9162 inclusion and consistency this module verifies *subtree*
proofs (the ``subtreeinclusion``/``subtreeconsistency`` vectors of
transparency-dev): a subtree ``[start, end)`` with ``start`` a multiple of the
power of two at or above ``end - start`` is a tree of its own, and a subtree
consistency proof shows that its hash is part of a larger tree. The retention
code uses that to show a pruned block's kept hash belongs to a signed root.

Two rules beyond a literal reading of RFC 9162, taken from the shared test
vectors: a consistency proof from the empty tree is an error, and every hash
that has to be combined must be exactly 32 bytes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from audit.errors import ProofError
from audit.hashing import EMPTY_ROOT, HASH_SIZE, node_hash


@dataclass(frozen=True, slots=True, order=True)
class NodeID:
    """A perfect subtree: ``2**level`` leaves starting at ``index << level``."""

    level: int
    index: int

    @property
    def begin(self) -> int:
        return self.index << self.level

    @property
    def end(self) -> int:
        return (self.index + 1) << self.level


@dataclass(frozen=True, slots=True, order=True)
class Span:
    """The leaves ``[begin, end)`` whose tree hash is one proof element."""

    begin: int
    end: int

    def nodes(self) -> tuple[NodeID, ...]:
        """The perfect subtrees covering the span, left to right.

        Every span a proof uses is aligned (``begin`` is a multiple of the
        power of two at or above its width), so the subtrees are the set bits
        of the width, largest first.
        """
        out: list[NodeID] = []
        pos, width = self.begin, self.end - self.begin
        for level in range(width.bit_length() - 1, -1, -1):
            if width >> level & 1:
                out.append(NodeID(level, pos >> level))
                pos += 1 << level
        return tuple(out)


def split_point(width: int) -> int:
    """RFC 9162's k: the largest power of two strictly smaller than ``width``."""
    return 1 << ((width - 1).bit_length() - 1)


def is_valid_subtree(start: int, end: int) -> bool:
    """Whether ``[start, end)`` is a node of some tree (aligned, non-empty)."""
    if not 0 <= start < end:
        return False
    return start % (1 << (end - start - 1).bit_length()) == 0


def inclusion_spans(index: int, size: int) -> tuple[Span, ...]:
    """The spans of RFC 9162 ``PATH(index, D[0:size])``, bottom-up."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} out of range for tree size {size}")
    path: list[Span] = []
    lo, hi = 0, size
    while hi - lo > 1:
        mid = lo + split_point(hi - lo)
        if index < mid:
            path.append(Span(mid, hi))
            hi = mid
        else:
            path.append(Span(lo, mid))
            lo = mid
    path.reverse()
    return tuple(path)


def consistency_spans(size1: int, size2: int) -> tuple[Span, ...]:
    """The spans of RFC 9162 ``PROOF(size1, D[0:size2])``, bottom-up."""
    if not 0 < size1 <= size2:
        raise ProofError(f"no consistency proof from size {size1} to size {size2}")
    return subtree_consistency_spans(0, size1, size2)


def subtree_consistency_spans(start: int, end: int, size: int) -> tuple[Span, ...]:
    """Spans proving subtree ``[start, end)`` is part of the tree of ``size``.

    With ``start == 0`` this is RFC 9162 ``SUBPROOF(end, D[0:size], true)``.
    The subtree's own hash is left out when the walk reaches it as a whole
    node, because the verifier already holds it.
    """
    if not is_valid_subtree(start, end) or end > size:
        raise ProofError(f"[{start}, {end}) is not a subtree of a tree of size {size}")
    spans: list[Span] = []
    lo, hi, known = 0, size, True
    while (start, end) != (lo, hi):
        mid = lo + split_point(hi - lo)
        if end <= mid:
            spans.append(Span(mid, hi))
            hi = mid
        elif start >= mid:
            spans.append(Span(lo, mid))
            lo = mid
        else:
            # Straddles the split: alignment forces start == lo, and the right
            # part [mid, end) is a hash the verifier does not hold.
            spans.append(Span(lo, mid))
            lo = start = mid
            known = False
    if not known:
        spans.append(Span(lo, hi))
    spans.reverse()
    return tuple(spans)


def fetch_list(spans: Sequence[Span]) -> list[NodeID]:
    """Every perfect subtree the caller must fetch to build a proof."""
    return [node for span in spans for node in span.nodes()]


def assemble(spans: Sequence[Span], fetched: Mapping[NodeID, bytes]) -> list[bytes]:
    """Turn fetched perfect-subtree hashes into the proof's hashes.

    An ephemeral span is hashed right to left from its perfect parts, which
    is how RFC 9162 splits a range whose width is not a power of two.
    """
    proof: list[bytes] = []
    for span in spans:
        parts = [fetched[node] for node in span.nodes()]
        acc = parts[-1]
        for left in reversed(parts[:-1]):
            acc = node_hash(left, acc)
        proof.append(acc)
    return proof


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Raise :class:`ProofError` unless ``leaf`` is at ``index`` in the tree ``root``."""
    spans = inclusion_spans(index, size)
    _check_lengths([leaf, root, *proof])
    known = _assign(spans, proof)
    known[Span(index, index + 1)] = leaf
    _expect(_range_hash(0, size, known), root, f"root at size {size}")


def verify_subtree_inclusion(
    index: int, start: int, end: int, leaf: bytes, proof: Sequence[bytes], subtree: bytes
) -> None:
    """Inclusion of a leaf in the subtree ``[start, end)`` with hash ``subtree``."""
    if not is_valid_subtree(start, end):
        raise ProofError(f"[{start}, {end}) is not a valid subtree")
    if not start <= index < end:
        raise ProofError(f"leaf index {index} outside subtree [{start}, {end})")
    # A valid subtree is shaped exactly like a tree of its width.
    verify_inclusion(index - start, end - start, leaf, proof, subtree)


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """Raise :class:`ProofError` unless the tree ``root2`` extends ``root1``."""
    if size1 > size2:
        raise ProofError(f"tree size {size1} > {size2}")
    if size1 == 0:
        raise ProofError("a consistency proof from the empty tree proves nothing")
    verify_subtree_consistency(0, size1, size2, proof, root1, root2)


def verify_subtree_consistency(
    start: int, end: int, size: int, proof: Sequence[bytes], subtree: bytes, root: bytes
) -> None:
    """Raise :class:`ProofError` unless subtree ``[start, end)`` is in the tree ``root``."""
    if not 0 <= start <= end <= size:
        raise ProofError(f"[{start}, {end}) does not fit a tree of size {size}")
    if start == end:
        # The empty subtree is in every tree; only its own hash can be wrong.
        if proof:
            raise ProofError("a proof for an empty subtree must be empty")
        _expect(subtree, EMPTY_ROOT, "empty subtree hash")
        return
    if (start, end) == (0, size):
        if proof:
            raise ProofError("equal trees need an empty proof")
        _expect(subtree, root, f"root at size {size}")
        return
    spans = subtree_consistency_spans(start, end, size)
    _check_lengths([subtree, root, *proof])
    known = _assign(spans, proof)
    if not any(start <= span.begin and span.end <= end for span in spans):
        # The walk reached the subtree as a whole node and left its hash out.
        known[Span(start, end)] = subtree
    _expect(_range_hash(start, end, known), subtree, f"subtree [{start}, {end})")
    _expect(_range_hash(0, size, known), root, f"root at size {size}")


def _assign(spans: Sequence[Span], proof: Sequence[bytes]) -> dict[Span, bytes]:
    if len(proof) != len(spans):
        raise ProofError(f"proof has {len(proof)} hashes, expected {len(spans)}")
    return dict(zip(spans, proof, strict=True))


def _check_lengths(hashes: Sequence[bytes]) -> None:
    if any(len(h) != HASH_SIZE for h in hashes):
        raise ProofError(f"every hash must be {HASH_SIZE} bytes")


def _expect(computed: bytes, expected: bytes, what: str) -> None:
    if computed != expected:
        raise ProofError(f"{what} does not match")


def _range_hash(lo: int, hi: int, known: Mapping[Span, bytes]) -> bytes:
    """Tree hash of leaves ``[lo, hi)`` from the proof's spans.

    Recursion depth is at most 64 (one level per bit of the size).
    """
    found = known.get(Span(lo, hi))
    if found is not None:
        return found
    if hi - lo <= 1:
        raise ProofError(f"proof lacks the hash of [{lo}, {hi})")
    mid = lo + split_point(hi - lo)
    return node_hash(_range_hash(lo, mid, known), _range_hash(mid, hi, known))
