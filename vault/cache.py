"""In-memory caches of one Vault: what makes a repeated value cost no database trip.

Everything here lives on the event loop thread only (worker threads return
results; the service stores them), so nothing needs a lock. Per scope the
cache holds its data key's identity, value -> token (by blind index), token ->
value, and a snapshot of all its values for :class:`~vault.matcher.KnownValues`.
Entries are immutable for one data-key generation, so a scope's cache stays
right until the scope is erased; ``ttl`` bounds how long another process's
erasure or new values can go unseen here.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from vault.matcher import KnownValue, KnownValues
from vault.store import ScopeKey, StoredEntry

K = TypeVar("K")
V = TypeVar("V")


class LRU(Generic[K, V]):
    """A bounded mapping that forgets the least recently used key first.

    Hand-written on OrderedDict because the standard library's lru_cache wraps
    functions, not mappings one can evict from, and 20 lines do not justify a
    dependency.
    """

    __slots__ = ("_data", "_maxsize")

    def __init__(self, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError("an LRU needs room for at least one entry")
        self._maxsize = maxsize
        self._data: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self._data.get(key)
        if value is not None:
            self._data.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        self._data[key] = value
        self._data.move_to_end(key)
        while len(self._data) > self._maxsize:
            self._data.popitem(last=False)

    def pop(self, key: K) -> V | None:
        return self._data.pop(key, None)

    def clear(self) -> None:
        self._data.clear()

    def __len__(self) -> int:
        return len(self._data)


@dataclass(slots=True)
class ScopeCache:
    """What one process knows about one scope, under one data key."""

    key: ScopeKey | None  # None: the scope holds nothing (never used, or erased)
    checked_at: float
    tokens: LRU[bytes, str]  # blind index -> token
    values: LRU[str, str]  # token -> value as first stored
    known: dict[str, KnownValue] | None = None  # token -> value, all of the scope
    known_at: float = 0.0
    _matcher: KnownValues | None = field(default=None, repr=False)

    def remember(self, entries: Iterable[StoredEntry]) -> None:
        for entry in entries:
            self.tokens.put(entry.blind_index, entry.token)
            self.values.put(entry.token, entry.value)
            if self.known is not None and entry.token not in self.known:
                self.known[entry.token] = KnownValue(entry.value, entry.entity_type, entry.token)
                self._matcher = None

    def set_known(self, entries: list[StoredEntry], now: float) -> None:
        """Replace the snapshot; keep the compiled matcher if nothing changed."""
        fresh = {e.token: KnownValue(e.value, e.entity_type, e.token) for e in entries}
        if self.known is None or fresh.keys() != self.known.keys():
            self._matcher = None
        self.known = fresh
        self.known_at = now
        self.remember(entries)

    def matcher(self) -> KnownValues:
        if self._matcher is None:
            self._matcher = KnownValues((self.known or {}).values())
        return self._matcher
