"""Alembic environment for the vault: online only, on the connection it is given.

:func:`vault.migrate` opens the transaction (and, on PostgreSQL, takes the
advisory lock) and hands the connection over in ``config.attributes``; this
script never opens connections or reads an ini file of its own.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from vault.schema import VERSION_TABLE
from vault.tables import Base


def _own_names(name: str | None, type_: str, _parent: object) -> bool:
    """Other packages share the database: never compare or touch their tables."""
    return type_ != "table" or (name or "").startswith("vault_")


def run_migrations() -> None:
    connection: Connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        version_table=VERSION_TABLE,
        include_name=_own_names,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
