"""Recompute the whole tree from the database and hold it against the signatures.

fsck trusts nothing stored but the signatures. It reads every record row in
index order, re-hashes its bytes, rebuilds the tree with the same
:class:`~audit.tree.CompactRange` the writer uses (stepping over pruned
blocks with their kept hashes), compares every stored tree node with the
recomputed one and the recomputed root with every signed checkpoint.

What it can name, and how precisely:

* a record whose bytes no longer match its leaf hash, that is not canonical,
  or whose filter columns disagree with its bytes: that index exactly;
* a missing index (a deleted row outside a pruned block): that index;
* a stored tree node that differs from the recomputed one: the leaves under
  it (a record rewritten together with its leaf hash shows up here, at its
  own level-0 node, or at the lowest node above it if that was rewritten too);
* a record rewritten together with every node above it: only the signed
  checkpoints disagree, so the place is the range between the last
  checkpoint that still matches and the first that does not. No stored data
  can narrow that down further; that is what the signatures are for.

The first problem is reported: the one that ends earliest, and of those the
narrowest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NoReturn

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from audit import storage
from audit.checkpoint import Verifier, open_checkpoint
from audit.errors import AuditError, StorageError
from audit.hashing import leaf_hash
from audit.proofs import NodeID
from audit.records import from_canonical
from audit.tree import CompactRange

NODE_BATCH = 2000


@dataclass(frozen=True)
class FsckProblem:
    """What is wrong and the leaf indexes it concerns (``first..last``)."""

    reason: str
    first: int
    last: int

    def __str__(self) -> str:
        where = (
            f"index {self.first}"
            if self.first == self.last
            else (f"indexes {self.first}..{self.last}")
        )
        return f"{where}: {self.reason}"


@dataclass(frozen=True)
class FsckReport:
    size: int
    records: int
    pruned_blocks: int
    checkpoints: int
    problem: FsckProblem | None

    @property
    def ok(self) -> bool:
        return self.problem is None


class _Stop(Exception):
    """Raised once a problem is found: the tree past it is meaningless."""


@dataclass
class _Walk:
    conn: Connection
    size: int
    checkpoints: list[tuple[int, bytes]]
    compact: CompactRange = field(default_factory=CompactRange)
    pending: list[tuple[NodeID, bytes]] = field(default_factory=list)
    problems: list[FsckProblem] = field(default_factory=list)
    records: int = 0
    matched_size: int = 0

    def fail(self, reason: str, first: int, last: int | None = None) -> NoReturn:
        self.problems.append(FsckProblem(reason, first, first if last is None else last))
        self.flush()
        raise _Stop

    def flush(self) -> None:
        """Compare the recomputed nodes so far with the stored ones."""
        wanted = dict(self.pending)
        self.pending.clear()
        stored = storage.stored_nodes(self.conn, set(wanted))
        bad = [node for node, value in wanted.items() if stored.get(node) != value]
        if bad:
            # The lowest bad node that ends first: its ancestors are bad because of it.
            node = min(bad, key=lambda n: (n.end, n.level))
            what = "missing" if node not in stored else "differs from the recomputed hash"
            self.problems.append(
                FsckProblem(f"stored tree node level {node.level} {what}", node.begin, node.end - 1)
            )
            raise _Stop

    def grew(self, created: list[tuple[NodeID, bytes]]) -> None:
        self.pending.extend(created)
        if len(self.pending) >= NODE_BATCH:
            self.flush()
        while self.checkpoints and self.checkpoints[0][0] == self.compact.size:
            size, root = self.checkpoints.pop(0)
            if root != self.compact.root():
                self.fail(
                    f"recomputed root differs from the signed checkpoint at size {size}",
                    self.matched_size,
                    size - 1,
                )
            self.matched_size = size


def fsck(engine: Engine, verifier: Verifier) -> FsckReport:
    """Check the whole log; see the module docstring for what is reported."""
    try:
        with engine.connect() as conn:
            return _check(conn, verifier)
    except SQLAlchemyError as exc:
        raise StorageError(f"reading the audit log failed ({type(exc).__name__})") from exc


def _check(conn: Connection, verifier: Verifier) -> FsckReport:
    size, _origin = storage.head(conn)
    signed = storage.all_checkpoints(conn)
    pruned = storage.all_pruned(conn)
    walk = _Walk(conn, size, [])
    try:
        walk.checkpoints = _verified_checkpoints(signed, verifier, walk)
        if walk.checkpoints and walk.checkpoints[0][0] == 0:
            walk.grew([])
        _replay(walk, pruned)
    except _Stop:
        pass
    # Earliest, then most precise: a bad node inside a range a checkpoint
    # disowns says more than the range.
    problem = min(walk.problems, key=lambda p: (p.last, p.last - p.first), default=None)
    return FsckReport(size, walk.records, len(pruned), len(signed), problem)


def _verified_checkpoints(
    signed: list[storage.StoredCheckpoint], verifier: Verifier, walk: _Walk
) -> list[tuple[int, bytes]]:
    out: list[tuple[int, bytes]] = []
    for stored in signed:
        try:
            checkpoint = open_checkpoint(stored.note, verifier)
        except AuditError:
            walk.fail(f"checkpoint at size {stored.size} has no valid signature", stored.size)
        if (checkpoint.size, checkpoint.root) != (stored.size, stored.root):
            walk.fail(f"checkpoint row at size {stored.size} differs from its note", stored.size)
        if stored.size > walk.size:
            walk.fail(f"a checkpoint signs size {stored.size}, beyond the log", walk.size)
        out.append((stored.size, stored.root))
    return out


def _replay(walk: _Walk, pruned: list[storage.PrunedBlock]) -> None:
    blocks = iter(pruned)
    block = next(blocks, None)
    for row in storage.iter_records(walk.conn):
        while block is not None and block.start == walk.compact.size:
            _step_over(walk, block)
            block = next(blocks, None)
        _check_row(walk, row)
    while block is not None and block.start == walk.compact.size:
        _step_over(walk, block)
        block = next(blocks, None)
    walk.flush()
    if block is not None:
        walk.fail("a pruned block does not line up with the records", block.start, block.end - 1)
    if walk.compact.size < walk.size:
        walk.fail("records are missing at the end of the log", walk.compact.size, walk.size - 1)


def _step_over(walk: _Walk, block: storage.PrunedBlock) -> None:
    width = block.end - block.start
    if width != 1 << block.level or block.start % width:
        walk.fail("a pruned range is not a whole aligned subtree", block.start, block.end - 1)
    walk.grew(walk.compact.push(block.level, block.hash))


def _check_row(walk: _Walk, row: storage.StoredRecord) -> None:
    expected = walk.compact.size
    if row.index >= walk.size:
        walk.fail("record beyond the log's size (inserted?)", row.index)
    if row.index < expected:
        walk.fail("record inside a pruned block", row.index)
    if row.index > expected:
        walk.fail("record missing (deleted?)", expected, row.index - 1)
    if leaf_hash(row.body) != row.leaf_hash:
        walk.fail("record bytes do not match the stored leaf hash (changed?)", row.index)
    try:
        record = from_canonical(row.body)
    except AuditError:
        walk.fail("record bytes are not a canonical record", row.index)
    columns = (record.time, record.kind, record.tenant, record.subject)
    if columns != (row.time, row.kind, row.tenant, row.subject):
        walk.fail("filter columns differ from the record's bytes", row.index)
    walk.records += 1
    walk.grew(walk.compact.append(row.leaf_hash))
