"""Records, engines and a naive RFC 9162 reference for the audit tests."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

import audit
from audit.hashing import EMPTY_ROOT, node_hash
from audit.records import AuditRecord
from vault.db import create_engine

ORIGIN = "piigate.test/audit"
TENANTS = ("acme", "globex")


def record(i: int = 0, **changes: Any) -> AuditRecord:
    """A plausible call record; ``i`` varies everything that may vary."""
    fields: dict[str, Any] = {
        "time": f"2025-03-{1 + i % 28:02d}T10:{i % 60:02d}:00.{i % 1000:03d}Z",
        "request_id": f"req-{i}",
        "kind": "call",
        "key_id": f"key-{i % 3}",
        "tenant": TENANTS[i % 2],
        "subject": f"psn_subject{i % 5}",
        "method": "POST",
        "path": "/v1/chat/completions",
        "model": "gpt-4o-mini",
        "status": 200,
        "latency_ms": 12.5 + i,
        "usage": {"prompt_tokens": 10 + i, "completion_tokens": 5},
        "entities": {"PERSON": i % 3, "EMAIL_ADDRESS": 1},
        "actions": {"tokenized": 2},
        "objects": [f"resp_{i}"],
        "detail": {},
    }
    fields.update(changes)
    return AuditRecord(**fields)


def sqlite_engine(path: Path) -> Engine:
    engine = create_engine(f"sqlite:///{path}")
    audit.migrate(engine)
    return engine


def pg_engine(url: str) -> Engine:
    engine = create_engine(url)
    audit.migrate(engine)
    return engine


def mth(leaves: Sequence[bytes]) -> bytes:
    """RFC 9162 section 2.1.1, literally."""
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def path(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """RFC 9162 section 2.1.3.1 PATH(m, D[n]), literally."""
    if len(leaves) <= 1:
        return []
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    if index < k:
        return [*path(index, leaves[:k]), mth(leaves[k:])]
    return [*path(index - k, leaves[k:]), mth(leaves[:k])]


def proof(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    """RFC 9162 section 2.1.4.1 PROOF(m, D[n]), literally."""
    return _subproof(m, leaves, True)


def _subproof(m: int, leaves: Sequence[bytes], whole: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if whole else [mth(leaves)]
    k = 1 << ((n - 1).bit_length() - 1)
    if m <= k:
        return [*_subproof(m, leaves[:k], whole), mth(leaves[k:])]
    return [*_subproof(m - k, leaves[k:], False), mth(leaves[:k])]
