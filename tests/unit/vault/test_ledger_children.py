"""Forgetting a parent forgets everything below it, and nothing else (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, inspect

from vault import Ledger, Scope

pytestmark = pytest.mark.anyio

ALICE = Scope("acme", "alice")
BOB = Scope("acme", "bob")
GLOBEX = Scope("globex", "alice")


async def ids(ledger: Ledger, scope: Scope) -> set[str]:
    return {entry.upstream_id for entry in await ledger.objects(scope)}


async def test_forgetting_a_parent_forgets_children_and_grandchildren_only(
        ledger: Ledger) -> None:
    await ledger.record(ALICE, "conversation", "conv_1")
    await ledger.record(ALICE, "conversation_item", "msg_1", "conv_1")
    await ledger.record(ALICE, "conversation_item", "msg_2", "conv_1")
    await ledger.record(BOB, "conversation_item", "msg_bob", "conv_1")  # another subject's
    await ledger.record(ALICE, "grandchild", "part_1", "msg_1")
    await ledger.record(ALICE, "great_grandchild", "part_1a", "part_1")
    await ledger.record(ALICE, "conversation", "conv_2")                 # a sibling tree
    await ledger.record(ALICE, "conversation_item", "msg_3", "conv_2")
    await ledger.record(ALICE, "response", "resp_1")                    # no parent at all
    await ledger.record(GLOBEX, "conversation_item", "msg_9", "conv_1")  # same parent id,
    await ledger.record(GLOBEX, "conversation", "conv_1")                # other tenant

    await ledger.forget("acme", "conv_1")

    assert await ids(ledger, ALICE) == {"conv_2", "msg_3", "resp_1"}
    assert await ids(ledger, BOB) == set()
    assert await ids(ledger, GLOBEX) == {"conv_1", "msg_9"}
    await ledger.forget("acme", "conv_1")  # idempotent
    assert await ids(ledger, ALICE) == {"conv_2", "msg_3", "resp_1"}


async def test_forgetting_a_child_leaves_its_parent_and_siblings(ledger: Ledger) -> None:
    await ledger.record(ALICE, "thread", "thread_1")
    await ledger.record(ALICE, "message", "msg_1", "thread_1")
    await ledger.record(ALICE, "message", "msg_2", "thread_1")
    await ledger.record(ALICE, "run", "run_1", "thread_1")
    await ledger.forget("acme", "msg_1")
    assert await ids(ledger, ALICE) == {"thread_1", "msg_2", "run_1"}


async def test_children_of_an_unrecorded_parent_are_forgotten_with_it(ledger: Ledger) -> None:
    await ledger.record(ALICE, "conversation_item", "msg_1", "conv_unrecorded")
    await ledger.record(ALICE, "part", "part_1", "msg_1")
    await ledger.record(ALICE, "file", "file_1")
    await ledger.forget("acme", "conv_unrecorded")
    assert await ids(ledger, ALICE) == {"file_1"}


async def test_a_cycle_of_parents_ends(ledger: Ledger) -> None:
    await ledger.record(ALICE, "a", "x_1", "x_2")
    await ledger.record(ALICE, "a", "x_2", "x_1")
    await ledger.record(ALICE, "a", "x_3", "x_2")
    await ledger.record(ALICE, "a", "other", None)
    await ledger.forget("acme", "x_1")
    assert await ids(ledger, ALICE) == {"other"}


def test_children_are_found_by_an_index(engine: Engine) -> None:
    indexes = {index["name"]: index["column_names"]
               for index in inspect(engine).get_indexes("vault_ledger")}
    assert indexes["ix_vault_ledger_parent"] == ["tenant", "parent_id"]


# A forest of up to 12 objects: each names an earlier one (or none) as parent.
forests = st.integers(min_value=1, max_value=12).flatmap(lambda size: st.tuples(
    st.tuples(*[st.none() | st.integers(0, index - 1) if index else st.none()
                for index in range(size)]),
    st.integers(0, size - 1)))


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(forest=forests)
async def test_forget_removes_exactly_the_subtree(ledger: Ledger,
                                                  forest: tuple[tuple[int | None, ...], int]
                                                  ) -> None:
    parents, root = forest
    prefix = f"t{abs(hash(forest))}_"  # the ledger persists across examples
    for index, parent in enumerate(parents):
        await ledger.record(ALICE, "obj", f"{prefix}{index}",
                            None if parent is None else f"{prefix}{parent}")
    subtree = {root}
    for index, parent in enumerate(parents):  # parents come before their children
        if parent in subtree:
            subtree.add(index)
    await ledger.forget("acme", f"{prefix}{root}")
    left = {object_id for object_id in await ids(ledger, ALICE) if object_id.startswith(prefix)}
    assert left == {f"{prefix}{index}" for index in range(len(parents)) if index not in subtree}
    for index in range(len(parents)):
        await ledger.forget("acme", f"{prefix}{index}")
