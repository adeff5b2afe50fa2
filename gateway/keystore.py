"""Gateway keys: who may call the gateway, for which tenant, in which role.

A key is shown once at creation (``pgk_<id>_<secret>``) and stored only as the
SHA-256 of its secret: the secret is 256 random bits, so a fast hash is enough
and a slow KDF would only add latency to every request. The upstream provider
key is the gateway's own and never appears here or in a response.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import DateTime, Engine, String, Table, insert, select, text, update
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from vault.db import is_postgresql, write_transaction

VERSION_TABLE = "alembic_version_gateway"
_MIGRATION_LOCK_KEY = int.from_bytes(
    hashlib.sha256(b"piigate.gateway.migrate").digest()[:8], "big", signed=True)
KEY_PREFIX = "pgk"


class Role(StrEnum):
    APP = "app"                # proxied API calls
    COMPLIANCE = "compliance"  # audit export, erasure requests, reports
    ADMIN = "admin"            # everything a compliance key may do, plus key management


class Base(DeclarativeBase):
    pass


class GatewayKeyRow(Base):
    __tablename__ = "gateway_keys"

    key_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    secret_sha256: Mapped[str] = mapped_column(String(64))
    tenant: Mapped[str] = mapped_column(String(128), index=True)
    role: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


_TABLE: Table = GatewayKeyRow.__table__  # type: ignore[assignment]  # declarative tables are Tables


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller behind a valid gateway key."""

    key_id: str
    tenant: str
    role: Role

    @property
    def default_subject(self) -> str:
        return f"key:{self.key_id}"


@dataclass(frozen=True, slots=True)
class IssuedKey:
    principal: Principal
    secret: str  # the full key, shown once


def migrate(engine: Engine) -> None:
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
    with write_transaction(engine) as conn:
        if is_postgresql(engine):
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                         {"key": _MIGRATION_LOCK_KEY})
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class KeyStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def create(self, tenant: str, role: Role = Role.APP, label: str = "") -> IssuedKey:
        if not tenant or len(tenant) > 128:
            raise ValueError("tenant must be 1 to 128 characters")
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        full = f"{KEY_PREFIX}_{key_id}_{secret}"
        row = GatewayKeyRow(key_id=key_id, secret_sha256=_digest(full), tenant=tenant,
                            role=role.value, label=label, created_at=datetime.now(UTC))
        with write_transaction(self._engine) as conn:
            conn.execute(insert(_TABLE).values(
                {c.name: getattr(row, c.name) for c in _TABLE.columns}))
        return IssuedKey(Principal(key_id, tenant, role), full)

    def authenticate(self, presented: str) -> Principal | None:
        parts = presented.split("_", 2)
        if len(parts) != 3 or parts[0] != KEY_PREFIX:
            return None
        table = _TABLE
        with self._engine.connect() as conn:
            row = conn.execute(select(table).where(table.c.key_id == parts[1])).first()
        if row is None or row.revoked_at is not None:
            return None
        if not hmac.compare_digest(row.secret_sha256, _digest(presented)):
            return None
        return Principal(row.key_id, row.tenant, Role(row.role))

    def revoke(self, key_id: str) -> bool:
        table = _TABLE
        with write_transaction(self._engine) as conn:
            result = conn.execute(update(table).where(
                table.c.key_id == key_id, table.c.revoked_at.is_(None)).values(
                revoked_at=datetime.now(UTC)))
        return result.rowcount > 0

    def list(self) -> list[GatewayKeyRow]:
        table = _TABLE
        with self._engine.connect() as conn:
            rows = conn.execute(select(table).order_by(table.c.created_at)).all()
        return [GatewayKeyRow(**row._mapping) for row in rows]
