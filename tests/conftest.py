"""Fixtures shared by every test package.

- ``postgres_url`` (session): SQLAlchemy URL (``postgresql+psycopg://...``) of a
  throwaway PostgreSQL cluster, started on first use and removed at the end.
- ``fresh_postgres_url`` (function): URL of a brand-new empty database on that
  cluster, dropped after the test.
- ``anyio_backend``: asyncio only, the loop the gateway runs on.

Tests that use the PostgreSQL fixtures are marked ``@pytest.mark.postgres``.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import make_url

from tests.pgcluster import PgCluster, PostgresUnavailable


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    try:
        cluster = PgCluster.start()
    except PostgresUnavailable as exc:
        pytest.fail(f"cannot start the test PostgreSQL server: {exc}", pytrace=False)
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def postgres_url(pg_cluster: PgCluster) -> str:
    return pg_cluster.url


@pytest.fixture
def fresh_postgres_url(pg_cluster: PgCluster) -> Iterator[str]:
    name = f"t_{secrets.token_hex(8)}"
    pg_cluster.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(pg_cluster.url).set(database=name).render_as_string(hide_password=False)
    finally:
        pg_cluster.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
