"""Vault: typed tokens for personal values, kept encrypted per data-subject scope.

Nothing here imports ``gateway``; the gateway talks to the vault through the
names below and the pure helpers in :mod:`vault.tokens`. The database engine
all packages share comes from :func:`vault.db.create_engine`.
"""

from vault.errors import InvalidMasterKey, VaultCorrupted, VaultError, VaultUnavailable
from vault.ledger import Ledger, LedgerEntry
from vault.matcher import KnownValues
from vault.schema import migrate
from vault.scope import Scope, ScopeErasure
from vault.service import Vault

__all__ = [
    "InvalidMasterKey",
    "KnownValues",
    "Ledger",
    "LedgerEntry",
    "Scope",
    "ScopeErasure",
    "Vault",
    "VaultCorrupted",
    "VaultError",
    "VaultUnavailable",
    "migrate",
]
