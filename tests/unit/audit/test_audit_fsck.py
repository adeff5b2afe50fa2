"""fsck: every kind of tampering done directly in the database is found and placed.

The tampering bypasses the append-only triggers the way a database owner
could: SQLite triggers are dropped, PostgreSQL triggers disabled.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, Engine, text

from audit import storage
from audit.checkpoint import Signer
from audit.fsck import FsckReport, fsck
from audit.hashing import leaf_hash
from audit.keys import load_or_create_signer
from audit.records import canonical_bytes
from audit.tree import CompactRange
from tests.unit.audit.audit_factories import ORIGIN, record

SIZE = 40
EVERY = 8
TABLES = ("audit_records", "audit_nodes", "audit_checkpoints", "audit_head")


@pytest.fixture
def signer(key_path: object) -> Signer:
    return load_or_create_signer(key_path, ORIGIN)  # type: ignore[arg-type]


@pytest.fixture
def log(db: Engine, signer: Signer) -> Engine:
    for start in range(0, SIZE, EVERY):
        with db.begin() as conn:
            storage.claim_origin(conn, ORIGIN)
            entries = [
                storage.Entry.of(record(i), canonical_bytes(record(i)))
                for i in range(start, start + EVERY)
            ]
            storage.append(conn, entries, None)
            storage.make_checkpoint(conn, signer)
    return db


def _tamper(engine: Engine) -> Iterator[Connection]:
    """A connection with the guards off, as the tables' owner could arrange."""
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            for (name,) in conn.execute(
                text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            ).all():
                conn.execute(text(f"DROP TRIGGER {name}"))
        else:
            for table in TABLES:
                conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
        yield conn


def _run(engine: Engine, signer: Signer) -> FsckReport:
    return fsck(engine, signer.verifier)


def _body(conn: Connection, index: int) -> bytes:
    return bytes(
        conn.execute(
            text("SELECT body FROM audit_records WHERE idx = :i"), {"i": index}
        ).scalar_one()
    )


def _set_body(conn: Connection, index: int, body: bytes, fix_hash: bool) -> None:
    values = {"i": index, "b": body, "h": leaf_hash(body)}
    column = ", leaf_hash = :h" if fix_hash else ""
    conn.execute(text(f"UPDATE audit_records SET body = :b{column} WHERE idx = :i"), values)


def _flip(body: bytes) -> bytes:
    return body.replace(b'"status":200', b'"status":201')


def test_clean_log_passes(log: Engine, signer: Signer) -> None:
    report = _run(log, signer)
    assert report.ok, report.problem
    assert (report.size, report.records, report.checkpoints) == (SIZE, SIZE, SIZE // EVERY)


@pytest.mark.parametrize("index", [0, 13, SIZE - 1])
def test_changed_byte_is_named_exactly(log: Engine, signer: Signer, index: int) -> None:
    for conn in _tamper(log):
        body = bytearray(_body(conn, index))
        body[len(body) // 2] ^= 0x20
        _set_body(conn, index, bytes(body), fix_hash=False)
    problem = _run(log, signer).problem
    assert problem is not None and problem.first == problem.last == index


@pytest.mark.parametrize("index", [2, 27])
def test_changed_record_with_fixed_leaf_hash_is_named(
    log: Engine, signer: Signer, index: int
) -> None:
    for conn in _tamper(log):
        _set_body(conn, index, _flip(_body(conn, index)), fix_hash=True)
    problem = _run(log, signer).problem
    assert problem is not None and problem.first == problem.last == index
    assert "level 0" in problem.reason  # the copy of its leaf hash in audit_nodes


@pytest.mark.parametrize("index", [2, 27])
def test_changed_record_with_fixed_leaf_node_is_placed(
    log: Engine, signer: Signer, index: int
) -> None:
    for conn in _tamper(log):
        body = _flip(_body(conn, index))
        _set_body(conn, index, body, fix_hash=True)
        conn.execute(
            text("UPDATE audit_nodes SET hash = :h WHERE level = 0 AND idx = :i"),
            {"h": leaf_hash(body), "i": index},
        )
    problem = _run(log, signer).problem
    assert problem is not None and problem.first <= index <= problem.last
    assert problem.last - problem.first == 1  # the level-1 node above it


def test_rewritten_tree_is_caught_by_the_signatures(log: Engine, signer: Signer) -> None:
    index = 19
    for conn in _tamper(log):
        _set_body(conn, index, _flip(_body(conn, index)), fix_hash=True)
        compact = CompactRange()
        for row in storage.iter_records(conn):
            for node, value in compact.append(row.leaf_hash):
                conn.execute(
                    text("UPDATE audit_nodes SET hash = :h WHERE level = :l AND idx = :i"),
                    {"h": value, "l": node.level, "i": node.index},
                )
    problem = _run(log, signer).problem
    assert problem is not None and "signed checkpoint at size 24" in problem.reason
    assert (problem.first, problem.last) == (16, 23)


@pytest.mark.parametrize("index", [0, 9, SIZE - 1])
def test_dropped_record_is_named(log: Engine, signer: Signer, index: int) -> None:
    for conn in _tamper(log):
        conn.execute(text("DELETE FROM audit_records WHERE idx = :i"), {"i": index})
    problem = _run(log, signer).problem
    assert problem is not None and problem.first == index


def test_swapped_records_are_placed(log: Engine, signer: Signer) -> None:
    for conn in _tamper(log):
        a, b = _body(conn, 10), _body(conn, 30)
        conn.execute(text("UPDATE audit_records SET idx = -1 WHERE idx = 10"))
        conn.execute(text("UPDATE audit_records SET idx = 10 WHERE idx = 30"))
        conn.execute(text("UPDATE audit_records SET idx = 30 WHERE idx = -1"))
        assert _body(conn, 10) == b and _body(conn, 30) == a
    problem = _run(log, signer).problem
    assert problem is not None and problem.first <= 10 <= problem.last


def test_inserted_record_in_the_middle_is_placed(log: Engine, signer: Signer) -> None:
    extra = canonical_bytes(record(999))
    for conn in _tamper(log):
        for index in range(SIZE - 1, 20, -1):
            conn.execute(
                text("UPDATE audit_records SET idx = idx + 1 WHERE idx = :i"), {"i": index}
            )
        row = storage.Entry.of(record(999), extra)
        conn.execute(
            text(
                "INSERT INTO audit_records (idx, leaf_hash, body, time, kind, tenant, subject) "
                "VALUES (21, :h, :b, :t, :k, :tenant, :s)"
            ),
            {
                "h": leaf_hash(extra),
                "b": extra,
                "t": row.time,
                "k": row.kind,
                "tenant": row.tenant,
                "s": row.subject,
            },
        )
        conn.execute(text("UPDATE audit_head SET size = size + 1"))
    problem = _run(log, signer).problem
    assert problem is not None and problem.first <= 21 <= problem.last


def test_inserted_record_at_the_end_is_named(log: Engine, signer: Signer) -> None:
    extra = canonical_bytes(record(999))
    for conn in _tamper(log):
        conn.execute(
            text(
                "INSERT INTO audit_records (idx, leaf_hash, body, time, kind, tenant, subject) "
                "VALUES (:i, :h, :b, :t, 'call', 'acme', NULL)"
            ),
            {"i": SIZE, "h": leaf_hash(extra), "b": extra, "t": record(999).time},
        )
    problem = _run(log, signer).problem
    assert problem is not None and problem.first == SIZE and "beyond" in problem.reason


def test_edited_filter_column_is_named(log: Engine, signer: Signer) -> None:
    for conn in _tamper(log):
        conn.execute(text("UPDATE audit_records SET tenant = 'hidden' WHERE idx = 7"))
    problem = _run(log, signer).problem
    assert problem is not None and problem.first == 7 and "columns" in problem.reason


def test_edited_tree_node_is_placed(log: Engine, signer: Signer) -> None:
    for conn in _tamper(log):
        conn.execute(
            text("UPDATE audit_nodes SET hash = :h WHERE level = 2 AND idx = 3"),
            {"h": leaf_hash(b"forged")},
        )
    problem = _run(log, signer).problem
    assert problem is not None and (problem.first, problem.last) == (12, 15)


def test_edited_checkpoint_row_is_caught(log: Engine, signer: Signer) -> None:
    for conn in _tamper(log):
        conn.execute(
            text("UPDATE audit_checkpoints SET root = :h WHERE size = 16"),
            {"h": leaf_hash(b"forged")},
        )
    problem = _run(log, signer).problem
    assert problem is not None and "checkpoint row at size 16" in problem.reason


def test_foreign_signature_is_caught(log: Engine, key_path: object) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    stranger = Signer(ORIGIN, Ed25519PrivateKey.generate())
    problem = fsck(log, stranger.verifier).problem
    assert problem is not None and "signature" in problem.reason


def test_records_missing_at_the_end(log: Engine, signer: Signer) -> None:
    for conn in _tamper(log):
        conn.execute(text("UPDATE audit_head SET size = size + 3"))
    problem = _run(log, signer).problem
    assert problem is not None and (problem.first, problem.last) == (SIZE, SIZE + 2)
