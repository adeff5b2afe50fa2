"""In-memory caches of one Vault: what makes a repeated value cost no database trip.

Everything here lives on the event loop thread only (worker threads return
results; the service stores them), so nothing needs a lock. Per scope the
cache holds its data key's identity, value -> token (by blind index), token ->
value, and a :class:`~vault.matcher.KnownValues` matcher over all of them.
Entries are immutable for one data-key generation; every request checks with
the database that the key is still the same and asks for entries added since
(:meth:`vault.Vault.open`), so an erasure or new values in another process
are seen by the next request, not after a time-out.
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
    """Everything one process knows about one scope, under one data key.

    Entries never change once written (erasure replaces the key, and with it
    this whole object), so the cache only grows: ``last_id`` is the highest
    entry id read from the database, and a refresh asks only for newer ones.
    """

    key: ScopeKey | None  # None: the scope holds nothing (never used, or erased)
    last_id: int = 0
    by_token: dict[str, KnownValue] = field(default_factory=dict)
    by_blind_index: dict[bytes, str] = field(default_factory=dict)
    _matcher: KnownValues | None = field(default=None, repr=False)

    def add(self, entries: Iterable[StoredEntry], *, read_up_to: bool) -> None:
        """Take in entries; ``read_up_to``: they came from a read of everything newer."""
        for entry in entries:
            if read_up_to:
                self.last_id = max(self.last_id, entry.id)
            self.by_blind_index[entry.blind_index] = entry.token
            if entry.token not in self.by_token:
                self.by_token[entry.token] = KnownValue(entry.value, entry.entity_type, entry.token)
                self._matcher = None

    def matcher(self) -> KnownValues:
        if self._matcher is None:
            self._matcher = KnownValues(self.by_token.values())
        return self._matcher
