"""Vault test fixtures: every storage test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from vault import Ledger, Scope, Vault, migrate
from vault.db import create_engine
from vault.tokens import TOKEN_RE

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


async def restore(vault: Vault, scope: Scope, text: str) -> str:
    """Replace every token ``scope`` issued, as a request's restorer does."""
    view = await vault.open(scope)
    return TOKEN_RE.sub(lambda m: view.value_of(m.group()) or m.group(), text)
