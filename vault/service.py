"""The Vault: tokenize values per scope, restore tokens, erase a scope.

The async methods are the gateway's interface (docs/INTERFACES.md). Database
work runs in worker threads (:mod:`vault.store`); caching happens here, on the
event loop, so that the common cases cost no thread hop and no query: a value
the scope already tokenized, a token it already restored, text without tokens.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from functools import partial

from sqlalchemy import Engine

from vault.cache import LRU, ScopeCache
from vault.crypto import Keyring
from vault.matcher import KnownValue, KnownValues
from vault.normalise import normalise
from vault.scope import Scope, ScopeErasure
from vault.store import NewValue, Snapshot, StoredEntry, VaultStore, offload, same_key
from vault.tokens import find_tokens, format_token

DEFAULT_CACHE_SCOPES = 1024
DEFAULT_CACHE_VALUES = 4096
DEFAULT_CACHE_TTL = 5.0


class Vault:
    """Typed tokens for personal values, kept encrypted per scope.

    ``engine`` should come from :func:`vault.db.create_engine`: on SQLite the
    race-free allocation relies on the transactions it configures.
    ``cache_ttl`` (seconds) is how long this process trusts what it cached
    about a scope without asking the database again; it bounds how long an
    erasure done by another process, or values another process added, stay
    unseen here. Erasures done through this instance take effect at once.
    """

    def __init__(
        self,
        engine: Engine,
        master_key: bytes,
        *,
        cache_scopes: int = DEFAULT_CACHE_SCOPES,
        cache_values: int = DEFAULT_CACHE_VALUES,
        cache_ttl: float = DEFAULT_CACHE_TTL,
    ) -> None:
        self._keyring = Keyring(master_key)
        self._store = VaultStore(engine, self._keyring)
        self._scopes: LRU[Scope, ScopeCache] = LRU(cache_scopes)
        self._cache_values = cache_values
        self._ttl = cache_ttl
        # Bumped by erase(): results of database work begun before an erasure
        # must not refill the caches it just emptied.
        self._epoch = 0

    def pseudonym(self, tenant: str, value: str) -> str:
        """Keyed, stable, not reversible: ``psn_`` + 24 base32 characters."""
        return self._keyring.pseudonym(tenant, value)

    async def tokenize(self, scope: Scope, items: Sequence[tuple[str, str]]) -> list[str]:
        """One token per (entity_type, value), in order.

        Values that normalise alike share one token, whatever type the detector
        gave them this time: the token keeps the type and the spelling it was
        first issued with, so a name is one token however it is written.
        """
        wanted = [self._new_value(scope, entity_type, value) for entity_type, value in items]
        cache = self._valid_cache(scope)
        found: dict[bytes, str] = {}
        if cache is not None:
            for item in wanted:
                token = cache.tokens.get(item.blind_index)
                if token is not None:
                    found[item.blind_index] = token
        missing = _unique([v for v in wanted if v.blind_index not in found])
        if missing:
            epoch = self._epoch
            snapshot = await offload(self._resolve, scope, missing)
            if found and cache is not None and not same_key(cache.key, snapshot.key):
                # Erased and re-keyed elsewhere meanwhile: what was cached is void.
                snapshot = await offload(self._resolve, scope, _unique(wanted))
                found.clear()
            self._absorb(scope, snapshot, epoch)
            found.update((entry.blind_index, entry.token) for entry in snapshot.entries)
        return [found[item.blind_index] for item in wanted]

    async def restore(
        self, scope: Scope, text: str, escape: Callable[[str], str] | None = None
    ) -> str:
        """Replace every token this scope issued; leave any other token-shaped text."""
        matches = list(find_tokens(text))
        if not matches:
            return text
        values: dict[str, str] = {}
        cache = self._valid_cache(scope)
        if cache is not None:
            for match in matches:
                value = cache.values.get(match.group())
                if value is not None:
                    values[match.group()] = value
        missing = {match.group() for match in matches} - values.keys()
        if missing:
            epoch = self._epoch
            snapshot = await offload(partial(self._store.read, scope, tokens=sorted(missing)))
            if values and cache is not None and not same_key(cache.key, snapshot.key):
                # Erased elsewhere meanwhile: drop the cached values, fetch all again.
                tokens = sorted({match.group() for match in matches})
                snapshot = await offload(partial(self._store.read, scope, tokens=tokens))
                values.clear()
            self._absorb(scope, snapshot, epoch)
            values.update((entry.token, entry.value) for entry in snapshot.entries)
        pieces: list[str] = []
        last = 0
        for match in matches:
            value = values.get(match.group())
            if value is not None:
                pieces += [text[last : match.start()], escape(value) if escape else value]
                last = match.end()
        pieces.append(text[last:])
        return "".join(pieces)

    async def known_values(self, scope: Scope) -> KnownValues:
        """A matcher over every value the scope holds (snapshot at most ``cache_ttl`` old)."""
        cache = self._valid_cache(scope)
        if cache is not None and cache.known is not None and self._fresh(cache.known_at):
            return cache.matcher()
        epoch = self._epoch
        snapshot = await offload(partial(self._store.read, scope, everything=True))
        cache = self._absorb(scope, snapshot, epoch)
        if cache is None:  # an erasure ran meanwhile: answer, but cache nothing
            return KnownValues(_known(snapshot.entries))
        cache.set_known(snapshot.entries, time.monotonic())
        return cache.matcher()

    async def erase(self, scope: Scope) -> ScopeErasure:
        """Crypto-shred the scope: destroy its data key, delete its entries. Idempotent."""
        self._forget(scope)
        try:
            return await offload(self._store.erase, scope)
        finally:
            self._forget(scope)

    # Internals ---------------------------------------------------------

    def _new_value(self, scope: Scope, entity_type: str, value: str) -> NewValue:
        format_token(entity_type, 1)  # raises ValueError for a type the grammar cannot carry
        normalised = normalise(entity_type, value)
        if not normalised:
            raise ValueError("cannot tokenize an empty value")
        blind = self._keyring.blind_index(scope.tenant, scope.subject, normalised)
        return NewValue(entity_type, value, blind)

    def _resolve(self, scope: Scope, values: list[NewValue]) -> Snapshot:
        """Worker thread: find the values' entries, creating those that do not exist."""
        snapshot = self._store.read(scope, blind_indexes=[v.blind_index for v in values])
        if len(snapshot.entries) == len(values):
            return snapshot
        return self._store.store(scope, values)

    def _fresh(self, since: float) -> bool:
        return time.monotonic() - since < self._ttl

    def _valid_cache(self, scope: Scope) -> ScopeCache | None:
        cache = self._scopes.get(scope)
        if cache is None or not self._fresh(cache.checked_at):
            return None
        return cache

    def _absorb(self, scope: Scope, snapshot: Snapshot, epoch: int) -> ScopeCache | None:
        """Bring the scope's cache in line with what the database just said.

        A scope with no key (never used, or erased) is cached too, so that a
        request without personal data costs no query for its known values.
        """
        if epoch != self._epoch:
            return None
        cache = self._scopes.get(scope)
        now = time.monotonic()
        if cache is None or not same_key(cache.key, snapshot.key):
            cache = ScopeCache(
                key=snapshot.key,
                checked_at=now,
                tokens=LRU(self._cache_values),
                values=LRU(self._cache_values),
            )
            self._scopes.put(scope, cache)
        cache.checked_at = now
        cache.remember(snapshot.entries)
        return cache

    def _forget(self, scope: Scope) -> None:
        self._epoch += 1
        self._scopes.pop(scope)


def _known(entries: list[StoredEntry]) -> list[KnownValue]:
    return [KnownValue(e.value, e.entity_type, e.token) for e in entries]


def _unique(values: list[NewValue]) -> list[NewValue]:
    """One per blind index, first spelling kept: equal values share one token."""
    first: dict[bytes, NewValue] = {}
    for value in values:
        first.setdefault(value.blind_index, value)
    return list(first.values())
