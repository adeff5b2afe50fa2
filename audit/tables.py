"""The audit log's tables (SQLAlchemy Core), as the queries see them.

The schema is created by the Alembic migrations in ``audit/migrations``.
What each table holds:

- ``audit_head``: one row: the log's size and origin. Every append moves the
  size forward in the same transaction that writes the rows, and that row
  update is the lock that orders appends (see :mod:`audit.storage`).
- ``audit_records``: one row per leaf: index, leaf hash, canonical bytes and
  copies of time/tenant/subject/kind for filtering (fsck checks they agree
  with the bytes). UPDATE refused; DELETE only inside a pruned range.
- ``audit_nodes``: every perfect subtree hash, leaves (level 0) included, so
  a proof needs O(log n) reads and never touches ``audit_records``: proofs
  keep working for records and checkpoints after retention removed the
  records around them. Append-only.
- ``audit_checkpoints``: every signed tree head. Append-only.
- ``audit_pruned``: every block removed by retention, with its subtree hash.
  Append-only; a record row can only be deleted once its block is listed
  here, so every deletion leaves a trace.
- ``audit_holds``: legal holds (tenant and/or subject pseudonym), released by
  setting ``released_at``; never deleted.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
)

metadata = MetaData()
_BIG = BigInteger().with_variant(Integer(), "sqlite")
TIME = String(24)  # RFC 3339, UTC, milliseconds: sorts as text in time order
NAME = String(255)

head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("size", _BIG, nullable=False),
    Column("origin", NAME, nullable=True),
    CheckConstraint("id = 1", name="ck_audit_head_single_row"),
)

records = Table(
    "audit_records",
    metadata,
    Column("idx", _BIG, primary_key=True, autoincrement=False),
    Column("leaf_hash", LargeBinary(32), nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("time", TIME, nullable=False),
    Column("kind", String(8), nullable=False),
    Column("tenant", NAME, nullable=True),
    Column("subject", NAME, nullable=True),
    Index("ix_audit_records_time", "time"),
    Index("ix_audit_records_tenant_time", "tenant", "time"),
    Index("ix_audit_records_subject", "subject"),
)

nodes = Table(
    "audit_nodes",
    metadata,
    Column("level", SmallInteger, primary_key=True, autoincrement=False),
    Column("idx", _BIG, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
)

checkpoints = Table(
    "audit_checkpoints",
    metadata,
    Column("size", _BIG, primary_key=True, autoincrement=False),
    Column("root", LargeBinary(32), nullable=False),
    Column("note", Text, nullable=False),
    Column("created_at", TIME, nullable=False),
)

pruned = Table(
    "audit_pruned",
    metadata,
    Column("start_idx", _BIG, primary_key=True, autoincrement=False),
    Column("end_idx", _BIG, nullable=False),
    Column("level", SmallInteger, nullable=False),
    Column("hash", LargeBinary(32), nullable=False),
    Column("cutoff", TIME, nullable=False),
    Column("pruned_at", TIME, nullable=False),
)

holds = Table(
    "audit_holds",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant", NAME, nullable=True),
    Column("subject", NAME, nullable=True),
    Column("reference", NAME, nullable=False),
    Column("created_at", TIME, nullable=False),
    Column("released_at", TIME, nullable=True),
)
