"""Schema, append-only guards and proofs read from the database, on both backends."""

from __future__ import annotations

import asyncio
import secrets
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError

import audit
from audit import AuditLog, proofs, retention, storage
from audit.checkpoint import Signer, open_checkpoint
from audit.errors import StorageError
from audit.hashing import leaf_hash
from audit.keys import load_or_create_signer
from audit.records import canonical_bytes
from tests.unit.audit.audit_factories import ORIGIN, mth, record
from vault.db import create_engine

GUARDED = [
    "UPDATE audit_records SET body = body",
    "DELETE FROM audit_records WHERE idx = 0",
    "DELETE FROM audit_records",
    "UPDATE audit_nodes SET hash = hash",
    "DELETE FROM audit_nodes",
    "UPDATE audit_checkpoints SET note = note",
    "DELETE FROM audit_checkpoints",
    "DELETE FROM audit_head",
    "UPDATE audit_head SET size = size - 1",
    "UPDATE audit_head SET origin = 'someone-else'",
]


def _fill(engine: Engine, count: int) -> list[bytes]:
    bodies = [canonical_bytes(record(i)) for i in range(count)]
    with engine.begin() as conn:
        storage.claim_origin(conn, ORIGIN)
        storage.append(conn, [storage.Entry.of(record(i), b) for i, b in enumerate(bodies)], None)
        storage.make_checkpoint(conn, Signer(ORIGIN, Ed25519PrivateKey.generate()))
    return [leaf_hash(b) for b in bodies]


def _check_guards(engine: Engine) -> None:
    _fill(engine, 5)
    for statement in GUARDED:
        with pytest.raises(DBAPIError), engine.begin() as conn:
            conn.execute(text(statement))
    with engine.connect() as conn:
        assert storage.head(conn) == (5, ORIGIN)
        assert len(list(storage.iter_records(conn))) == 5


def test_sqlite_refuses_update_and_delete(engine: Engine) -> None:
    _check_guards(engine)


@pytest.mark.postgres
def test_postgresql_refuses_update_delete_and_truncate(pg: Engine) -> None:
    _check_guards(pg)
    for table in ("audit_records", "audit_nodes", "audit_checkpoints", "audit_pruned"):
        with pytest.raises(DBAPIError), pg.begin() as conn:
            conn.execute(text(f"TRUNCATE {table}"))
    with pg.connect() as conn:
        grants = conn.execute(
            text(
                "SELECT privilege_type FROM information_schema.role_table_grants "
                "WHERE grantee = 'PUBLIC' AND table_name LIKE 'audit_%'"
            )
        ).all()
    assert not [g for g in grants if g[0] in ("UPDATE", "DELETE", "TRUNCATE")]


def test_migrate_is_idempotent_and_owns_its_version_table(engine: Engine) -> None:
    audit.migrate(engine)
    names = set(inspect(engine).get_table_names())
    assert {"audit_records", "audit_nodes", "audit_checkpoints", "alembic_version_audit"} <= names
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version_audit")).scalar_one() == (
            "audit_0001"
        )
        assert storage.head(conn) == (0, None)


def test_migrate_concurrently_on_sqlite(tmp_path: Path) -> None:
    engines = [create_engine(f"sqlite:///{tmp_path / 'shared.db'}") for _ in range(4)]
    errors: list[BaseException] = []

    def run(engine: Engine) -> None:
        try:
            audit.migrate(engine)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(e,)) for e in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with engines[0].connect() as conn:
        assert storage.head(conn) == (0, None)
    for engine in engines:
        engine.dispose()


@pytest.mark.postgres
def test_migrate_concurrently_on_postgresql(fresh_postgres_url: str) -> None:
    engines = [create_engine(fresh_postgres_url) for _ in range(4)]
    errors: list[BaseException] = []

    def run(engine: Engine) -> None:
        try:
            audit.migrate(engine)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(e,)) for e in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with engines[0].connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_head")).scalar_one() == 1
    for engine in engines:
        engine.dispose()


def test_proofs_from_storage_match_the_reference(engine: Engine) -> None:
    leaves = _fill(engine, 37)
    root = mth(leaves)
    with engine.connect() as conn:
        assert storage.load_compact(conn, 37).root() == root
        batch = storage.inclusion_proofs(conn, list(range(37)), 37)
        for index in range(37):
            single = storage.inclusion_proof(conn, index, 37)
            assert single == batch[index]
            proofs.verify_inclusion(index, 37, leaves[index], single, root)
        for size1 in (1, 5, 16, 36, 37):
            hashes = storage.consistency_proof(conn, size1, 37)
            proofs.verify_consistency(size1, 37, hashes, mth(leaves[:size1]), root)
        signed = storage.latest_checkpoint(conn)
    assert signed is not None and signed.size == 37 and signed.root == root


def test_checkpoint_at_an_existing_size_is_reused(engine: Engine) -> None:
    _fill(engine, 3)
    with engine.connect() as conn:
        first = storage.latest_checkpoint(conn)
    signer = Signer(ORIGIN, Ed25519PrivateKey.generate())
    with engine.begin() as conn:
        again = storage.make_checkpoint(conn, signer)
        assert len(storage.all_checkpoints(conn)) == 1
    assert first is not None and again.note == first.note and again.size == 3
    with engine.begin() as conn:
        storage.append(conn, [storage.Entry.of(record(9), canonical_bytes(record(9)))], None)
        grown = storage.make_checkpoint(conn, signer)
    assert open_checkpoint(grown.note, signer.verifier).size == 4


def test_origin_is_claimed_once(engine: Engine) -> None:
    with engine.begin() as conn:
        storage.claim_origin(conn, ORIGIN)
        storage.claim_origin(conn, ORIGIN)
    with pytest.raises(StorageError), engine.begin() as conn:
        storage.claim_origin(conn, "another-origin")


def test_missing_nodes_are_reported(engine: Engine) -> None:
    with engine.connect() as conn, pytest.raises(StorageError):
        storage.inclusion_proof(conn, 0, 4)


def test_unmigrated_database_is_a_storage_error(tmp_path: Path) -> None:
    bare = create_engine(f"sqlite:///{tmp_path / 'bare.db'}")
    with bare.connect() as conn:
        conn.execute(
            text("CREATE TABLE audit_head (id INTEGER PRIMARY KEY, size INTEGER, origin TEXT)")
        )
        conn.commit()
    with pytest.raises(StorageError), bare.begin() as conn:
        storage.reserve(conn, 1)
    bare.dispose()


LATER = datetime(2026, 1, 1, tzinfo=UTC)  # the test records are from March 2025
GATEWAY_GRANTS = """
GRANT SELECT ON alembic_version_audit TO {role};
GRANT SELECT, INSERT ON audit_records, audit_nodes, audit_checkpoints,
      audit_pruned, audit_holds TO {role};
GRANT SELECT, UPDATE ON audit_head TO {role};
GRANT UPDATE (released_at) ON audit_holds TO {role};
GRANT USAGE ON SEQUENCE audit_holds_id_seq TO {role};
"""


@pytest.mark.postgres
def test_documented_gateway_role_appends_but_cannot_rewrite(pg: Engine, key_path: Path) -> None:
    """The grants in docs/compliance.md: enough to run, not enough to tamper."""
    role = f"gw_{secrets.token_hex(4)}"
    with pg.begin() as conn:
        conn.execute(text(f"CREATE ROLE {role} LOGIN"))
        conn.execute(text(GATEWAY_GRANTS.format(role=role)))
    as_gateway = create_engine(pg.url.set(username=role, password=None))
    try:
        audit.migrate(as_gateway)  # up to date: needs no DDL rights
        log = AuditLog(as_gateway, key_path, ORIGIN)

        async def run() -> None:
            for i in range(3):
                await log.append(record(i))
            await log.checkpoint()
            await log.aclose()

        asyncio.run(run())
        for statement in (
            "UPDATE audit_records SET body = body",
            "DELETE FROM audit_records",
            "ALTER TABLE audit_records DISABLE TRIGGER USER",
            "DROP TRIGGER audit_records_no_update ON audit_records",
        ):
            with pytest.raises(DBAPIError), as_gateway.begin() as conn:
                conn.execute(text(statement))
        with as_gateway.connect() as conn:
            assert storage.head(conn) == (3, ORIGIN)
        signer = load_or_create_signer(key_path, ORIGIN)
        with pytest.raises(StorageError):
            retention.prune(as_gateway, signer, retention.RetentionPolicy(), LATER)
        with pg.begin() as conn:
            conn.execute(text(f"CREATE ROLE {role}_ret LOGIN IN ROLE {role}"))
            conn.execute(text(f"GRANT DELETE ON audit_records TO {role}_ret"))
        as_retention = create_engine(pg.url.set(username=f"{role}_ret", password=None))
        policy = retention.RetentionPolicy()
        assert retention.prune(as_retention, signer, policy, LATER).records == 3
        as_retention.dispose()
    finally:
        as_gateway.dispose()
        with pg.begin() as conn:
            for name in (f"{role}_ret", role):
                conn.execute(text(f"DROP OWNED BY {name}"))
                conn.execute(text(f"DROP ROLE {name}"))


def test_downgrade_and_upgrade_again(db: Engine) -> None:
    from alembic import command

    from audit.schema import SQLITE_LOCK_TABLE, alembic_config

    _fill(db, 3)
    config = alembic_config()
    with db.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "base")
    left = set(inspect(db).get_table_names()) - {SQLITE_LOCK_TABLE}
    assert not [t for t in left if t.startswith("audit_")]
    audit.migrate(db)
    with db.connect() as conn:
        assert storage.head(conn) == (0, None)


def test_tables_match_the_migrations(db: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from audit.schema import SQLITE_LOCK_TABLE
    from audit.tables import metadata

    def own(name: str | None, type_: str, _parent: object) -> bool:
        return type_ != "table" or ((name or "").startswith("audit_") and name != SQLITE_LOCK_TABLE)

    with db.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": own})
        assert compare_metadata(context, metadata) == []
