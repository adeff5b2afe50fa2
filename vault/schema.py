"""Bring the vault's tables to the newest schema: ``vault.migrate(engine)``.

Safe to call from every process at start-up, at the same time: the whole
upgrade runs in one transaction that first takes a PostgreSQL advisory lock
(or, on SQLite, the write lock via ``BEGIN IMMEDIATE``), so the second caller
waits and then finds nothing left to do.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from vault.db import is_postgresql, write_transaction
from vault.errors import VaultUnavailable

VERSION_TABLE = "alembic_version_vault"
# A stable 64-bit key no other package's lock will collide with by accident.
MIGRATION_LOCK_KEY = int.from_bytes(
    hashlib.sha256(b"piigate.vault.migrate").digest()[:8], "big", signed=True
)


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
    return config


def migrate(engine: Engine) -> None:
    """Upgrade the vault's tables to the newest revision; a no-op when current."""
    config = _config()
    try:
        with write_transaction(engine) as conn:
            if is_postgresql(engine):
                conn.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
                )
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
    except SQLAlchemyError as exc:
        raise VaultUnavailable(f"migrating the vault schema failed ({type(exc).__name__})") from exc
