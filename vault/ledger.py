"""The resource ledger: which upstream object belongs to which data subject.

Every object the gateway creates upstream (a stored response, a thread, a file,
a vector store ...) is recorded with its owner's scope, so that reading it
later restores values in the owner's scope, another tenant's request for it
answers 404, and an erasure request can find and delete everything the
subject left upstream.

Rows find their owner by the same keyed subject hash the vault uses, never by
the subject id; the id itself is stored encrypted (associated data binds the
tenant and the upstream id), which is what lets :meth:`Ledger.owner` hand
back a whole :class:`~vault.scope.Scope`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, Row, delete, select

from vault.crypto import Keyring
from vault.db import insert_ignoring_conflict
from vault.scope import Scope
from vault.store import offload
from vault.tables import TYPE_LENGTH, UPSTREAM_ID_LENGTH, LedgerRow


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One upstream object and its owner. ``subject`` is the raw subject id,
    decrypted in memory for the caller; it is not stored in clear."""

    tenant: str
    subject: str
    kind: str
    upstream_id: str
    parent_id: str | None
    created_at: datetime

    @property
    def scope(self) -> Scope:
        return Scope(self.tenant, self.subject)


def _utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; they were written in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _check(kind: str, upstream_id: str, parent_id: str | None) -> None:
    if not kind or len(kind) > TYPE_LENGTH:
        raise ValueError(f"ledger kind must be 1..{TYPE_LENGTH} characters")
    for name, ident in (("upstream_id", upstream_id), ("parent_id", parent_id)):
        if ident is not None and not 0 < len(ident) <= UPSTREAM_ID_LENGTH:
            raise ValueError(f"{name} must be 1..{UPSTREAM_ID_LENGTH} characters")


class Ledger:
    """Upstream objects by owner. Needs the KEK for the subject hash and seal."""

    def __init__(self, engine: Engine, master_key: bytes) -> None:
        self._engine = engine
        self._keyring = Keyring(master_key)

    async def record(
        self, scope: Scope, kind: str, upstream_id: str, parent_id: str | None = None
    ) -> None:
        """Remember who owns ``upstream_id``; recording it again changes nothing."""
        _check(kind, upstream_id, parent_id)
        values = {
            "tenant": scope.tenant,
            "subject_hash": self._keyring.scope_hash(scope.tenant, scope.subject),
            "subject_sealed": self._keyring.seal_subject(scope.tenant, upstream_id, scope.subject),
            "kind": kind,
            "upstream_id": upstream_id,
            "parent_id": parent_id,
            "created_at": datetime.now(UTC),
        }
        await offload(self._insert, values)

    async def owner(self, tenant: str, upstream_id: str) -> LedgerEntry | None:
        """Who owns the object within ``tenant``; None when it is not this tenant's."""
        row = await offload(self._select_one, tenant, upstream_id)
        if row is None:
            return None
        subject = self._keyring.open_subject(tenant, upstream_id, row.subject_sealed)
        return self._entry(row, subject)

    async def objects(self, scope: Scope) -> list[LedgerEntry]:
        """Everything recorded for the scope, oldest first (parents before children)."""
        subject_hash = self._keyring.scope_hash(scope.tenant, scope.subject)
        rows = await offload(self._select_owned, scope.tenant, subject_hash)
        return [self._entry(row, scope.subject) for row in rows]

    async def forget(self, tenant: str, upstream_id: str) -> None:
        """Drop the record (the object is gone upstream); idempotent."""
        await offload(self._delete, tenant, upstream_id)

    # Worker-thread side ------------------------------------------------

    def _insert(self, values: dict[str, Any]) -> None:
        with self._engine.begin() as conn:
            stmt = insert_ignoring_conflict(conn, LedgerRow, values, ("tenant", "upstream_id"))
            conn.execute(stmt)

    def _select_one(self, tenant: str, upstream_id: str) -> Row[Any] | None:
        with self._engine.connect() as conn:
            return conn.execute(
                select(LedgerRow).where(
                    LedgerRow.tenant == tenant, LedgerRow.upstream_id == upstream_id
                )
            ).one_or_none()

    def _select_owned(self, tenant: str, subject_hash: str) -> list[Row[Any]]:
        with self._engine.connect() as conn:
            return list(
                conn.execute(
                    select(LedgerRow)
                    .where(LedgerRow.tenant == tenant, LedgerRow.subject_hash == subject_hash)
                    .order_by(LedgerRow.id)
                )
            )

    def _delete(self, tenant: str, upstream_id: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                delete(LedgerRow).where(
                    LedgerRow.tenant == tenant, LedgerRow.upstream_id == upstream_id
                )
            )

    @staticmethod
    def _entry(row: Row[Any], subject: str) -> LedgerEntry:
        return LedgerEntry(
            tenant=row.tenant,
            subject=subject,
            kind=row.kind,
            upstream_id=row.upstream_id,
            parent_id=row.parent_id,
            created_at=_utc(row.created_at),
        )
