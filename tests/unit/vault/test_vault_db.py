"""The shared engine factory: SQLite configured for several workers."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import StatementError

from vault.db import (
    SQLITE_BUSY_TIMEOUT_MS,
    create_engine,
    insert_ignoring_conflict,
    write_transaction,
)
from vault.tables import ScopeRow


def test_sqlite_connections_get_the_pragmas(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == SQLITE_BUSY_TIMEOUT_MS
        assert conn.execute(text("PRAGMA secure_delete")).scalar() == 1
    engine.dispose()


def _can_take_write_lock(path: Path) -> bool:
    probe = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:
        return False
    else:
        probe.execute("ROLLBACK")
        return True
    finally:
        probe.close()


def test_write_transaction_takes_the_write_lock_up_front(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    with engine.begin() as conn:
        conn.execute(text("SELECT * FROM t")).all()
        assert _can_take_write_lock(path)  # a plain transaction only reads
    with write_transaction(engine) as conn:
        conn.execute(text("SELECT * FROM t")).all()
        assert not _can_take_write_lock(path)
    engine.dispose()


def test_in_memory_database_is_one_database_across_threads() -> None:
    engine = create_engine("sqlite://")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    errors: list[BaseException] = []

    def insert() -> None:
        try:
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO t VALUES (1)"))
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=insert)
    thread.start()
    thread.join()
    assert errors == []
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 1


def test_transactional_ddl_rolls_back_on_sqlite(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(RuntimeError), engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
        raise RuntimeError("abort")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM sqlite_master WHERE name='t'")).scalar() == 0
    engine.dispose()


def test_statement_parameters_are_hidden_from_errors(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(StatementError) as caught, engine.connect() as conn:
        conn.execute(text("SELECT * FROM missing WHERE x = :x"), {"x": "Jane Roe"})
    assert "Jane Roe" not in str(caught.value)
    engine.dispose()


def test_unsupported_dialect_is_refused() -> None:
    from sqlalchemy.dialects import mysql

    class FakeConnection:
        dialect = mysql.dialect()

    with pytest.raises(ValueError, match="mysql"):
        insert_ignoring_conflict(FakeConnection(), ScopeRow, {}, ("tenant",))  # type: ignore[arg-type]
