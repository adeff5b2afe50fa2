"""Gateway-key authentication and role checks.

Valid keys are cached in memory for a short time (by the SHA-256 of the key,
never the key) so the hot path does not read the database on every request;
a revoked key stops working within ``CACHE_SECONDS``.
"""

from __future__ import annotations

import hashlib
import time

import anyio

from .errors import Forbidden, Unauthorized
from .keystore import KeyStore, Principal, Role

CACHE_SECONDS = 30.0
_CACHE_LIMIT = 10_000


class PrincipalCache:
    def __init__(self) -> None:
        self._entries: dict[bytes, tuple[float, Principal]] = {}

    def get(self, digest: bytes) -> Principal | None:
        entry = self._entries.get(digest)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, digest: bytes, principal: Principal) -> None:
        if len(self._entries) >= _CACHE_LIMIT:
            self._entries.clear()
        self._entries[digest] = (time.monotonic() + CACHE_SECONDS, principal)

    def clear(self) -> None:
        self._entries.clear()


def bearer_token(authorization: str | None) -> str | None:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def authenticate(keys: KeyStore, cache: PrincipalCache, authorization: str | None
                       ) -> Principal:
    """The caller behind an ``Authorization: Bearer <gateway key>`` header, or 401."""
    token = bearer_token(authorization)
    if token is None:
        raise Unauthorized("missing gateway key: send it as 'Authorization: Bearer <key>'")
    digest = hashlib.sha256(token.encode()).digest()
    principal = cache.get(digest)
    if principal is None:
        principal = await anyio.to_thread.run_sync(keys.authenticate, token)
        if principal is None:
            raise Unauthorized("invalid gateway key")
        cache.put(digest, principal)
    return principal


def require_role(principal: Principal, *roles: Role) -> Principal:
    """``principal`` if its role is one of ``roles`` (an admin may do anything), else 403."""
    if principal.role not in roles and principal.role is not Role.ADMIN:
        raise Forbidden(f"this endpoint needs a key with role {' or '.join(roles)}",
                        code="insufficient_role")
    return principal
