"""Gateway-key authentication and role checks.

Valid keys are cached in memory for a short time (by the SHA-256 of the key,
never the key) so the hot path does not read the database on every request;
a revoked key stops working within ``CACHE_SECONDS``.
"""

from __future__ import annotations

import hashlib
import time
from typing import TYPE_CHECKING

import anyio
from starlette.requests import Request

from .errors import Forbidden, Unauthorized
from .keystore import Principal, Role

if TYPE_CHECKING:
    from .services import Services

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


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def authenticate(services: Services, request: Request) -> Principal:
    token = bearer_token(request)
    if token is None:
        raise Unauthorized("missing gateway key: send it as 'Authorization: Bearer <key>'")
    digest = hashlib.sha256(token.encode()).digest()
    principal = services.principals.get(digest)
    if principal is None:
        principal = await anyio.to_thread.run_sync(services.keys.authenticate, token)
        if principal is None:
            raise Unauthorized("invalid gateway key")
        services.principals.put(digest, principal)
    return principal


async def require_role(services: Services, request: Request, *roles: Role) -> Principal:
    principal = await authenticate(services, request)
    if principal.role not in roles and principal.role is not Role.ADMIN:
        raise Forbidden(f"this endpoint needs a key with role {' or '.join(roles)}",
                        code="insufficient_role")
    return principal
