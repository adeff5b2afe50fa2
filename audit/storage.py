"""Synchronous SQLAlchemy storage for the log: appends, node reads, checkpoints.

Ordering appends. Every append transaction starts with
``UPDATE audit_head SET size = size + n ... RETURNING size``. On PostgreSQL
the row lock that update takes is held to commit, so appends from any number
of threads or gateway processes queue on it and each gets the next gap-free
block of indexes; on SQLite the first write of a transaction takes the
database write lock, the effect of ``BEGIN IMMEDIATE``. A transaction that
fails rolls the size back with everything else, so there are no gaps and no
forks. Both backends need nothing but the default isolation level.

Every writing transaction in the package starts with that update, before
any read: SQLite in WAL mode cannot turn a reading transaction into a
writing one after another connection committed (it fails at once with
SQLITE_BUSY instead of waiting), and taking the lock first avoids that.

Reads for proofs fetch the O(log n) perfect subtrees named by
:mod:`audit.proofs` from ``audit_nodes``, a few hundred per query.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection, Row, and_, insert, or_, select, update

from audit import proofs, tables
from audit.checkpoint import Checkpoint, Signer
from audit.errors import StorageError
from audit.hashing import leaf_hash
from audit.proofs import NodeID
from audit.records import AuditRecord, now
from audit.tree import CompactRange, border

NODE_QUERY_CHUNK = 500
_T = TypeVar("_T")


@dataclass(frozen=True)
class Entry:
    """A record on its way into the log: canonical bytes plus filter columns."""

    body: bytes
    time: str
    kind: str
    tenant: str | None
    subject: str | None

    @classmethod
    def of(cls, record: AuditRecord, body: bytes) -> Entry:
        return cls(body, record.time, record.kind, record.tenant, record.subject)


@dataclass(frozen=True)
class StoredRecord:
    index: int
    leaf_hash: bytes
    body: bytes
    time: str
    kind: str
    tenant: str | None
    subject: str | None


@dataclass(frozen=True)
class StoredCheckpoint:
    size: int
    root: bytes
    note: str
    created_at: str


def reserve(conn: Connection, count: int) -> int:
    """Lock the head, move it ``count`` leaves on; return the old size."""
    new_size = conn.execute(
        update(tables.head)
        .where(tables.head.c.id == 1)
        .values(size=tables.head.c.size + count)
        .returning(tables.head.c.size)
    ).scalar_one_or_none()
    if new_size is None:
        raise StorageError("audit_head row is missing: run audit.migrate first")
    return int(new_size) - count


def head(conn: Connection) -> tuple[int, str | None]:
    """The committed size and origin (no lock)."""
    row = conn.execute(select(tables.head.c.size, tables.head.c.origin)).one_or_none()
    if row is None:
        raise StorageError("audit_head row is missing: run audit.migrate first")
    return int(row.size), row.origin


def claim_origin(conn: Connection, origin: str) -> None:
    """Record the log's origin on first use; refuse a different one later."""
    _, stored = head(conn)
    if stored is None:
        conn.execute(
            update(tables.head).where(tables.head.c.origin.is_(None)).values(origin=origin)
        )
        _, stored = head(conn)
    if stored != origin:
        raise StorageError("this database holds an audit log with a different origin")


def append(conn: Connection, entries: Sequence[Entry], cache: CompactRange | None) -> CompactRange:
    """Append ``entries`` in one transaction; return the new compact range.

    ``cache`` is the caller's compact range from its last append; it is used
    only if no other writer appended since, otherwise the border is re-read.
    The caller commits (or rolls back) the connection's transaction.
    """
    start = reserve(conn, len(entries))
    if cache is not None and cache.size == start:
        compact = cache.copy()
    else:
        compact = load_compact(conn, start)
    record_rows: list[dict[str, object]] = []
    node_rows: list[dict[str, object]] = []
    for offset, entry in enumerate(entries):
        digest = leaf_hash(entry.body)
        record_rows.append(
            {
                "idx": start + offset,
                "leaf_hash": digest,
                "body": entry.body,
                "time": entry.time,
                "kind": entry.kind,
                "tenant": entry.tenant,
                "subject": entry.subject,
            }
        )
        node_rows.extend(
            {"level": node.level, "idx": node.index, "hash": value}
            for node, value in compact.append(digest)
        )
    conn.execute(insert(tables.records), record_rows)
    conn.execute(insert(tables.nodes), node_rows)
    return compact


def load_compact(conn: Connection, size: int) -> CompactRange:
    """The compact range of the committed tree of ``size`` leaves."""
    ids = border(size)
    fetched = fetch_nodes(conn, ids)
    return CompactRange(size, [fetched[node] for node in ids])


def fetch_nodes(conn: Connection, ids: Iterable[NodeID]) -> dict[NodeID, bytes]:
    """Hashes of the given perfect subtrees; raise if any is missing."""
    wanted = set(ids)
    found = stored_nodes(conn, wanted)
    missing = wanted - found.keys()
    if missing:
        first = min(missing)
        raise StorageError(f"tree node level {first.level} index {first.index} is missing")
    return found


def stored_nodes(conn: Connection, wanted: set[NodeID]) -> dict[NodeID, bytes]:
    """Hashes of those of the given perfect subtrees that are stored."""
    found: dict[NodeID, bytes] = {}
    for chunk in _chunks(sorted(wanted)):
        by_level: dict[int, list[int]] = {}
        for node in chunk:
            by_level.setdefault(node.level, []).append(node.index)
        condition = or_(
            *(
                and_(tables.nodes.c.level == level, tables.nodes.c.idx.in_(indexes))
                for level, indexes in by_level.items()
            )
        )
        rows = conn.execute(
            select(tables.nodes.c.level, tables.nodes.c.idx, tables.nodes.c.hash).where(condition)
        )
        found.update((NodeID(int(row.level), int(row.idx)), bytes(row.hash)) for row in rows)
    return found


def inclusion_proof(conn: Connection, index: int, size: int) -> list[bytes]:
    spans = proofs.inclusion_spans(index, size)
    return proofs.assemble(spans, fetch_nodes(conn, proofs.fetch_list(spans)))


def inclusion_proofs(conn: Connection, indexes: Sequence[int], size: int) -> list[list[bytes]]:
    """Proofs for many leaves at once: one batch of node reads for all."""
    plans = [proofs.inclusion_spans(index, size) for index in indexes]
    fetched = fetch_nodes(conn, (node for spans in plans for node in proofs.fetch_list(spans)))
    return [proofs.assemble(spans, fetched) for spans in plans]


def consistency_proof(conn: Connection, size1: int, size2: int) -> list[bytes]:
    if size1 == size2:
        return []
    spans = proofs.consistency_spans(size1, size2)
    return proofs.assemble(spans, fetch_nodes(conn, proofs.fetch_list(spans)))


def make_checkpoint(conn: Connection, signer: Signer) -> StoredCheckpoint:
    """Sign the current head (or return the checkpoint already at that size).

    Runs under the append lock so the size and the border it hashes belong
    together; the caller commits.
    """
    size = reserve(conn, 0)
    existing = checkpoint_at(conn, size)
    if existing is not None:
        return existing
    root = load_compact(conn, size).root()
    note = Checkpoint(signer.name, size, root).sign(signer)
    stored = StoredCheckpoint(size, root, note, now())
    conn.execute(
        insert(tables.checkpoints).values(
            size=size, root=root, note=note, created_at=stored.created_at
        )
    )
    return stored


def checkpoint_at(conn: Connection, size: int) -> StoredCheckpoint | None:
    row = conn.execute(
        select(tables.checkpoints).where(tables.checkpoints.c.size == size)
    ).one_or_none()
    return None if row is None else _checkpoint(row)


def latest_checkpoint(conn: Connection) -> StoredCheckpoint | None:
    row = conn.execute(
        select(tables.checkpoints).order_by(tables.checkpoints.c.size.desc()).limit(1)
    ).one_or_none()
    return None if row is None else _checkpoint(row)


def all_checkpoints(conn: Connection) -> list[StoredCheckpoint]:
    rows = conn.execute(select(tables.checkpoints).order_by(tables.checkpoints.c.size))
    return [_checkpoint(row) for row in rows]


def iter_records(conn: Connection, start: int = 0, batch: int = 2000) -> Iterator[StoredRecord]:
    """Every record row from ``start`` on, in index order, in batches."""
    position = start
    while True:
        rows = conn.execute(
            select(tables.records)
            .where(tables.records.c.idx >= position)
            .order_by(tables.records.c.idx)
            .limit(batch)
        ).all()
        if not rows:
            return
        for row in rows:
            yield row_to_record(row)
        position = int(rows[-1].idx) + 1


def row_to_record(row: Row[Any]) -> StoredRecord:
    return StoredRecord(
        index=int(row.idx),
        leaf_hash=bytes(row.leaf_hash),
        body=bytes(row.body),
        time=row.time,
        kind=row.kind,
        tenant=row.tenant,
        subject=row.subject,
    )


def _checkpoint(row: Row[Any]) -> StoredCheckpoint:
    return StoredCheckpoint(
        size=int(row.size), root=bytes(row.root), note=row.note, created_at=row.created_at
    )


def _chunks(items: Sequence[_T]) -> Iterator[Sequence[_T]]:
    for begin in range(0, len(items), NODE_QUERY_CHUNK):
        yield items[begin : begin + NODE_QUERY_CHUNK]


@dataclass(frozen=True)
class PrunedBlock:
    """A retention-pruned perfect subtree: its records are gone, its hash is kept."""

    start: int
    end: int
    level: int
    hash: bytes
    cutoff: str
    pruned_at: str


def all_pruned(conn: Connection) -> list[PrunedBlock]:
    rows = conn.execute(select(tables.pruned).order_by(tables.pruned.c.start_idx))
    return [
        PrunedBlock(
            int(row.start_idx),
            int(row.end_idx),
            int(row.level),
            bytes(row.hash),
            row.cutoff,
            row.pruned_at,
        )
        for row in rows
    ]
