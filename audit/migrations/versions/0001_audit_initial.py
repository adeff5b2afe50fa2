"""Audit log tables, and the triggers that make them append-only.

Revision ID: audit_0001
Revises: none (first audit revision)

SQLite: ``BEFORE UPDATE/DELETE`` triggers ``RAISE(ABORT)``. PostgreSQL: the
same in PL/pgSQL, a ``BEFORE TRUNCATE`` trigger (TRUNCATE fires no row
triggers), and ``REVOKE UPDATE, DELETE, TRUNCATE ... FROM PUBLIC``. Only the
table owner can disable a trigger, which is why the gateway should run as a
role that does not own these tables (docs/compliance.md).

A record row may be deleted only when a row of ``audit_pruned`` covers its
index: retention first writes that row (itself append-only), then deletes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "audit_0001"
down_revision: str | None = None
branch_labels: tuple[str, ...] | None = None
depends_on: tuple[str, ...] | None = None

_BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = sa.String(24)
_NAME = sa.String(255)
_FROZEN = ("audit_nodes", "audit_checkpoints", "audit_pruned")
_ALL = ("audit_records", *_FROZEN)


def upgrade() -> None:
    _create_log_tables()
    _create_retention_tables()
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_guards()
    else:
        _sqlite_guards()
    op.execute("INSERT INTO audit_head (id, size, origin) VALUES (1, 0, NULL)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in (*_ALL, "audit_head"):
            op.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
        op.execute("DROP FUNCTION IF EXISTS audit_refuse_change() CASCADE")
        op.execute("DROP FUNCTION IF EXISTS audit_records_guard_delete() CASCADE")
        op.execute("DROP FUNCTION IF EXISTS audit_head_guard() CASCADE")
        op.drop_table("audit_holds")
        return
    for table in ("audit_holds", *_ALL, "audit_head"):
        op.drop_table(table)


def _create_log_tables() -> None:
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("size", _BIG, nullable=False),
        sa.Column("origin", _NAME, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_audit_head"),
        sa.CheckConstraint("id = 1", name="ck_audit_head_single_row"),
    )
    op.create_table(
        "audit_records",
        sa.Column("idx", _BIG, nullable=False, autoincrement=False),
        sa.Column("leaf_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("time", _TIME, nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("tenant", _NAME, nullable=True),
        sa.Column("subject", _NAME, nullable=True),
        sa.PrimaryKeyConstraint("idx", name="pk_audit_records"),
    )
    op.create_index("ix_audit_records_time", "audit_records", ["time"])
    op.create_index("ix_audit_records_tenant_time", "audit_records", ["tenant", "time"])
    op.create_index("ix_audit_records_subject", "audit_records", ["subject"])
    op.create_table(
        "audit_nodes",
        sa.Column("level", sa.SmallInteger(), nullable=False, autoincrement=False),
        sa.Column("idx", _BIG, nullable=False, autoincrement=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
        sa.PrimaryKeyConstraint("level", "idx", name="pk_audit_nodes"),
    )
    op.create_table(
        "audit_checkpoints",
        sa.Column("size", _BIG, nullable=False, autoincrement=False),
        sa.Column("root", sa.LargeBinary(32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("size", name="pk_audit_checkpoints"),
    )


def _create_retention_tables() -> None:
    op.create_table(
        "audit_pruned",
        sa.Column("start_idx", _BIG, nullable=False, autoincrement=False),
        sa.Column("end_idx", _BIG, nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
        sa.Column("cutoff", _TIME, nullable=False),
        sa.Column("pruned_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("start_idx", name="pk_audit_pruned"),
    )
    op.create_table(
        "audit_holds",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("tenant", _NAME, nullable=True),
        sa.Column("subject", _NAME, nullable=True),
        sa.Column("reference", _NAME, nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("released_at", _TIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_audit_holds"),
    )


def _sqlite_guards() -> None:
    for table in _ALL:
        op.execute(
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
        )
    for table in _FROZEN:
        op.execute(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
        )
    op.execute(
        "CREATE TRIGGER audit_records_no_delete BEFORE DELETE ON audit_records "
        "WHEN NOT EXISTS (SELECT 1 FROM audit_pruned p "
        "WHERE OLD.idx >= p.start_idx AND OLD.idx < p.end_idx) "
        "BEGIN SELECT RAISE(ABORT, 'audit_records: delete only inside a pruned range'); END"
    )
    op.execute(
        "CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head "
        "BEGIN SELECT RAISE(ABORT, 'audit_head cannot be deleted'); END"
    )
    op.execute(
        "CREATE TRIGGER audit_head_forward BEFORE UPDATE ON audit_head "
        "WHEN NEW.size < OLD.size OR (OLD.origin IS NOT NULL AND NEW.origin IS NOT OLD.origin) "
        "BEGIN SELECT RAISE(ABORT, 'audit_head only moves forward'); END"
    )


def _postgresql_guards() -> None:
    op.execute(
        "CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME "
        "USING ERRCODE = 'insufficient_privilege'; END $$"
    )
    op.execute(
        "CREATE FUNCTION audit_records_guard_delete() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN IF NOT EXISTS (SELECT 1 FROM audit_pruned p "
        "WHERE OLD.idx >= p.start_idx AND OLD.idx < p.end_idx) THEN "
        "RAISE EXCEPTION 'audit_records: delete only inside a pruned range' "
        "USING ERRCODE = 'insufficient_privilege'; END IF; RETURN OLD; END $$"
    )
    op.execute(
        "CREATE FUNCTION audit_head_guard() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN IF TG_OP = 'DELETE' THEN RAISE EXCEPTION 'audit_head cannot be deleted' "
        "USING ERRCODE = 'insufficient_privilege'; END IF; "
        "IF NEW.size < OLD.size OR (OLD.origin IS NOT NULL "
        "AND NEW.origin IS DISTINCT FROM OLD.origin) THEN "
        "RAISE EXCEPTION 'audit_head only moves forward' "
        "USING ERRCODE = 'insufficient_privilege'; END IF; RETURN NEW; END $$"
    )
    for table in _ALL:
        op.execute(
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()"
        )
    for table in _FROZEN:
        op.execute(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()"
        )
    op.execute(
        "CREATE TRIGGER audit_records_no_delete BEFORE DELETE ON audit_records "
        "FOR EACH ROW EXECUTE FUNCTION audit_records_guard_delete()"
    )
    op.execute(
        "CREATE TRIGGER audit_head_guard BEFORE UPDATE OR DELETE ON audit_head "
        "FOR EACH ROW EXECUTE FUNCTION audit_head_guard()"
    )
    op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {', '.join(_ALL)} FROM PUBLIC")
    op.execute("REVOKE DELETE, TRUNCATE ON audit_head FROM PUBLIC")
