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

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, Row, cast, delete, literal, select
from sqlalchemy.orm import aliased

from vault.crypto import Keyring
from vault.db import insert_ignoring_conflict
from vault.scope import Scope
from vault.store import offload
from vault.tables import TYPE_LENGTH, UPSTREAM_ID_LENGTH, LedgerRow

# Ids per IN (...) list: far under SQLite's 32,766 bound parameters and
# PostgreSQL's 65,535, and a listing page is at most a few hundred anyway.
IDS_PER_QUERY = 500


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
        await self.record_all(scope, [(kind, upstream_id, parent_id)])

    async def record_all(
        self, scope: Scope, objects: Sequence[tuple[str, str, str | None]]
    ) -> None:
        """``record`` for many ``(kind, upstream_id, parent_id)`` in one transaction.

        A stored response or a conversation listing brings one row per item;
        one commit (one fsync on SQLite) instead of one per item.
        """
        for kind, upstream_id, parent_id in objects:
            _check(kind, upstream_id, parent_id)
        subject_hash = self._keyring.scope_hash(scope.tenant, scope.subject)
        now = datetime.now(UTC)
        rows = [
            {
                "tenant": scope.tenant,
                "subject_hash": subject_hash,
                "subject_sealed": self._keyring.seal_subject(
                    scope.tenant, upstream_id, scope.subject
                ),
                "kind": kind,
                "upstream_id": upstream_id,
                "parent_id": parent_id,
                "created_at": now,
            }
            for kind, upstream_id, parent_id in objects
        ]
        if rows:
            await offload(self._insert, rows)

    async def owner(self, tenant: str, upstream_id: str) -> LedgerEntry | None:
        """Who owns the object within ``tenant``; None when it is not this tenant's."""
        row = await offload(self._select_one, tenant, upstream_id)
        if row is None:
            return None
        subject = self._keyring.open_subject(tenant, upstream_id, row.subject_sealed)
        return self._entry(row, subject)

    async def owned(self, tenant: str, upstream_ids: Sequence[str]) -> set[str]:
        """Which of ``upstream_ids`` belong to ``tenant``: one query per
        :data:`IDS_PER_QUERY` ids, for cutting a listing page down."""
        return await offload(self._select_owned_ids, tenant, list(upstream_ids))

    async def objects(self, scope: Scope) -> list[LedgerEntry]:
        """Everything recorded for the scope, oldest first (parents before children)."""
        subject_hash = self._keyring.scope_hash(scope.tenant, scope.subject)
        rows = await offload(self._select_owned, scope.tenant, subject_hash)
        return [self._entry(row, scope.subject) for row in rows]

    async def forget(self, tenant: str, upstream_id: str) -> None:
        """Drop the object's record and those of everything below it; idempotent.

        Deleting a thread, a vector store, a stored response or a conversation
        takes its messages, runs, attached files and items with it (or leaves
        them reachable by no path), so erasure must not chase them later.
        """
        await offload(self._delete, tenant, upstream_id)

    # Worker-thread side ------------------------------------------------

    def _insert(self, rows: list[dict[str, Any]]) -> None:
        with self._engine.begin() as conn:
            for values in rows:
                conn.execute(
                    insert_ignoring_conflict(conn, LedgerRow, values, ("tenant", "upstream_id"))
                )

    def _select_owned_ids(self, tenant: str, upstream_ids: list[str]) -> set[str]:
        found: set[str] = set()
        with self._engine.connect() as conn:
            for first in range(0, len(upstream_ids), IDS_PER_QUERY):
                chunk = upstream_ids[first : first + IDS_PER_QUERY]
                found.update(conn.scalars(
                    select(LedgerRow.upstream_id).where(
                        LedgerRow.tenant == tenant, LedgerRow.upstream_id.in_(chunk)
                    )
                ))
        return found

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
        """One statement: a recursive CTE walks ``parent_id`` down from the object.

        It starts from the id itself, not its row, so children whose parent
        was never recorded through this gateway go too. UNION (not UNION ALL)
        keeps each id once, so even a cycle of parents ends. Each step is an
        index lookup on (tenant, parent_id).
        """
        child = aliased(LedgerRow)
        start = cast(literal(upstream_id), LedgerRow.upstream_id.type)  # PostgreSQL: same type
        doomed = select(start.label("upstream_id")).cte("doomed", recursive=True)
        doomed = doomed.union(
            select(child.upstream_id).where(
                child.tenant == tenant, child.parent_id == doomed.c.upstream_id
            )
        )
        with self._engine.begin() as conn:
            conn.execute(
                delete(LedgerRow).where(
                    LedgerRow.tenant == tenant,
                    LedgerRow.upstream_id.in_(select(doomed.c.upstream_id)),
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
