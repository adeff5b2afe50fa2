"""Many ledger rows in one transaction, and ownership of a whole listing page at once."""

from __future__ import annotations

import pytest

from vault import Ledger, Scope
from vault.ledger import IDS_PER_QUERY

pytestmark = pytest.mark.anyio

ALICE = Scope("acme", "alice")
GLOBEX = Scope("globex", "alice")


async def test_record_all_records_each_object_with_its_parent_once(ledger: Ledger) -> None:
    items = [("response", "resp_1", None), ("response_item", "msg_1", "resp_1"),
             ("response_item", "msg_2", "resp_1")]
    await ledger.record_all(ALICE, items)
    await ledger.record_all(ALICE, items)  # again: nothing changes
    await ledger.record_all(ALICE, [])
    entries = await ledger.objects(ALICE)
    assert [(e.kind, e.upstream_id, e.parent_id) for e in entries] == items


async def test_record_all_checks_every_object_before_writing_any(ledger: Ledger) -> None:
    with pytest.raises(ValueError):
        await ledger.record_all(ALICE, [("response", "resp_1", None), ("", "msg_1", None)])
    assert await ledger.objects(ALICE) == []


async def test_owned_answers_only_this_tenants_ids_across_chunks(ledger: Ledger) -> None:
    mine = [f"file_{n}" for n in range(IDS_PER_QUERY + 3)]
    await ledger.record_all(ALICE, [("file", i, None) for i in mine])
    await ledger.record(GLOBEX, "file", "file_theirs")
    asked = [*mine, "file_theirs", "file_unknown"]
    assert await ledger.owned("acme", asked) == set(mine)
    assert await ledger.owned("globex", asked) == {"file_theirs"}
    assert await ledger.owned("acme", []) == set()
