"""Bring the audit tables to the newest schema: ``audit.migrate(engine)``.

Safe to call from every process at start-up, at the same time: the whole
upgrade runs in one transaction that first takes a lock, so the second caller
waits and then finds nothing left to do. On PostgreSQL the lock is an
advisory transaction lock; on SQLite it is the database write lock, taken by
writing a row to a one-row lock table before any DDL runs (the first write
of a transaction takes SQLite's RESERVED lock, which is what ``BEGIN
IMMEDIATE`` would do, and works whichever way the engine begins transactions).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

from audit.errors import StorageError

VERSION_TABLE = "alembic_version_audit"
# A stable 64-bit key that no other package's advisory lock uses by accident.
MIGRATION_LOCK_KEY = int.from_bytes(
    hashlib.sha256(b"piigate.audit.migrate").digest()[:8], "big", signed=True
)
SQLITE_LOCK_TABLE = "audit_migration_lock"


def alembic_config() -> Config:
    """The Alembic configuration of the audit migrations (for tools and tests)."""
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
    return config


def migrate(engine: Engine) -> None:
    """Upgrade the audit tables to the newest revision; a no-op when current."""
    config = alembic_config()
    try:
        if engine.dialect.name == "sqlite":
            with engine.begin() as conn:
                conn.execute(text(f"CREATE TABLE IF NOT EXISTS {SQLITE_LOCK_TABLE} (id INTEGER)"))
        with engine.begin() as conn:
            _lock(conn)
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
    except SQLAlchemyError as exc:
        raise StorageError(f"migrating the audit schema failed ({type(exc).__name__})") from exc


def _lock(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    elif conn.dialect.name == "sqlite":
        conn.execute(text(f"DELETE FROM {SQLITE_LOCK_TABLE}"))
        conn.execute(text(f"INSERT INTO {SQLITE_LOCK_TABLE} (id) VALUES (1)"))
