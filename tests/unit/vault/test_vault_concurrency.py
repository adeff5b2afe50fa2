"""Token allocation under concurrent requests and several processes."""

from __future__ import annotations

from collections.abc import Iterator

import anyio
import pytest
from sqlalchemy import Engine, func, select

from tests.unit.vault.conftest import MASTER_KEY, restore
from vault import Scope, Vault
from vault.db import create_engine
from vault.tables import EntryRow

pytestmark = pytest.mark.anyio

SCOPE = Scope("acme", "alice")


@pytest.fixture
def second_engine(db_url: str, engine: Engine) -> Iterator[Engine]:
    """Another engine on the same database: what a second process would have."""
    other = create_engine(db_url)
    yield other
    other.dispose()


def _entry_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(EntryRow)).scalar_one()


async def _tokenize_all(calls: list[tuple[Vault, list[tuple[str, str]]]]) -> list[list[str]]:
    results: list[list[str]] = [[] for _ in calls]

    async def one(i: int, vault: Vault, items: list[tuple[str, str]]) -> None:
        results[i] = await vault.tokenize(SCOPE, items)

    async with anyio.create_task_group() as group:
        for i, (vault, items) in enumerate(calls):
            group.start_soon(one, i, vault, items)
    return results


async def test_twenty_concurrent_requests_for_one_new_value_get_one_token(
    vault: Vault, engine: Engine
) -> None:
    results = await _tokenize_all([(vault, [("PERSON", "Jane Roe")])] * 20)
    assert {tuple(r) for r in results} == {("<PERSON_1>",)}
    assert _entry_count(engine) == 1


async def test_two_processes_agree_on_every_token(engine: Engine, second_engine: Engine) -> None:
    first, second = Vault(engine, MASTER_KEY), Vault(second_engine, MASTER_KEY)
    names = [f"Person {i}" for i in range(12)]
    calls = []
    for i in range(10):
        vault = first if i % 2 else second
        items = [("PERSON", name) for name in names[i % 3 :: 2]] + [("EMAIL_ADDRESS", "a@x.org")]
        calls.append((vault, items))
    results = await _tokenize_all(calls)
    token_of: dict[str, str] = {}
    for (_, items), tokens in zip(calls, results, strict=True):
        for (_, value), token in zip(items, tokens, strict=True):
            assert token_of.setdefault(value, token) == token
    person_tokens = sorted(t for v, t in token_of.items() if v.startswith("Person"))
    assert len(set(person_tokens)) == len(person_tokens)
    assert sorted(person_tokens) == sorted(
        f"<PERSON_{i}>" for i in range(1, len(person_tokens) + 1)
    )
    assert _entry_count(engine) == len(token_of)
    restored = await restore(second, SCOPE, " ".join(token_of.values()))
    assert restored == " ".join(token_of)
