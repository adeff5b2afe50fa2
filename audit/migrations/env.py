"""Alembic environment for the audit log: online only, on the given connection.

:func:`audit.migrate` opens the transaction and takes the migration lock,
then hands the connection over in ``config.attributes``; this script never
opens connections or reads an ini file of its own.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from audit.schema import SQLITE_LOCK_TABLE, VERSION_TABLE
from audit.tables import metadata


def _own_names(name: str | None, type_: str, _parent: object) -> bool:
    """Other packages share the database: never compare or touch their tables."""
    return type_ != "table" or ((name or "").startswith("audit_") and name != SQLITE_LOCK_TABLE)


def run_migrations() -> None:
    connection: Connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        include_name=_own_names,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
