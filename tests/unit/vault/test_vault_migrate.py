"""vault.migrate: idempotent, own version table, safe when processes race."""

from __future__ import annotations

import threading

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from vault import VaultUnavailable, migrate
from vault.db import create_engine
from vault.schema import VERSION_TABLE, _config

VAULT_TABLES = {"vault_scopes", "vault_counters", "vault_entries", "vault_ledger"}


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def test_migrate_creates_the_tables_and_is_idempotent(engine: Engine) -> None:
    migrate(engine)  # the fixture already migrated once
    assert _tables(engine) == VAULT_TABLES | {VERSION_TABLE}
    with engine.connect() as conn:
        versions = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    assert versions == [ScriptDirectory.from_config(_config()).get_current_head()]


def test_other_packages_tables_are_left_alone(db_url: str) -> None:
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE audit_like (x INTEGER)"))
    migrate(engine)
    assert "audit_like" in _tables(engine)
    engine.dispose()


def test_concurrent_migrations_from_several_processes(db_url: str) -> None:
    engines = [create_engine(db_url) for _ in range(4)]
    errors: list[BaseException] = []
    start = threading.Barrier(len(engines))

    def run(engine: Engine) -> None:
        start.wait()
        try:
            migrate(engine)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert _tables(engines[0]) == VAULT_TABLES | {VERSION_TABLE}
    for engine in engines:
        engine.dispose()


def test_unreachable_database_is_vault_unavailable() -> None:
    engine = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with pytest.raises(VaultUnavailable, match="migrating"):
        migrate(engine)
