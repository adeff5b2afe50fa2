"""Retention and legal hold: remove old records without breaking any proof.

The EU AI Act (Art. 19, 26) asks for logs to be kept at least six months, so
the period defaults to 183 days and a shorter one is refused unless forced.

Pruning removes records only as whole, aligned, complete subtrees (blocks
of ``2**level`` records, as large as possible) that lie entirely before the
cutoff and contain no record under an active legal hold. Every tree node,
leaf hashes included, stays in ``audit_nodes``, so inclusion proofs for the
remaining records, consistency proofs between any checkpoints and every old
checkpoint still verify; only the records themselves go.

How a delete gets past the append-only triggers, in a controlled way: the
delete trigger lets a record row go only if a row of ``audit_pruned`` covers
its index. Prune writes that row first, in the same transaction, with the
block's hash, and ``audit_pruned`` is itself append-only, so every removal
leaves a permanent, checkable trace (fsck steps over each block using that
hash). Before writing it, prune re-hashes the block's records, checks the
result against the stored node, and checks that node against the oldest
signed checkpoint covering the block with a subtree consistency proof: a
block that was tampered with is never pruned (that would destroy evidence).
The caller appends an admin record for the prune to the log itself.

On PostgreSQL, run pruning as a role that holds DELETE on ``audit_records``
(the gateway's own role should not); see docs/compliance.md.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, and_, delete, func, insert, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from audit import proofs, storage, tables
from audit.checkpoint import Signer
from audit.errors import RetentionError, StorageError
from audit.hashing import leaf_hash
from audit.proofs import NodeID
from audit.records import AuditRecord, format_time, from_canonical, now
from audit.tree import border, root_of

DEFAULT_DAYS = 183
MINIMUM_DAYS = 183


@dataclass(frozen=True)
class RetentionPolicy:
    """How long records are kept; below six months only with ``force``."""

    days: int = DEFAULT_DAYS
    force: bool = False

    def __post_init__(self) -> None:
        if self.days < 1:
            raise RetentionError("the retention period must be at least one day")
        if self.days < MINIMUM_DAYS and not self.force:
            raise RetentionError(
                f"a retention period of {self.days} days is below the legal minimum of "
                f"{MINIMUM_DAYS} days (6 months); pass force to override"
            )

    def cutoff(self, moment: datetime) -> str:
        return format_time(moment - timedelta(days=self.days))


@dataclass(frozen=True)
class Hold:
    id: int
    tenant: str | None
    subject: str | None
    reference: str
    created_at: str
    released_at: str | None


@dataclass(frozen=True)
class PruneReport:
    cutoff: str
    blocks: tuple[NodeID, ...]
    records: int


def place_hold(
    engine: Engine, reference: str, tenant: str | None = None, subject: str | None = None
) -> Hold:
    """Hold every record of a tenant, a subject pseudonym, or both together.

    ``reference`` is a case reference, not a name: it is stored as given.
    """
    if tenant is None and subject is None:
        raise RetentionError("a legal hold needs a tenant or a subject pseudonym")
    if subject is not None and not subject.startswith("psn_"):
        raise RetentionError("hold subjects by pseudonym (psn_...), never by raw id")
    with _storage(engine) as conn:
        created = now()
        hold_id = conn.execute(
            insert(tables.holds)
            .values(tenant=tenant, subject=subject, reference=reference, created_at=created)
            .returning(tables.holds.c.id)
        ).scalar_one()
    return Hold(int(hold_id), tenant, subject, reference, created, None)


def release_hold(engine: Engine, hold_id: int) -> None:
    with _storage(engine) as conn:
        done = conn.execute(
            update(tables.holds)
            .where(tables.holds.c.id == hold_id, tables.holds.c.released_at.is_(None))
            .values(released_at=now())
        )
        if done.rowcount != 1:
            raise RetentionError(f"no active legal hold with id {hold_id}")


def list_holds(engine: Engine, include_released: bool = False) -> list[Hold]:
    with _storage(engine) as conn:
        return _holds(conn, include_released)


def prunable_blocks(
    limit: int, blocked: Sequence[int], pruned: Sequence[tuple[int, int]], min_level: int = 0
) -> list[NodeID]:
    """The largest aligned subtrees inside ``[0, limit)`` that may go.

    ``blocked`` (ascending) are indexes that must stay; ``pruned`` (ascending,
    disjoint, each an aligned subtree) are blocks already gone. Pure.
    """
    starts = [start for start, _ in pruned]
    out: list[NodeID] = []

    def visit(node: NodeID) -> None:
        if node.level < min_level:
            return
        at = bisect_right(starts, node.begin) - 1
        if at >= 0 and pruned[at][1] >= node.end:
            return  # already pruned as part of a larger block
        overlaps = bisect_left(starts, node.end) > bisect_left(starts, node.begin)
        position = bisect_left(blocked, node.begin)
        held = position < len(blocked) and blocked[position] < node.end
        if overlaps or held:
            visit(NodeID(node.level - 1, node.index * 2))
            visit(NodeID(node.level - 1, node.index * 2 + 1))
        else:
            out.append(node)

    for top in border(limit):
        visit(top)
    return out


def prune(
    engine: Engine, signer: Signer, policy: RetentionPolicy, moment: datetime | None = None
) -> PruneReport:
    """Remove every block that may go under ``policy``; see the module docstring."""
    cutoff = policy.cutoff(moment or datetime.now(UTC))
    with _storage(engine) as conn:
        storage.make_checkpoint(conn, signer)
    with _storage(engine) as conn:
        storage.reserve(conn, 0)  # the append lock first: SQLite cannot upgrade a reader
        signed = [(c.size, c.root) for c in storage.all_checkpoints(conn)]
        # Only records under a signature may go: cap at the newest checkpoint.
        limit = min(_horizon(conn, cutoff), signed[-1][0])
        holds = _holds(conn, include_released=False)
        blocked = _held_indexes(conn, limit, holds)
        gone = [(block.start, block.end) for block in storage.all_pruned(conn)]
        blocks = prunable_blocks(limit, blocked, gone)
        removed = sum(_prune_block(conn, block, signed, holds, cutoff) for block in blocks)
    return PruneReport(cutoff, tuple(blocks), removed)


def _prune_block(
    conn: Connection,
    block: NodeID,
    signed: list[tuple[int, bytes]],
    holds: list[Hold],
    cutoff: str,
) -> int:
    rows = conn.execute(
        select(tables.records.c.idx, tables.records.c.leaf_hash, tables.records.c.body)
        .where(tables.records.c.idx >= block.begin, tables.records.c.idx < block.end)
        .order_by(tables.records.c.idx)
    ).all()
    width = block.end - block.begin
    if [int(row.idx) for row in rows] != list(range(block.begin, block.end)):
        raise StorageError(f"records {block.begin}..{block.end - 1} are incomplete; run fsck")
    for row in rows:
        body = bytes(row.body)
        record = from_canonical(body) if leaf_hash(body) == bytes(row.leaf_hash) else None
        if record is None or record.time >= cutoff or any(_held(h, record) for h in holds):
            raise StorageError(f"record {int(row.idx)} disagrees with its columns; run fsck")
    value = storage.fetch_nodes(conn, [block])[block]
    if root_of(bytes(row.leaf_hash) for row in rows) != value:
        raise StorageError(f"records {block.begin}..{block.end - 1} do not match the tree")
    size, root = next((s, r) for s, r in signed if s >= block.end)
    spans = proofs.subtree_consistency_spans(block.begin, block.end, size)
    proof = proofs.assemble(spans, storage.fetch_nodes(conn, proofs.fetch_list(spans)))
    proofs.verify_subtree_consistency(block.begin, block.end, size, proof, value, root)
    conn.execute(
        insert(tables.pruned).values(
            start_idx=block.begin,
            end_idx=block.end,
            level=block.level,
            hash=value,
            cutoff=cutoff,
            pruned_at=now(),
        )
    )
    conn.execute(
        delete(tables.records).where(
            tables.records.c.idx >= block.begin, tables.records.c.idx < block.end
        )
    )
    return width


def _held(hold: Hold, record: AuditRecord) -> bool:
    return (hold.tenant is None or hold.tenant == record.tenant) and (
        hold.subject is None or hold.subject == record.subject
    )


def _horizon(conn: Connection, cutoff: str) -> int:
    """Records from the first one at or after the cutoff on all stay."""
    size, _ = storage.head(conn)
    first = conn.execute(
        select(func.min(tables.records.c.idx)).where(tables.records.c.time >= cutoff)
    ).scalar_one_or_none()
    return size if first is None else int(first)


def _held_indexes(conn: Connection, limit: int, holds: list[Hold]) -> list[int]:
    if not holds:
        return []
    conditions = []
    for hold in holds:
        parts = []
        if hold.tenant is not None:
            parts.append(tables.records.c.tenant == hold.tenant)
        if hold.subject is not None:
            parts.append(tables.records.c.subject == hold.subject)
        conditions.append(and_(*parts))
    rows = conn.execute(
        select(tables.records.c.idx)
        .where(tables.records.c.idx < limit, or_(*conditions))
        .order_by(tables.records.c.idx)
    )
    return [int(row.idx) for row in rows]


def _holds(conn: Connection, include_released: bool) -> list[Hold]:
    statement = select(tables.holds).order_by(tables.holds.c.id)
    if not include_released:
        statement = statement.where(tables.holds.c.released_at.is_(None))
    return [
        Hold(int(r.id), r.tenant, r.subject, r.reference, r.created_at, r.released_at)
        for r in conn.execute(statement)
    ]


@contextmanager
def _storage(engine: Engine) -> Iterator[Connection]:
    """A transaction whose database errors become :class:`StorageError`."""
    try:
        with engine.begin() as conn:
            yield conn
    except SQLAlchemyError as exc:
        raise StorageError(f"audit retention storage failed ({type(exc).__name__})") from exc
