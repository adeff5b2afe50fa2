"""Retention: whole old subtrees go, legal holds stay, every proof still verifies."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from audit import proofs, storage
from audit.bundle import ExportQuery
from audit.checkpoint import Signer, open_checkpoint
from audit.errors import RetentionError, StorageError
from audit.export import export_bundle
from audit.fsck import fsck
from audit.hashing import leaf_hash
from audit.keys import load_or_create_signer
from audit.proofs import NodeID
from audit.records import canonical_bytes
from audit.retention import (
    RetentionPolicy,
    list_holds,
    place_hold,
    prunable_blocks,
    prune,
    release_hold,
)
from audit.verify import verify_bundle
from tests.unit.audit.audit_factories import ORIGIN, record

NOW = datetime(2025, 12, 1, tzinfo=UTC)
OLD, NEW = 22, 10


@pytest.fixture
def signer(key_path: Path) -> Signer:
    return load_or_create_signer(key_path, ORIGIN)


@pytest.fixture
def log(db: Engine, signer: Signer) -> Engine:
    """22 records from March 2025, then 10 from November (cutoff: 1 June)."""
    rows = [record(i) for i in range(OLD)]
    rows += [
        record(i, time=f"2025-11-{1 + i % 20:02d}T08:00:00.000Z") for i in range(OLD, OLD + NEW)
    ]
    with db.begin() as conn:
        storage.claim_origin(conn, ORIGIN)
        storage.append(conn, [storage.Entry.of(r, canonical_bytes(r)) for r in rows[:9]], None)
        storage.make_checkpoint(conn, signer)
    with db.begin() as conn:
        storage.append(conn, [storage.Entry.of(r, canonical_bytes(r)) for r in rows[9:]], None)
    return db


def _indexes(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return [row.index for row in storage.iter_records(conn)]


def test_period_below_six_months_needs_force() -> None:
    assert RetentionPolicy().days == 183
    with pytest.raises(RetentionError, match="6 months"):
        RetentionPolicy(days=30)
    assert RetentionPolicy(days=30, force=True).cutoff(NOW) == "2025-11-01T00:00:00.000Z"
    with pytest.raises(RetentionError):
        RetentionPolicy(days=0, force=True)


def test_prunable_blocks_are_maximal_aligned_subtrees() -> None:
    assert prunable_blocks(13, [], []) == [NodeID(3, 0), NodeID(2, 2), NodeID(0, 12)]
    assert prunable_blocks(16, [5], []) == [NodeID(2, 0), NodeID(0, 4), NodeID(1, 3), NodeID(3, 1)]
    assert prunable_blocks(8, [], [(0, 4)]) == [NodeID(2, 1)]
    assert prunable_blocks(8, [], [(0, 8)]) == []
    assert prunable_blocks(0, [], []) == []
    assert prunable_blocks(16, [3], [], min_level=2) == [NodeID(2, 1), NodeID(3, 1)]


def test_prune_removes_old_blocks_and_keeps_everything_verifiable(
    log: Engine, signer: Signer, tmp_path: Path
) -> None:
    report = prune(log, signer, RetentionPolicy(), NOW)
    assert report.blocks == (NodeID(4, 0), NodeID(2, 4), NodeID(1, 10))
    assert report.records == 22 and report.cutoff == "2025-06-01T00:00:00.000Z"
    assert _indexes(log) == list(range(22, 32))
    checked = fsck(log, signer.verifier)
    assert checked.ok, checked.problem
    assert checked.pruned_blocks == 3 and checked.checkpoints == 2
    with log.connect() as conn:
        latest = storage.latest_checkpoint(conn)
        assert latest is not None
        for row in storage.iter_records(conn):
            hashes = storage.inclusion_proof(conn, row.index, latest.size)
            proofs.verify_inclusion(row.index, latest.size, row.leaf_hash, hashes, latest.root)
        first = storage.all_checkpoints(conn)[0]
        hashes = storage.consistency_proof(conn, first.size, latest.size)
        proofs.verify_consistency(first.size, latest.size, hashes, first.root, latest.root)
    out = tmp_path / "after.zip"
    export_bundle(log, signer, ExportQuery(), out)
    assert verify_bundle(out, signer.verifier).records == 10
    assert prune(log, signer, RetentionPolicy(), NOW).records == 0


def test_legal_hold_keeps_matching_subtrees(log: Engine, signer: Signer) -> None:
    hold = place_hold(log, "case-2025-17", subject="psn_subject3")
    report = prune(log, signer, RetentionPolicy(), NOW)
    kept = _indexes(log)
    assert {3, 8, 13, 18} <= set(kept)
    assert report.records == 22 - len([i for i in kept if i < 22])
    assert fsck(log, signer.verifier).ok
    assert [h.id for h in list_holds(log)] == [hold.id]
    release_hold(log, hold.id)
    assert list_holds(log) == [] and len(list_holds(log, include_released=True)) == 1
    prune(log, signer, RetentionPolicy(), NOW)
    assert _indexes(log) == list(range(22, 32))
    assert fsck(log, signer.verifier).ok


def test_hold_by_tenant_and_bad_holds(log: Engine, signer: Signer) -> None:
    place_hold(log, "case-1", tenant="acme")
    report = prune(log, signer, RetentionPolicy(), NOW)
    # Tenants alternate, so only single globex records (odd indexes) can go.
    assert _indexes(log) == [*range(0, OLD, 2), *range(OLD, OLD + NEW)]
    assert all(block.level == 0 for block in report.blocks)
    assert fsck(log, signer.verifier).ok
    with pytest.raises(RetentionError):
        place_hold(log, "case-2")
    with pytest.raises(RetentionError):
        place_hold(log, "case-3", subject="alice@example.com")
    with pytest.raises(RetentionError):
        release_hold(log, 999)


def test_delete_outside_a_pruned_range_is_still_refused(log: Engine, signer: Signer) -> None:
    prune(log, signer, RetentionPolicy(), NOW)
    for statement in (
        "DELETE FROM audit_records WHERE idx = 25",
        "DELETE FROM audit_pruned",
        "UPDATE audit_pruned SET hash = hash",
    ):
        with pytest.raises(DBAPIError), log.begin() as conn:
            conn.execute(text(statement))


def test_tampered_block_is_never_pruned(engine: Engine, signer: Signer) -> None:
    rows = [record(i) for i in range(8)]
    with engine.begin() as conn:
        storage.claim_origin(conn, ORIGIN)
        storage.append(conn, [storage.Entry.of(r, canonical_bytes(r)) for r in rows], None)
        storage.make_checkpoint(conn, signer)
    forged = canonical_bytes(record(5, status=500))
    with engine.begin() as conn:
        conn.execute(text("DROP TRIGGER audit_records_no_update"))
        conn.execute(
            text("UPDATE audit_records SET body = :b, leaf_hash = :h WHERE idx = 5"),
            {"b": forged, "h": leaf_hash(forged)},
        )
    with pytest.raises(StorageError, match="do not match the tree"):
        prune(engine, signer, RetentionPolicy(), NOW)
    assert _indexes(engine) == list(range(8))


def test_pruned_hash_is_committed_by_the_old_checkpoint(log: Engine, signer: Signer) -> None:
    prune(log, signer, RetentionPolicy(), NOW)
    with log.connect() as conn:
        first = open_checkpoint(storage.all_checkpoints(conn)[0].note, signer.verifier)
        block = storage.all_pruned(conn)[0]
        assert (block.start, block.end, block.level) == (0, 16, 4)
        size = storage.all_checkpoints(conn)[-1].size
        spans = proofs.subtree_consistency_spans(block.start, block.end, size)
        hashes = proofs.assemble(spans, storage.fetch_nodes(conn, proofs.fetch_list(spans)))
        latest = storage.all_checkpoints(conn)[-1]
    proofs.verify_subtree_consistency(block.start, block.end, size, hashes, block.hash, latest.root)
    assert first.size == 9
