"""Scopes, token counters, encrypted entries and the resource ledger.

Revision ID: vault_0001
Revises: none (first vault revision)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "vault_0001"
down_revision: str | None = None
branch_labels: tuple[str, ...] | None = None
depends_on: tuple[str, ...] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "vault_scopes",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("tenant", sa.String(255), nullable=False),
        sa.Column("subject_hash", sa.String(64), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("erased_at", _WHEN, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_vault_scopes"),
        sa.UniqueConstraint("tenant", "subject_hash", name="uq_vault_scopes_tenant_subject_hash"),
    )
    op.create_table(
        "vault_counters",
        sa.Column("scope_id", _ID, nullable=False),
        sa.Column("entity_type", sa.String(64), nullable=False),
        sa.Column("last_index", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("scope_id", "entity_type", name="pk_vault_counters"),
        sa.ForeignKeyConstraint(
            ["scope_id"],
            ["vault_scopes.id"],
            name="fk_vault_counters_scope_id_vault_scopes",
            ondelete="CASCADE",
        ),
    )
    op.create_table(
        "vault_entries",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("scope_id", _ID, nullable=False),
        sa.Column("entity_type", sa.String(64), nullable=False),
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("blind_index", sa.LargeBinary(32), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_vault_entries"),
        sa.ForeignKeyConstraint(
            ["scope_id"],
            ["vault_scopes.id"],
            name="fk_vault_entries_scope_id_vault_scopes",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint(
            "scope_id", "blind_index", name="uq_vault_entries_scope_id_blind_index"
        ),
        sa.UniqueConstraint("scope_id", "token", name="uq_vault_entries_scope_id_token"),
    )
    op.create_table(
        "vault_ledger",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("tenant", sa.String(255), nullable=False),
        sa.Column("subject_hash", sa.String(64), nullable=False),
        sa.Column("subject_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("upstream_id", sa.String(255), nullable=False),
        sa.Column("parent_id", sa.String(255), nullable=True),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_vault_ledger"),
        sa.UniqueConstraint("tenant", "upstream_id", name="uq_vault_ledger_tenant_upstream_id"),
    )
    op.create_index("ix_vault_ledger_owner", "vault_ledger", ["tenant", "subject_hash"])


def downgrade() -> None:
    op.drop_index("ix_vault_ledger_owner", table_name="vault_ledger")
    op.drop_table("vault_ledger")
    op.drop_table("vault_entries")
    op.drop_table("vault_counters")
    op.drop_table("vault_scopes")
