"""The resource ledger: owners of upstream objects, found for reads and erasure."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select, update

from tests.unit.vault.conftest import MASTER_KEY
from vault import Ledger, LedgerEntry, Scope, VaultCorrupted
from vault.db import create_engine
from vault.tables import LedgerRow

pytestmark = pytest.mark.anyio

ALICE = Scope("acme", "alice")
BOB = Scope("acme", "bob")


async def test_record_then_find_the_owner(ledger: Ledger) -> None:
    before = datetime.now(UTC)
    await ledger.record(ALICE, "thread", "thread_1")
    owner = await ledger.owner("acme", "thread_1")
    assert owner is not None
    assert owner.scope == ALICE
    assert (owner.kind, owner.upstream_id, owner.parent_id) == ("thread", "thread_1", None)
    assert owner.created_at.tzinfo is not None
    assert before.replace(microsecond=0) <= owner.created_at <= datetime.now(UTC)


async def test_another_tenant_never_owns_the_object(ledger: Ledger) -> None:
    await ledger.record(ALICE, "file", "file_1")
    assert await ledger.owner("globex", "file_1") is None
    assert await ledger.owner("acme", "file_unknown") is None


async def test_recording_again_is_a_no_op_and_the_first_owner_stays(ledger: Ledger) -> None:
    await ledger.record(ALICE, "response", "resp_1")
    await ledger.record(ALICE, "response", "resp_1")
    await ledger.record(BOB, "response", "resp_1")
    owner = await ledger.owner("acme", "resp_1")
    assert owner is not None and owner.scope == ALICE
    assert len(await ledger.objects(ALICE)) == 1
    assert await ledger.objects(BOB) == []


async def test_objects_lists_a_scope_oldest_first_and_forget_drops_one(ledger: Ledger) -> None:
    await ledger.record(ALICE, "vector_store", "vs_1")
    await ledger.record(BOB, "file", "file_bob")
    await ledger.record(ALICE, "file", "file_1")
    await ledger.record(ALICE, "vector_store_file", "file_1@vs_1", parent_id="vs_1")
    listed = await ledger.objects(ALICE)
    assert [(e.kind, e.upstream_id, e.parent_id) for e in listed] == [
        ("vector_store", "vs_1", None),
        ("file", "file_1", None),
        ("vector_store_file", "file_1@vs_1", "vs_1"),
    ]
    assert all(isinstance(e, LedgerEntry) and e.scope == ALICE for e in listed)
    await ledger.forget("acme", "file_1")
    await ledger.forget("acme", "file_1")
    await ledger.forget("globex", "vs_1")
    assert [e.upstream_id for e in await ledger.objects(ALICE)] == ["vs_1", "file_1@vs_1"]
    assert [e.upstream_id for e in await ledger.objects(BOB)] == ["file_bob"]


async def test_same_upstream_id_in_two_tenants_is_two_objects(ledger: Ledger) -> None:
    globex = Scope("globex", "alice")
    await ledger.record(ALICE, "file", "file_1")
    await ledger.record(globex, "file", "file_1")
    acme_owner, globex_owner = (
        await ledger.owner("acme", "file_1"),
        await ledger.owner("globex", "file_1"),
    )
    assert acme_owner is not None and acme_owner.scope == ALICE
    assert globex_owner is not None and globex_owner.scope == globex


async def test_subject_is_stored_only_hashed_and_sealed(ledger: Ledger, engine: Engine) -> None:
    await ledger.record(ALICE, "thread", "thread_1")
    with engine.connect() as conn:
        row = conn.execute(select(LedgerRow)).one()
    assert "alice" not in row.subject_hash
    assert b"alice" not in row.subject_sealed


async def test_a_subject_moved_to_another_row_fails_authentication(
    ledger: Ledger, engine: Engine
) -> None:
    await ledger.record(ALICE, "thread", "thread_1")
    await ledger.record(BOB, "thread", "thread_2")
    with engine.begin() as conn:
        sealed = conn.execute(
            select(LedgerRow.subject_sealed).where(LedgerRow.upstream_id == "thread_2")
        ).scalar_one()
        conn.execute(
            update(LedgerRow)
            .where(LedgerRow.upstream_id == "thread_1")
            .values(subject_sealed=sealed)
        )
    with pytest.raises(VaultCorrupted):
        await ledger.owner("acme", "thread_1")


@pytest.mark.parametrize(
    ("kind", "upstream_id", "parent_id"),
    [
        ("", "x", None),
        ("k" * 65, "x", None),
        ("file", "", None),
        ("file", "x" * 256, None),
        ("file", "x", ""),
    ],
)
async def test_malformed_records_are_refused(
    kind: str, upstream_id: str, parent_id: str | None
) -> None:
    ledger = Ledger(create_engine("sqlite://"), MASTER_KEY)  # refused before any storage
    with pytest.raises(ValueError):
        await ledger.record(ALICE, kind, upstream_id, parent_id)
