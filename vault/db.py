"""The one engine factory for piigate's database (every package shares the engine).

Use :func:`create_engine` for the gateway's shared engine, in tests and in the
CLI: it makes SQLite behave like a database several workers can share.

SQLite, as configured on every new connection:

- ``journal_mode=WAL``: readers never block the writer, and vice versa.
- ``busy_timeout``: a writer waits for the lock instead of failing at once.
- ``foreign_keys=ON``: SQLite ignores foreign keys unless asked.
- ``secure_delete=ON``: deleted rows are overwritten with zeros, so a
  crypto-shredded data key does not linger in free pages of the file.
- Transactions are SQLAlchemy's, not the ``sqlite3`` module's (the recipe in
  SQLAlchemy's SQLite documentation): the module's implicit BEGIN would start
  transactions late, skip DDL, and could not be made IMMEDIATE.

Writers that read before they write should use :func:`write_transaction`: on
SQLite it takes the write lock up front (``BEGIN IMMEDIATE``), which is what
makes read-then-insert race-free across processes; on PostgreSQL it is a
plain transaction and the caller locks rows with ``SELECT ... FOR UPDATE``.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy
from sqlalchemy import Connection, Engine, event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import StaticPool
from sqlalchemy.sql import Executable

SQLITE_BUSY_TIMEOUT_MS = 30_000
_WAL_ATTEMPTS = 20
_WAL_RETRY_SECONDS = 0.01
_BEGIN_OPTION = "piigate_sqlite_begin"


def create_engine(url: str | URL, **kwargs: Any) -> Engine:
    """Create the shared engine; extra keyword arguments go to SQLAlchemy.

    Statement parameters are hidden from SQLAlchemy's error messages by
    default: a failed INSERT must not carry a value into a log.
    """
    kwargs.setdefault("hide_parameters", True)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return sqlalchemy.create_engine(parsed, **kwargs)
    if _is_memory(parsed):
        # One in-memory database must be one connection, usable from the
        # worker threads that run storage work.
        kwargs.setdefault("poolclass", StaticPool)
        kwargs.setdefault("connect_args", {"check_same_thread": False})
    engine = sqlalchemy.create_engine(parsed, **kwargs)
    event.listen(engine, "connect", _on_sqlite_connect)
    event.listen(engine, "begin", _on_sqlite_begin)
    return engine


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def is_postgresql(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that will write: IMMEDIATE on SQLite, plain elsewhere."""
    with engine.connect() as conn:
        if is_sqlite(engine):
            conn.execution_options(**{_BEGIN_OPTION: "BEGIN IMMEDIATE"})
        with conn.begin():
            yield conn


def insert_ignoring_conflict(
    conn: Connection, table: type[Any], values: dict[str, Any], unique: Sequence[str]
) -> Executable:
    """INSERT ... ON CONFLICT (unique) DO NOTHING, for the two supported databases.

    The way to "create unless another transaction already did" without
    aborting a PostgreSQL transaction on the duplicate.
    """
    if conn.dialect.name == "postgresql":
        return pg_insert(table).values(**values).on_conflict_do_nothing(index_elements=unique)
    if conn.dialect.name == "sqlite":
        return sqlite_insert(table).values(**values).on_conflict_do_nothing(index_elements=unique)
    raise ValueError(f"database dialect {conn.dialect.name!r} is not supported")


def _is_memory(url: URL) -> bool:
    database = url.database or ""
    return database in ("", ":memory:") or url.query.get("mode") == "memory"


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Hand transaction control to SQLAlchemy (see the module docstring).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        _enable_wal(cursor)
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA secure_delete=ON")
    finally:
        cursor.close()


def _enable_wal(cursor: Any) -> None:
    """Switch a new database file to WAL, which needs a moment of exclusive access.

    When several connections open a brand-new file at once, SQLite answers the
    losers "database is locked" at once instead of waiting (its deadlock
    avoidance skips the busy handler here), so retry for a short while. Once
    the file is in WAL mode the pragma is a no-op.
    """
    for attempt in range(_WAL_ATTEMPTS):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == _WAL_ATTEMPTS - 1:
                raise
            time.sleep(_WAL_RETRY_SECONDS * (attempt + 1))


def _on_sqlite_begin(conn: Connection) -> None:
    conn.exec_driver_sql(conn.get_execution_options().get(_BEGIN_OPTION, "BEGIN"))
