"""The vault's tables (SQLAlchemy 2 declarative models).

The schema itself is created by the Alembic migrations in ``vault/migrations``;
these models are what the code queries with and what a new migration is
compared against. What each table holds, and what it deliberately does not:

- ``vault_scopes``: one row per (tenant, subject). The subject is stored only
  as a keyed hash; the data key only wrapped by the KEK. Erasure sets the
  wrapped key to NULL (crypto-shred) and keeps the row, so token numbering
  never restarts and an old token can never name a new value.
- ``vault_counters``: the last token index per (scope, entity type).
- ``vault_entries``: token, type, AES-GCM ciphertext of the value and its
  blind index. No plaintext.
- ``vault_ledger``: upstream objects created through the gateway, found by
  (tenant, upstream id) or by the owner's keyed subject hash. The subject id
  itself is kept only encrypted, so reading an object can restore in its
  owner's scope.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# SQLite only auto-increments an INTEGER PRIMARY KEY.
BIG_ID = BigInteger().with_variant(Integer(), "sqlite")
TENANT_LENGTH = 255
TYPE_LENGTH = 64
UPSTREAM_ID_LENGTH = 255

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s_%(column_1_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class ScopeRow(Base):
    __tablename__ = "vault_scopes"
    __table_args__ = (UniqueConstraint("tenant", "subject_hash"),)

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    tenant: Mapped[str] = mapped_column(String(TENANT_LENGTH))
    subject_hash: Mapped[str] = mapped_column(String(64))
    generation: Mapped[int] = mapped_column(Integer)
    wrapped_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    erased_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CounterRow(Base):
    __tablename__ = "vault_counters"

    scope_id: Mapped[int] = mapped_column(
        BIG_ID, ForeignKey("vault_scopes.id", ondelete="CASCADE"), primary_key=True
    )
    entity_type: Mapped[str] = mapped_column(String(TYPE_LENGTH), primary_key=True)
    last_index: Mapped[int] = mapped_column(Integer)


class EntryRow(Base):
    __tablename__ = "vault_entries"
    __table_args__ = (
        UniqueConstraint("scope_id", "blind_index"),
        UniqueConstraint("scope_id", "token"),
        Index("ix_vault_entries_scope_id_id", "scope_id", "id"),  # Vault.open's freshness check
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    scope_id: Mapped[int] = mapped_column(BIG_ID, ForeignKey("vault_scopes.id", ondelete="CASCADE"))
    entity_type: Mapped[str] = mapped_column(String(TYPE_LENGTH))
    token: Mapped[str] = mapped_column(String(TYPE_LENGTH))
    blind_index: Mapped[bytes] = mapped_column(LargeBinary(32))
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LedgerRow(Base):
    __tablename__ = "vault_ledger"
    __table_args__ = (
        UniqueConstraint("tenant", "upstream_id"),
        Index("ix_vault_ledger_owner", "tenant", "subject_hash"),
        Index("ix_vault_ledger_parent", "tenant", "parent_id"),  # Ledger.forget's walk
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    tenant: Mapped[str] = mapped_column(String(TENANT_LENGTH))
    subject_hash: Mapped[str] = mapped_column(String(64))
    subject_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    kind: Mapped[str] = mapped_column(String(TYPE_LENGTH))
    upstream_id: Mapped[str] = mapped_column(String(UPSTREAM_ID_LENGTH))
    parent_id: Mapped[str | None] = mapped_column(String(UPSTREAM_ID_LENGTH))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
