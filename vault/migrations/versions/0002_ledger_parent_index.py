"""Find a ledger row's children by index: forgetting a parent walks ``parent_id``.

Without it every step of :meth:`vault.Ledger.forget`'s walk down the tree
scans the whole ledger, which grows by a row per stored response item.

Revision ID: vault_0002
Revises: vault_0001
"""

from __future__ import annotations

from alembic import op

revision = "vault_0002"
down_revision: str | None = "vault_0001"
branch_labels: tuple[str, ...] | None = None
depends_on: tuple[str, ...] | None = None


def upgrade() -> None:
    op.create_index("ix_vault_ledger_parent", "vault_ledger", ["tenant", "parent_id"])


def downgrade() -> None:
    op.drop_index("ix_vault_ledger_parent", table_name="vault_ledger")
