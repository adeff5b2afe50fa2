"""The names the vault's callers pass around: a scope and the result of erasing one."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose values these are: a tenant and a data subject within it.

    The subject is opaque to the vault (the gateway names default scopes) and
    may itself be personal, so it is never stored: only a keyed hash is.
    """

    tenant: str
    subject: str


@dataclass(frozen=True, slots=True)
class ScopeErasure:
    """What erasing a scope did; both zero/False when it was already erased."""

    entries_deleted: int
    key_destroyed: bool
