"""Alembic environment for the gateway: online only, on the connection it is given."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from gateway.keystore import VERSION_TABLE, Base


def _own_names(name: str | None, type_: str, _parent: object) -> bool:
    """Other packages share the database: never compare or touch their tables."""
    return type_ != "table" or (name or "").startswith("gateway_")


def run_migrations() -> None:
    connection: Connection = context.config.attributes["connection"]
    context.configure(connection=connection, target_metadata=Base.metadata,
                      version_table=VERSION_TABLE, include_name=_own_names,
                      render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
