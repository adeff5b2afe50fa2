"""Tokenize, restore, known values and erase, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, event, select, update

from tests.unit.vault.conftest import MASTER_KEY, restore
from vault import Scope, ScopeErasure, Vault, VaultCorrupted, VaultUnavailable
from vault.db import create_engine
from vault.tables import EntryRow

pytestmark = pytest.mark.anyio

ALICE = Scope("acme", "alice")
BOB = Scope("acme", "bob")


class StatementCounter:
    def __init__(self, engine: Engine) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args: object) -> None:
        self.count += 1


@pytest.fixture
def counter(engine: Engine) -> Iterator[StatementCounter]:
    counter = StatementCounter(engine)
    yield counter
    event.remove(engine, "before_cursor_execute", counter._seen)


async def test_same_value_gets_the_same_token_across_calls_and_instances(
    vault: Vault, engine: Engine
) -> None:
    first = await vault.tokenize(ALICE, [("PERSON", "John Smith"), ("EMAIL_ADDRESS", "j@x.org")])
    assert first == ["<PERSON_1>", "<EMAIL_ADDRESS_1>"]
    again = await vault.tokenize(ALICE, [("EMAIL_ADDRESS", "J@X.org"), ("PERSON", "john  smith")])
    assert again == ["<EMAIL_ADDRESS_1>", "<PERSON_1>"]
    other_instance = Vault(engine, MASTER_KEY)
    assert await other_instance.tokenize(ALICE, [("PERSON", "JOHN SMITH")]) == ["<PERSON_1>"]


async def test_tokens_number_per_type_in_request_order(vault: Vault) -> None:
    tokens = await vault.tokenize(
        ALICE,
        [("PERSON", "Ann"), ("PERSON", "Bea"), ("LOCATION", "Paris"), ("PERSON", "ann")],
    )
    assert tokens == ["<PERSON_1>", "<PERSON_2>", "<LOCATION_1>", "<PERSON_1>"]
    assert await vault.tokenize(ALICE, [("PERSON", "Cy")]) == ["<PERSON_3>"]
    assert await vault.tokenize(ALICE, []) == []


async def known_tokens(vault: Vault, scope: Scope, text: str) -> list[str]:
    return [token for *_, token in (await vault.open(scope)).known.find(text)]


async def test_restore_shows_the_first_spelling(vault: Vault) -> None:
    await vault.tokenize(ALICE, [("PERSON", "John Smith")])
    await vault.tokenize(ALICE, [("PERSON", "john smith")])
    assert await restore(vault, ALICE, "Hi <PERSON_1>!") == "Hi John Smith!"


async def test_scopes_number_independently_and_never_restore_each_other(vault: Vault) -> None:
    assert await vault.tokenize(ALICE, [("PERSON", "Alice Liddell")]) == ["<PERSON_1>"]
    assert await vault.tokenize(BOB, [("PERSON", "Bob Dylan")]) == ["<PERSON_1>"]
    assert await vault.tokenize(BOB, [("PERSON", "Alice Liddell")]) == ["<PERSON_2>"]
    assert await restore(vault, ALICE, "<PERSON_1> <PERSON_2>") == "Alice Liddell <PERSON_2>"
    assert await restore(vault, BOB, "<PERSON_1> <PERSON_2>") == "Bob Dylan Alice Liddell"
    other_tenant = Scope("globex", "alice")
    assert await restore(vault, other_tenant, "<PERSON_1>") == "<PERSON_1>"


async def test_unissued_tokens_have_no_value(vault: Vault) -> None:
    await vault.tokenize(ALICE, [("PERSON", "Ann")])
    view = await vault.open(ALICE)
    assert view.value_of("<PERSON_1>") == "Ann"
    assert view.entry("<PERSON_1>") is not None
    assert view.value_of("<PERSON_2>") is None
    assert view.value_of("<EMAIL_ADDRESS_1>") is None
    assert (await vault.open(Scope("acme", "nobody"))).value_of("<PERSON_1>") is None


async def test_opening_a_scope_is_one_round_trip_and_tokens_are_served_from_memory(
    vault: Vault, counter: StatementCounter
) -> None:
    await vault.tokenize(ALICE, [("PERSON", "Ann"), ("PERSON", "Bea")])
    before = counter.count
    view = await vault.open(ALICE)
    opened = counter.count - before
    assert opened <= 3  # begin, the scope's row, entries newer than the cache
    assert await view.tokenize([("PERSON", "ANN"), ("PERSON", "bea")]) == [
        "<PERSON_1>",
        "<PERSON_2>",
    ]
    assert view.value_of("<PERSON_2>") == "Bea" and len(view.known) == 2
    assert counter.count - before == opened


async def test_a_scope_without_values_is_remembered_as_empty(vault: Vault) -> None:
    assert len((await vault.open(ALICE)).known) == 0
    view = await vault.open(ALICE)
    assert await view.tokenize([("PERSON", "Ann")]) == ["<PERSON_1>"]
    assert view.value_of("<PERSON_1>") == "Ann"
    assert await known_tokens(vault, ALICE, "Ann") == ["<PERSON_1>"]


async def test_known_values_find_restored_text_and_follow_new_values(vault: Vault) -> None:
    assert len((await vault.open(ALICE)).known) == 0
    await vault.tokenize(ALICE, [("PERSON", "John Smith"), ("PHONE_NUMBER", "+1 555 010 0100")])
    known = (await vault.open(ALICE)).known
    restored = await restore(vault, ALICE, "Call <PERSON_1> at <PHONE_NUMBER_1>.")
    found = known.find(restored)
    assert [(restored[s:e], kind, token) for s, e, kind, token in found] == [
        ("John Smith", "PERSON", "<PERSON_1>"),
        ("+1 555 010 0100", "PHONE_NUMBER", "<PHONE_NUMBER_1>"),
    ]
    await vault.tokenize(ALICE, [("PERSON", "Ann")])
    assert await known_tokens(vault, ALICE, "ann") == ["<PERSON_2>"]
    assert (await vault.open(BOB)).known.find(restored) == []


async def test_erase_shreds_the_scope_and_is_idempotent(vault: Vault, engine: Engine) -> None:
    await vault.tokenize(ALICE, [("PERSON", "Ann"), ("EMAIL_ADDRESS", "ann@x.org")])
    await vault.tokenize(BOB, [("PERSON", "Bob")])
    await vault.open(ALICE)
    assert await vault.erase(ALICE) == ScopeErasure(entries_deleted=2, key_destroyed=True)
    text = "<PERSON_1> <EMAIL_ADDRESS_1>"
    assert await restore(vault, ALICE, text) == text
    assert len((await vault.open(ALICE)).known) == 0
    assert await vault.erase(ALICE) == ScopeErasure(entries_deleted=0, key_destroyed=False)
    assert await vault.erase(Scope("acme", "never-seen")) == ScopeErasure(0, False)
    assert await restore(vault, BOB, "<PERSON_1>") == "Bob"
    fresh_instance = Vault(engine, MASTER_KEY)
    assert await restore(fresh_instance, ALICE, "<PERSON_1>") == "<PERSON_1>"


async def test_numbering_never_restarts_after_erasure(vault: Vault) -> None:
    await vault.tokenize(ALICE, [("PERSON", "Ann"), ("PERSON", "Bea")])
    await vault.erase(ALICE)
    assert await vault.tokenize(ALICE, [("PERSON", "Cy"), ("PERSON", "Ann")]) == [
        "<PERSON_3>",
        "<PERSON_4>",
    ]
    assert await restore(vault, ALICE, "<PERSON_1> <PERSON_3>") == "<PERSON_1> Cy"


async def test_erasure_by_another_process_is_seen_by_the_next_open(engine: Engine) -> None:
    worker_a = Vault(engine, MASTER_KEY)
    worker_b = Vault(engine, MASTER_KEY)
    await worker_a.tokenize(ALICE, [("PERSON", "Ann")])
    assert await restore(worker_a, ALICE, "<PERSON_1>") == "Ann"
    await worker_b.erase(ALICE)
    assert await restore(worker_a, ALICE, "<PERSON_1>") == "<PERSON_1>"
    assert len((await worker_a.open(ALICE)).known) == 0
    await worker_b.tokenize(ALICE, [("PERSON", "Bea")])
    assert await worker_a.tokenize(ALICE, [("PERSON", "Bea"), ("PERSON", "Ann")]) == [
        "<PERSON_2>",
        "<PERSON_3>",
    ]


async def test_a_view_opened_before_an_erasure_elsewhere_tokenizes_under_the_new_key(
    engine: Engine,
) -> None:
    worker_a = Vault(engine, MASTER_KEY)
    worker_b = Vault(engine, MASTER_KEY)
    await worker_a.tokenize(ALICE, [("PERSON", "Ann")])
    view = await worker_a.open(ALICE)
    await worker_b.erase(ALICE)
    assert await view.tokenize([("PERSON", "Bea")]) == ["<PERSON_2>"]
    assert view.value_of("<PERSON_1>") is None and view.value_of("<PERSON_2>") == "Bea"
    assert await restore(worker_b, ALICE, "<PERSON_1> <PERSON_2>") == "<PERSON_1> Bea"


async def test_values_added_by_another_process_appear_in_known_values(engine: Engine) -> None:
    worker_a = Vault(engine, MASTER_KEY)
    worker_b = Vault(engine, MASTER_KEY)
    await worker_a.tokenize(ALICE, [("PERSON", "Ann")])
    assert len((await worker_a.open(ALICE)).known) == 1
    await worker_b.tokenize(ALICE, [("PERSON", "Bea")])
    assert await known_tokens(worker_a, ALICE, "Bea, Ann") == ["<PERSON_2>", "<PERSON_1>"]
    assert await restore(worker_a, ALICE, "<PERSON_2>") == "Bea"


async def test_a_different_master_key_finds_nothing(vault: Vault, engine: Engine) -> None:
    await vault.tokenize(ALICE, [("PERSON", "Ann")])
    intruder = Vault(engine, bytes(32))
    assert await restore(intruder, ALICE, "<PERSON_1>") == "<PERSON_1>"
    assert len((await intruder.open(ALICE)).known) == 0


async def test_a_ciphertext_moved_to_another_row_fails_authentication(
    vault: Vault, engine: Engine
) -> None:
    await vault.tokenize(ALICE, [("PERSON", "Ann")])
    await vault.tokenize(BOB, [("PERSON", "Bob")])
    with engine.begin() as conn:
        rows = conn.execute(select(EntryRow.id, EntryRow.ciphertext).order_by(EntryRow.id)).all()
        alice_row, bob_row = rows
        conn.execute(
            update(EntryRow)
            .where(EntryRow.id == alice_row.id)
            .values(ciphertext=bob_row.ciphertext)
        )
    with pytest.raises(VaultCorrupted):
        await Vault(engine, MASTER_KEY).open(ALICE)


async def test_invalid_input_is_refused_before_any_storage(vault: Vault) -> None:
    with pytest.raises(ValueError):
        await vault.tokenize(ALICE, [("person", "Ann")])
    with pytest.raises(ValueError):
        await vault.tokenize(ALICE, [("PERSON", "   ")])


async def test_pseudonym_is_stable_and_keyed(vault: Vault, engine: Engine) -> None:
    pseudonym = vault.pseudonym("acme", "user-42")
    assert pseudonym.startswith("psn_") and "user-42" not in pseudonym
    assert Vault(engine, MASTER_KEY).pseudonym("acme", "user-42") == pseudonym
    assert Vault(engine, bytes(32)).pseudonym("acme", "user-42") != pseudonym


async def test_database_failure_is_vault_unavailable() -> None:
    broken = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    vault = Vault(broken, MASTER_KEY)
    with pytest.raises(VaultUnavailable) as caught:
        await vault.tokenize(ALICE, [("PERSON", "Jane Roe")])
    assert "Jane" not in str(caught.value)
    with pytest.raises(VaultUnavailable):
        await vault.open(ALICE)
