"""No plaintext at rest: grep the raw SQLite files for the values written."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from tests.unit.vault.conftest import MASTER_KEY, restore
from vault import Ledger, Scope, Vault, migrate
from vault.db import create_engine
from vault.tables import ScopeRow

pytestmark = pytest.mark.anyio

SUBJECT = "customer-7f3e-quixote"
VALUES = [
    ("PERSON", "Zebulon Quixote-Farnsworth"),
    ("EMAIL_ADDRESS", "zq.farnsworth@example.org"),
    ("PHONE_NUMBER", "+44 20 7946 0958"),
    ("IBAN_CODE", "GB82 WEST 1234 5698 7654 32"),
]


def _raw_bytes(db: Path) -> bytes:
    """The database file and its WAL and shared-memory companions, as stored."""
    return b"".join(
        path.read_bytes() for path in db.parent.iterdir() if path.name.startswith(db.name)
    )


def _needles(text: str) -> list[bytes]:
    forms = {text, text.lower(), text.upper(), "".join(text.split())}
    return [form.encode(encoding) for form in forms for encoding in ("utf-8", "utf-16-le")]


async def test_values_and_subject_ids_never_reach_the_file(tmp_path: Path) -> None:
    db = tmp_path / "vault.db"
    engine = create_engine(f"sqlite:///{db}")
    migrate(engine)
    scope = Scope("acme", SUBJECT)
    vault = Vault(engine, MASTER_KEY)
    tokens = await vault.tokenize(scope, VALUES)
    await Ledger(engine, MASTER_KEY).record(scope, "response", "resp_abc123")
    restored = await restore(Vault(engine, MASTER_KEY), scope, " ".join(tokens))
    assert restored == " ".join(value for _, value in VALUES)  # really stored, and readable
    raw = _raw_bytes(db)
    assert b"resp_abc123" in raw  # the grep sees what is there
    for text in [SUBJECT] + [value for _, value in VALUES]:
        for needle in _needles(text):
            assert needle not in raw, f"found a form of {text!r} in the database file"
    engine.dispose()


async def test_erasure_leaves_no_copy_of_the_wrapped_key(tmp_path: Path) -> None:
    db = tmp_path / "vault.db"
    engine = create_engine(f"sqlite:///{db}")
    migrate(engine)
    scope = Scope("acme", SUBJECT)
    vault = Vault(engine, MASTER_KEY)
    await vault.tokenize(scope, VALUES)
    with engine.connect() as conn:
        wrapped = conn.execute(select(ScopeRow.wrapped_key)).scalar_one()
    assert wrapped is not None and wrapped in _raw_bytes(db)
    await vault.erase(scope)
    assert wrapped not in _raw_bytes(db)
    engine.dispose()
