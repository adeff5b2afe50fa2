"""Engines for the audit tests: a migrated SQLite file, a migrated PostgreSQL database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.unit.audit.audit_factories import pg_engine, sqlite_engine


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = sqlite_engine(tmp_path / "audit.db")
    yield engine
    engine.dispose()


@pytest.fixture
def pg(fresh_postgres_url: str) -> Iterator[Engine]:
    engine = pg_engine(fresh_postgres_url)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest) -> Engine:
    """The same test on a SQLite file and on a PostgreSQL database."""
    engine: Engine = request.getfixturevalue("engine" if request.param == "sqlite" else "pg")
    return engine


@pytest.fixture
def key_path(tmp_path: Path) -> Path:
    return tmp_path / "keys" / "audit-signing.key"
