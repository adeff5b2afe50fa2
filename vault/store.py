"""The vault's storage work: synchronous, one transaction per method.

Runs in worker threads (the service hands it to ``anyio.to_thread``). Values
cross this module only in memory: what reaches the database is ciphertext,
blind indexes and keyed hashes. Allocation of new tokens is serialised per
scope by locking the scope's row (``SELECT ... FOR UPDATE`` on PostgreSQL,
``BEGIN IMMEDIATE`` on SQLite), and the unique constraints on
(scope, blind index) and (scope, token) stand behind that lock.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any, ParamSpec, TypeVar

import anyio.to_thread
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Connection, Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.sql.elements import ColumnElement

from vault.crypto import Keyring, open_value, seal_value
from vault.db import (
    SQLITE_BUSY_TIMEOUT_MS,
    insert_ignoring_conflict,
    is_sqlite,
    write_transaction,
)
from vault.errors import VaultUnavailable
from vault.scope import Scope, ScopeErasure
from vault.tables import CounterRow, EntryRow, ScopeRow
from vault.tokens import format_token

# Races the row lock should prevent, retried as a backstop: a lost insert race,
# a PostgreSQL serialization failure or deadlock, an SQLite lock timeout.
_ATTEMPTS = 3
_TRANSIENT_SQLSTATES = frozenset({"40001", "40P01"})
_CHECKPOINT_WAIT_MS = 200

P = ParamSpec("P")
T = TypeVar("T")


async def offload(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run storage work in a worker thread; any database failure is VaultUnavailable."""
    try:
        return await anyio.to_thread.run_sync(partial(fn, *args, **kwargs))
    except SQLAlchemyError as exc:
        raise VaultUnavailable(f"vault storage failed ({type(exc).__name__})") from exc


@dataclass(frozen=True, slots=True)
class ScopeKey:
    """A scope's row and its unwrapped data key, valid for one generation."""

    scope_id: int
    generation: int
    dek: AESGCM


def same_key(a: ScopeKey | None, b: ScopeKey | None) -> bool:
    """Whether two reads saw the same data key (None: the scope had none)."""
    if a is None or b is None:
        return a is b
    return (a.scope_id, a.generation) == (b.scope_id, b.generation)


@dataclass(frozen=True, slots=True)
class _ScopeRecord:
    id: int
    generation: int
    wrapped_key: bytes | None  # None: erased, no key until the next value arrives


@dataclass(frozen=True, slots=True)
class NewValue:
    entity_type: str
    value: str
    blind_index: bytes


@dataclass(frozen=True, slots=True)
class StoredEntry:
    id: int  # entries only grow: the highest id seen says what is new since
    token: str
    entity_type: str
    value: str  # as first stored: the spelling a restored token shows
    blind_index: bytes


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A scope's key (None: nothing stored, or erased) and the entries asked for.

    ``complete``: the entries are all the scope holds under that key, not only
    the ones asked for or added since.
    """

    key: ScopeKey | None
    entries: list[StoredEntry]
    complete: bool = False


def _now() -> datetime:
    return datetime.now(UTC)


def _transient(exc: Exception) -> bool:
    if isinstance(exc, IntegrityError):
        return True
    orig = getattr(exc, "orig", None)
    if getattr(orig, "sqlstate", None) in _TRANSIENT_SQLSTATES:
        return True
    return "database is locked" in str(orig)


class VaultStore:
    __slots__ = ("_engine", "_keyring")

    _SCOPE_KEY = ("tenant", "subject_hash")

    def __init__(self, engine: Engine, keyring: Keyring) -> None:
        self._engine = engine
        self._keyring = keyring

    # Reading -----------------------------------------------------------

    def refresh(self, scope: Scope, known: ScopeKey | None, after_id: int) -> Snapshot:
        """The scope's current key and what changed since a caller last looked.

        ``known`` and ``after_id`` are what the caller holds: when the scope
        still has that key, only entries newer than ``after_id`` are read
        (usually none: one indexed query); when the key changed (erased,
        re-keyed) or the caller holds nothing, every entry is read again and
        the snapshot says it is ``complete``.
        """
        with self._engine.connect() as conn, conn.begin():
            row = self._scope_row(conn, scope, lock=False)
            if row is None or row.wrapped_key is None:
                return Snapshot(None, [], complete=True)
            if known is not None and (known.scope_id, known.generation) == (row.id, row.generation):
                newer = self._entries(conn, scope, known, EntryRow.id > after_id)
                return Snapshot(known, newer, complete=False)
            key = self._unwrap(scope, row, row.wrapped_key)
            return Snapshot(key, self._entries(conn, scope, key, None), complete=True)

    # Writing -----------------------------------------------------------

    def store(self, scope: Scope, values: Sequence[NewValue]) -> Snapshot:
        """Find or create an entry for each value; returns one entry per value."""
        attempt = 1
        while True:
            try:
                return self._store_once(scope, values)
            except (IntegrityError, OperationalError) as exc:
                if attempt >= _ATTEMPTS or not _transient(exc):
                    raise
                attempt += 1

    def _store_once(self, scope: Scope, values: Sequence[NewValue]) -> Snapshot:
        with write_transaction(self._engine) as conn:
            key = self._ensure_key(conn, scope)
            wanted = [value.blind_index for value in values]
            found = self._entries(conn, scope, key, EntryRow.blind_index.in_(wanted))
            existing = {entry.blind_index for entry in found}
            fresh = [value for value in values if value.blind_index not in existing]
            return Snapshot(key, found + self._allocate(conn, scope, key, fresh))

    def erase(self, scope: Scope) -> ScopeErasure:
        """Delete the scope's entries and destroy its data key (crypto-shred)."""
        with write_transaction(self._engine) as conn:
            row = self._scope_row(conn, scope, lock=True)
            if row is None:
                return ScopeErasure(entries_deleted=0, key_destroyed=False)
            result = conn.execute(delete(EntryRow).where(EntryRow.scope_id == row.id))
            destroyed = row.wrapped_key is not None
            if destroyed:
                conn.execute(
                    update(ScopeRow)
                    .where(ScopeRow.id == row.id)
                    .values(wrapped_key=None, erased_at=_now())
                )
        if is_sqlite(self._engine):
            self._truncate_wal()
        return ScopeErasure(entries_deleted=result.rowcount, key_destroyed=destroyed)

    # Helpers -----------------------------------------------------------

    def _scope_row(self, conn: Connection, scope: Scope, *, lock: bool) -> _ScopeRecord | None:
        stmt = select(ScopeRow.id, ScopeRow.generation, ScopeRow.wrapped_key).where(
            ScopeRow.tenant == scope.tenant,
            ScopeRow.subject_hash == self._keyring.scope_hash(scope.tenant, scope.subject),
        )
        if lock:
            stmt = stmt.with_for_update()
        row = conn.execute(stmt).one_or_none()
        return None if row is None else _ScopeRecord(row.id, row.generation, row.wrapped_key)

    def _unwrap(self, scope: Scope, row: _ScopeRecord, wrapped: bytes) -> ScopeKey:
        dek = self._keyring.unwrap_data_key(wrapped, scope.tenant, scope.subject, row.generation)
        return ScopeKey(row.id, row.generation, dek)

    def _ensure_key(self, conn: Connection, scope: Scope) -> ScopeKey:
        """Lock the scope's row, creating it or giving it a new data key if needed."""
        row = self._scope_row(conn, scope, lock=True)
        if row is None:
            values = {
                "tenant": scope.tenant,
                "subject_hash": self._keyring.scope_hash(scope.tenant, scope.subject),
                "generation": 1,
                "wrapped_key": self._new_key(scope, 1)[1],
                "created_at": _now(),
            }
            conn.execute(insert_ignoring_conflict(conn, ScopeRow, values, self._SCOPE_KEY))
            row = self._scope_row(conn, scope, lock=True)
            if row is None:
                raise VaultUnavailable("the scope row vanished while being created")
        if row.wrapped_key is not None:
            return self._unwrap(scope, row, row.wrapped_key)
        generation = row.generation + 1  # the scope was erased: a new key, never the old one
        dek, wrapped = self._new_key(scope, generation)
        conn.execute(
            update(ScopeRow)
            .where(ScopeRow.id == row.id)
            .values(wrapped_key=wrapped, generation=generation, erased_at=None)
        )
        return ScopeKey(row.id, generation, AESGCM(dek))

    def _new_key(self, scope: Scope, generation: int) -> tuple[bytes, bytes]:
        """A fresh data key and its wrapped form, bound to this scope and generation."""
        dek = Keyring.new_data_key()
        return dek, self._keyring.wrap_data_key(dek, scope.tenant, scope.subject, generation)

    def _entries(
        self,
        conn: Connection,
        scope: Scope,
        key: ScopeKey,
        where: ColumnElement[bool] | None,
    ) -> list[StoredEntry]:
        stmt = select(
            EntryRow.id,
            EntryRow.token,
            EntryRow.entity_type,
            EntryRow.blind_index,
            EntryRow.ciphertext,
        ).where(EntryRow.scope_id == key.scope_id)
        if where is not None:
            stmt = stmt.where(where)
        return [
            StoredEntry(
                id=row.id,
                token=row.token,
                entity_type=row.entity_type,
                value=open_value(key.dek, scope.tenant, scope.subject, row.token, row.ciphertext),
                blind_index=row.blind_index,
            )
            for row in conn.execute(stmt.order_by(EntryRow.id))
        ]

    def _allocate(
        self, conn: Connection, scope: Scope, key: ScopeKey, fresh: list[NewValue]
    ) -> list[StoredEntry]:
        """Number new values per entity type, encrypt and insert them."""
        if not fresh:
            return []
        types = sorted({value.entity_type for value in fresh})
        last = dict(
            conn.execute(
                select(CounterRow.entity_type, CounterRow.last_index).where(
                    CounterRow.scope_id == key.scope_id, CounterRow.entity_type.in_(types)
                )
            )
            .tuples()
            .all()
        )
        counted = set(last)
        rows: list[dict[str, Any]] = []
        now = _now()
        for value in fresh:
            index = last.get(value.entity_type, 0) + 1
            last[value.entity_type] = index
            token = format_token(value.entity_type, index)
            sealed = seal_value(key.dek, scope.tenant, scope.subject, token, value.value)
            rows.append(
                {
                    "scope_id": key.scope_id,
                    "entity_type": value.entity_type,
                    "token": token,
                    "blind_index": value.blind_index,
                    "ciphertext": sealed,
                    "created_at": now,
                }
            )
        ids = conn.execute(
            insert(EntryRow).returning(EntryRow.id, sort_by_parameter_order=True), rows
        ).scalars().all()
        created = [
            StoredEntry(entry_id, row["token"], value.entity_type, value.value, value.blind_index)
            for entry_id, row, value in zip(ids, rows, fresh, strict=True)
        ]
        for entity_type in types:
            self._save_counter(
                conn, key.scope_id, entity_type, last[entity_type], entity_type in counted
            )
        return created

    @staticmethod
    def _save_counter(
        conn: Connection, scope_id: int, entity_type: str, index: int, exists: bool
    ) -> None:
        if exists:
            conn.execute(
                update(CounterRow)
                .where(CounterRow.scope_id == scope_id, CounterRow.entity_type == entity_type)
                .values(last_index=index)
            )
        else:
            conn.execute(
                insert(CounterRow).values(
                    scope_id=scope_id, entity_type=entity_type, last_index=index
                )
            )

    def _truncate_wal(self) -> None:
        """Drop WAL frames that may still hold the destroyed key's bytes.

        Best effort, and brief: with a reader still on an old snapshot SQLite
        cannot truncate now, and it overwrites those frames on a later
        checkpoint anyway; the erasure itself is already committed.
        """
        raw = self._engine.raw_connection()
        try:
            cursor = raw.cursor()
            try:
                cursor.execute(f"PRAGMA busy_timeout={_CHECKPOINT_WAIT_MS}")
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except self._engine.dialect.loaded_dbapi.Error:
                pass  # see the docstring: a later checkpoint does the same
            finally:
                cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
                cursor.close()
        finally:
            raw.close()
