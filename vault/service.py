"""The Vault: open a scope for one request, tokenize in it, restore from it, erase it.

The async methods are the gateway's interface (docs/INTERFACES.md). Database
work runs in worker threads (:mod:`vault.store`); caching happens here, on the
event loop. A request opens its scope once (:meth:`Vault.open`): one indexed
query confirms the scope's data key is still the one cached and fetches the
entries other processes added since. From then on the request's
:class:`ScopeView` answers from memory, so restoring a stream costs no I/O,
and an erasure done anywhere is honoured by every request that starts after it.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine

from vault.cache import LRU, ScopeCache
from vault.crypto import Keyring
from vault.matcher import KnownValue, KnownValues
from vault.normalise import normalise
from vault.scope import Scope, ScopeErasure
from vault.store import NewValue, Snapshot, VaultStore, offload, same_key
from vault.tokens import format_token

DEFAULT_CACHE_SCOPES = 1024


class ScopeView:
    """One request's view of a scope: fresh when opened, then answered from memory.

    Values this request tokenizes join the view (and the process's cache).
    ``value_of`` never reaches the database: every token the request can meet
    was issued before it opened the scope or by the request itself.
    """

    __slots__ = ("_cache", "_vault", "scope")

    def __init__(self, vault: Vault, scope: Scope, cache: ScopeCache) -> None:
        self._vault = vault
        self._cache = cache
        self.scope = scope

    @property
    def known(self) -> KnownValues:
        """A matcher over every value the scope held when opened, plus this request's."""
        return self._cache.matcher()

    def entry(self, token: str) -> KnownValue | None:
        return self._cache.by_token.get(token)

    def value_of(self, token: str) -> str | None:
        """The value behind a token this scope issued, as first stored; else None."""
        entry = self._cache.by_token.get(token)
        return entry.value if entry is not None else None

    async def tokenize(self, items: Sequence[tuple[str, str]]) -> list[str]:
        """One token per (entity_type, value), in order.

        Values that normalise alike share one token, whatever type the detector
        gave them this time: the token keeps the type and the spelling it was
        first issued with, so a name is one token however it is written.
        """
        wanted = [self._vault.new_value(self.scope, kind, value) for kind, value in items]
        missing = _unique([v for v in wanted if v.blind_index not in self._cache.by_blind_index])
        if missing:
            self._cache = await self._vault.store(self.scope, self._cache, missing)
        return [self._cache.by_blind_index[item.blind_index] for item in wanted]


class Vault:
    """Typed tokens for personal values, kept encrypted per scope.

    ``engine`` should come from :func:`vault.db.create_engine`: on SQLite the
    race-free allocation relies on the transactions it configures.
    """

    def __init__(
        self, engine: Engine, master_key: bytes, *, cache_scopes: int = DEFAULT_CACHE_SCOPES
    ) -> None:
        self._keyring = Keyring(master_key)
        self._store = VaultStore(engine, self._keyring)
        self._scopes: LRU[Scope, ScopeCache] = LRU(cache_scopes)
        # Bumped by erase(): results of database work begun before an erasure
        # must not refill the caches it just emptied.
        self._epoch = 0

    def pseudonym(self, tenant: str, value: str) -> str:
        """Keyed, stable, not reversible: ``psn_`` + 24 base32 characters."""
        return self._keyring.pseudonym(tenant, value)

    async def open(self, scope: Scope) -> ScopeView:
        """The scope as it is now in the database, for one request."""
        cached = self._scopes.get(scope)
        epoch = self._epoch
        snapshot = await offload(
            self._store.refresh,
            scope,
            cached.key if cached is not None else None,
            cached.last_id if cached is not None else 0,
        )
        return ScopeView(self, scope, self._absorb(scope, cached, snapshot, epoch))

    async def tokenize(self, scope: Scope, items: Sequence[tuple[str, str]]) -> list[str]:
        """Open ``scope`` and tokenize in it: for callers outside a request (CLI, tests)."""
        return await (await self.open(scope)).tokenize(items)

    async def erase(self, scope: Scope) -> ScopeErasure:
        """Crypto-shred the scope: destroy its data key, delete its entries. Idempotent."""
        self._forget(scope)
        try:
            return await offload(self._store.erase, scope)
        finally:
            self._forget(scope)

    # For ScopeView -----------------------------------------------------

    def new_value(self, scope: Scope, entity_type: str, value: str) -> NewValue:
        format_token(entity_type, 1)  # raises ValueError for a type the grammar cannot carry
        normalised = normalise(entity_type, value)
        if not normalised:
            raise ValueError("cannot tokenize an empty value")
        blind = self._keyring.blind_index(scope.tenant, scope.subject, normalised)
        return NewValue(entity_type, value, blind)

    async def store(self, scope: Scope, cache: ScopeCache, values: list[NewValue]) -> ScopeCache:
        """Find or create entries for ``values``; the cache that now holds them."""
        epoch = self._epoch
        snapshot = await offload(self._store.store, scope, values)
        if not same_key(cache.key, snapshot.key):
            # Erased and re-keyed meanwhile: what was cached is void. The new
            # cache holds only these entries; the next open reads the rest.
            cache = ScopeCache(key=snapshot.key)
            if epoch == self._epoch:
                self._scopes.put(scope, cache)
        cache.add(snapshot.entries, read_up_to=False)
        return cache

    # Internals ---------------------------------------------------------

    def _absorb(
        self, scope: Scope, cached: ScopeCache | None, snapshot: Snapshot, epoch: int
    ) -> ScopeCache:
        """The scope's cache brought in line with what the database just said.

        A scope with no key (never used, or erased) is cached too, empty.
        When an erasure ran in this process meanwhile, the answer still serves
        this request but is not kept.
        """
        if cached is None or snapshot.complete or not same_key(cached.key, snapshot.key):
            cached = ScopeCache(key=snapshot.key)
        cached.add(snapshot.entries, read_up_to=True)
        if epoch == self._epoch:
            self._scopes.put(scope, cached)
        return cached

    def _forget(self, scope: Scope) -> None:
        self._epoch += 1
        self._scopes.pop(scope)


def _unique(values: list[NewValue]) -> list[NewValue]:
    """One per blind index, first spelling kept: equal values share one token."""
    first: dict[bytes, NewValue] = {}
    for value in values:
        first.setdefault(value.blind_index, value)
    return list(first.values())
