"""Tokenize, restore, known values and erase, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, event, select, update

from tests.unit.vault.conftest import MASTER_KEY
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


async def test_restore_shows_the_first_spelling(vault: Vault) -> None:
    await vault.tokenize(ALICE, [("PERSON", "John Smith")])
    await vault.tokenize(ALICE, [("PERSON", "john smith")])
    assert await vault.restore(ALICE, "Hi <PERSON_1>!") == "Hi John Smith!"


async def test_scopes_number_independently_and_never_restore_each_other(vault: Vault) -> None:
    assert await vault.tokenize(ALICE, [("PERSON", "Alice Liddell")]) == ["<PERSON_1>"]
    assert await vault.tokenize(BOB, [("PERSON", "Bob Dylan")]) == ["<PERSON_1>"]
    assert await vault.tokenize(BOB, [("PERSON", "Alice Liddell")]) == ["<PERSON_2>"]
    assert await vault.restore(ALICE, "<PERSON_1> <PERSON_2>") == "Alice Liddell <PERSON_2>"
    assert await vault.restore(BOB, "<PERSON_1> <PERSON_2>") == "Bob Dylan Alice Liddell"
    other_tenant = Scope("globex", "alice")
    assert await vault.restore(other_tenant, "<PERSON_1>") == "<PERSON_1>"


async def test_unissued_and_malformed_tokens_pass_through(vault: Vault) -> None:
    await vault.tokenize(ALICE, [("PERSON", "Ann")])
    text = "<PERSON_1> <PERSON_2> <EMAIL_ADDRESS_1> <person_1> <PERSON_01> <PERSON_1"
    assert await vault.restore(ALICE, text) == "Ann" + text[len("<PERSON_1>") :]
    assert await vault.restore(Scope("acme", "nobody"), text) == text


async def test_escape_is_applied_to_restored_values_only(vault: Vault) -> None:
    await vault.tokenize(ALICE, [("PERSON", 'Ann "The Hammer" O\\Neil')])
    arguments = '{"name": "<PERSON_1>", "other": "<PERSON_7>"}'

    def escape(value: str) -> str:
        return json.dumps(value)[1:-1]

    restored = await vault.restore(ALICE, arguments, escape=escape)
    assert json.loads(restored) == {"name": 'Ann "The Hammer" O\\Neil', "other": "<PERSON_7>"}


async def test_text_without_tokens_costs_nothing(vault: Vault, counter: StatementCounter) -> None:
    assert await vault.restore(ALICE, "no tokens here <b>") == "no tokens here <b>"
    assert counter.count == 0


async def test_a_scope_without_values_is_remembered_as_empty(
    vault: Vault, counter: StatementCounter
) -> None:
    assert len(await vault.known_values(ALICE)) == 0
    before = counter.count
    assert len(await vault.known_values(ALICE)) == 0
    assert counter.count == before
    assert await vault.tokenize(ALICE, [("PERSON", "Ann")]) == ["<PERSON_1>"]
    assert await vault.restore(ALICE, "<PERSON_1>") == "Ann"
    assert [token for *_, token in (await vault.known_values(ALICE)).find("Ann")] == ["<PERSON_1>"]


async def test_repeated_values_and_tokens_are_served_from_memory(
    vault: Vault, counter: StatementCounter
) -> None:
    await vault.tokenize(ALICE, [("PERSON", "Ann"), ("PERSON", "Bea")])
    await vault.restore(ALICE, "<PERSON_1>")
    await vault.known_values(ALICE)
    before = counter.count
    assert await vault.tokenize(ALICE, [("PERSON", "ANN"), ("PERSON", "bea")]) == [
        "<PERSON_1>",
        "<PERSON_2>",
    ]
    assert await vault.restore(ALICE, "<PERSON_2> and <PERSON_1>") == "Bea and Ann"
    assert len(await vault.known_values(ALICE)) == 2
    assert counter.count == before


async def test_known_values_find_restored_text_and_follow_new_values(vault: Vault) -> None:
    assert len(await vault.known_values(ALICE)) == 0
    await vault.tokenize(ALICE, [("PERSON", "John Smith"), ("PHONE_NUMBER", "+1 555 010 0100")])
    known = await vault.known_values(ALICE)
    restored = await vault.restore(ALICE, "Call <PERSON_1> at <PHONE_NUMBER_1>.")
    found = known.find(restored)
    assert [(restored[s:e], kind, token) for s, e, kind, token in found] == [
        ("John Smith", "PERSON", "<PERSON_1>"),
        ("+1 555 010 0100", "PHONE_NUMBER", "<PHONE_NUMBER_1>"),
    ]
    await vault.tokenize(ALICE, [("PERSON", "Ann")])
    assert [token for *_, token in (await vault.known_values(ALICE)).find("ann")] == ["<PERSON_2>"]
    assert (await vault.known_values(BOB)).find(restored) == []


async def test_erase_shreds_the_scope_and_is_idempotent(vault: Vault, engine: Engine) -> None:
    await vault.tokenize(ALICE, [("PERSON", "Ann"), ("EMAIL_ADDRESS", "ann@x.org")])
    await vault.tokenize(BOB, [("PERSON", "Bob")])
    await vault.known_values(ALICE)
    assert await vault.erase(ALICE) == ScopeErasure(entries_deleted=2, key_destroyed=True)
    assert (
        await vault.restore(ALICE, "<PERSON_1> <EMAIL_ADDRESS_1>") == "<PERSON_1> <EMAIL_ADDRESS_1>"
    )
    assert len(await vault.known_values(ALICE)) == 0
    assert await vault.erase(ALICE) == ScopeErasure(entries_deleted=0, key_destroyed=False)
    assert await vault.erase(Scope("acme", "never-seen")) == ScopeErasure(0, False)
    assert await vault.restore(BOB, "<PERSON_1>") == "Bob"
    fresh_instance = Vault(engine, MASTER_KEY)
    assert await fresh_instance.restore(ALICE, "<PERSON_1>") == "<PERSON_1>"


async def test_numbering_never_restarts_after_erasure(vault: Vault) -> None:
    await vault.tokenize(ALICE, [("PERSON", "Ann"), ("PERSON", "Bea")])
    await vault.erase(ALICE)
    assert await vault.tokenize(ALICE, [("PERSON", "Cy"), ("PERSON", "Ann")]) == [
        "<PERSON_3>",
        "<PERSON_4>",
    ]
    assert await vault.restore(ALICE, "<PERSON_1> <PERSON_3>") == "<PERSON_1> Cy"


async def test_erasure_by_another_process_is_seen_after_the_cache_ttl(engine: Engine) -> None:
    worker_a = Vault(engine, MASTER_KEY, cache_ttl=0)
    worker_b = Vault(engine, MASTER_KEY, cache_ttl=0)
    await worker_a.tokenize(ALICE, [("PERSON", "Ann")])
    assert await worker_a.restore(ALICE, "<PERSON_1>") == "Ann"
    assert len(await worker_a.known_values(ALICE)) == 1
    await worker_b.erase(ALICE)
    assert await worker_a.restore(ALICE, "<PERSON_1>") == "<PERSON_1>"
    assert len(await worker_a.known_values(ALICE)) == 0
    await worker_b.tokenize(ALICE, [("PERSON", "Bea")])
    assert await worker_a.tokenize(ALICE, [("PERSON", "Bea"), ("PERSON", "Ann")]) == [
        "<PERSON_2>",
        "<PERSON_3>",
    ]


async def test_values_added_by_another_process_appear_in_known_values(engine: Engine) -> None:
    worker_a = Vault(engine, MASTER_KEY, cache_ttl=0)
    worker_b = Vault(engine, MASTER_KEY)
    await worker_a.tokenize(ALICE, [("PERSON", "Ann")])
    assert len(await worker_a.known_values(ALICE)) == 1
    await worker_b.tokenize(ALICE, [("PERSON", "Bea")])
    assert [token for *_, token in (await worker_a.known_values(ALICE)).find("Bea, Ann")] == [
        "<PERSON_2>",
        "<PERSON_1>",
    ]


async def test_a_different_master_key_finds_nothing(vault: Vault, engine: Engine) -> None:
    await vault.tokenize(ALICE, [("PERSON", "Ann")])
    intruder = Vault(engine, bytes(32))
    assert await intruder.restore(ALICE, "<PERSON_1>") == "<PERSON_1>"
    assert len(await intruder.known_values(ALICE)) == 0


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
        await Vault(engine, MASTER_KEY).restore(ALICE, "<PERSON_1>")


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
        await vault.restore(ALICE, "<PERSON_1>")
    assert await vault.restore(ALICE, "plain") == "plain"
