"""Vault test fixtures: every storage test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from vault import Ledger, Vault, migrate
from vault.db import create_engine

MASTER_KEY = bytes(range(32))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'vault.db'}"
    url: str = request.getfixturevalue("fresh_postgres_url")
    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = create_engine(db_url)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def vault(engine: Engine) -> Vault:
    return Vault(engine, MASTER_KEY)


@pytest.fixture
def ledger(engine: Engine) -> Ledger:
    return Ledger(engine, MASTER_KEY)
