"""Property: restoring tokenized text gives back the original, in its own scope only."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.vault.conftest import restore
from vault import Scope, Vault, migrate
from vault.db import create_engine
from vault.normalise import normalise

MASTER_KEY = bytes(range(32))
TYPES = ["PERSON", "LOCATION", "EMAIL_ADDRESS", "PHONE_NUMBER", "IBAN_CODE", "CREDIT_CARD"]

# Filler never contains '<', so it cannot hold a token the scope issued;
# explicit token-shaped strings the scope never issued are mixed in instead.
filler = st.text(st.characters(blacklist_characters="<", blacklist_categories=["Cs"]), max_size=20)
unissued = st.builds("<{}_{}>".format, st.sampled_from(TYPES), st.integers(100, 10**6))
value = st.text(st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=25)
typed_values = st.lists(
    st.tuples(st.sampled_from(TYPES), value).filter(lambda tv: normalise(*tv) != ""),
    min_size=1,
    max_size=8,
    # Values that normalise alike share one token and restore as the first
    # spelling; here every value must come back exactly as written.
    unique_by=lambda tv: normalise(*tv),
)


@pytest.fixture(scope="module")
def vault(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Vault]:
    path: Path = tmp_path_factory.mktemp("vault") / "vault.db"
    engine = create_engine(f"sqlite:///{path}")
    migrate(engine)
    yield Vault(engine, MASTER_KEY)
    engine.dispose()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(values=typed_values, layout=st.lists(st.tuples(filler, st.integers(0, 7), unissued)))
def test_restore_inverts_tokenize(
    vault: Vault, values: list[tuple[str, str]], layout: list[tuple[str, int, str]]
) -> None:
    scope = Scope("acme", uuid.uuid4().hex)
    stranger = Scope("acme", uuid.uuid4().hex)

    async def check() -> None:
        tokens = await vault.tokenize(scope, values)
        original, tokenized = [], []
        for text, pick, foreign in [*layout, ("", 0, "")]:
            original += [text, foreign]
            tokenized += [text, foreign]
            if pick < len(values):
                original.append(values[pick][1])
                tokenized.append(tokens[pick])
        assert await restore(vault, scope, "".join(tokenized)) == "".join(original)
        assert await restore(vault, stranger, "".join(tokenized)) == "".join(tokenized)
        assert await vault.tokenize(scope, values) == tokens

    anyio.run(check)
