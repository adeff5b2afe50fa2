"""Find a scope's entries newer than a given id by index.

Every request opens its scope with one freshness check that asks for the
entries added since this process last looked (``vault.Vault.open``); without
this index that question scans all of the scope's entries.

Revision ID: vault_0003
Revises: vault_0002
"""

from __future__ import annotations

from alembic import op

revision = "vault_0003"
down_revision: str | None = "vault_0002"
branch_labels: tuple[str, ...] | None = None
depends_on: tuple[str, ...] | None = None


def upgrade() -> None:
    op.create_index("ix_vault_entries_scope_id_id", "vault_entries", ["scope_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_vault_entries_scope_id_id", table_name="vault_entries")
