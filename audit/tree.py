"""Compact ranges: the right border of a growing Merkle tree, no I/O.

Appending leaves only ever touches the tree's right border, the perfect
subtrees that cover ``[0, size)`` (one per set bit of ``size``). Keeping just
those hashes is enough to append, to compute the root at every size, and to
name every perfect subtree that becomes complete, which is what storage keeps
so that proofs need O(log n) reads. fsck replays the whole log through the
same class, so appends and checks cannot disagree about the shape of the tree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from audit.errors import ProofError
from audit.hashing import EMPTY_ROOT, node_hash
from audit.proofs import NodeID


def border(size: int) -> tuple[NodeID, ...]:
    """The perfect subtrees covering ``[0, size)``, largest (leftmost) first."""
    out: list[NodeID] = []
    pos = 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            out.append(NodeID(level, pos >> level))
            pos += 1 << level
    return tuple(out)


@dataclass(slots=True)
class CompactRange:
    """The border hashes of a tree of ``size`` leaves (see :func:`border`)."""

    size: int = 0
    hashes: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        if len(self.hashes) != self.size.bit_count():
            raise ProofError(f"a tree of size {self.size} has {self.size.bit_count()} border nodes")

    def push(self, level: int, value: bytes) -> list[tuple[NodeID, bytes]]:
        """Append a perfect subtree of ``2**level`` leaves; return the new nodes.

        The returned list holds the pushed node and every parent that became
        complete, bottom-up. Pushing a whole subtree (not only a leaf) lets
        fsck step over a pruned block using its kept hash.
        """
        if self.size % (1 << level):
            raise ProofError(f"a level-{level} subtree cannot start at leaf {self.size}")
        node = NodeID(level, self.size >> level)
        created = [(node, value)]
        self.size += 1 << level
        # A right child's left sibling is the last border node (the size was
        # a multiple of 2**level, so that node sits exactly at this level).
        while node.index & 1:
            value = node_hash(self.hashes.pop(), value)
            node = NodeID(node.level + 1, node.index >> 1)
            created.append((node, value))
        self.hashes.append(value)
        return created

    def append(self, leaf: bytes) -> list[tuple[NodeID, bytes]]:
        """Append one leaf hash; return the new nodes, the leaf first."""
        return self.push(0, leaf)

    def root(self) -> bytes:
        """RFC 9162 MTH of the leaves so far."""
        if not self.hashes:
            return EMPTY_ROOT
        acc = self.hashes[-1]
        for left in reversed(self.hashes[:-1]):
            acc = node_hash(left, acc)
        return acc

    def copy(self) -> CompactRange:
        return CompactRange(self.size, list(self.hashes))


def root_of(leaves: Iterable[bytes]) -> bytes:
    """MTH of a sequence of leaf hashes, via a compact range."""
    compact = CompactRange()
    for leaf in leaves:
        compact.append(leaf)
    return compact.root()
