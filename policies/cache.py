"""A small LRU cache of findings keyed by the SHA-256 of the scanned text.

Why a content hash: a conversation resends its whole history every turn, and
only the newest turn is new. Keys are digests, values are offsets and types,
so the cache holds no plaintext. Not thread-safe: the scanner uses it from
the event loop (or the one CLI thread) only.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Generic, TypeVar

V = TypeVar("V")


def content_key(text: str) -> bytes:
    # surrogatepass: JSON may carry lone surrogates; they must hash, not crash.
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


class LruCache(Generic[V]):
    def __init__(self, capacity: int) -> None:
        if capacity < 0:
            raise ValueError("capacity must not be negative")
        self._capacity = capacity
        self._items: OrderedDict[bytes, V] = OrderedDict()

    def get(self, key: bytes) -> V | None:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: bytes, value: V) -> None:
        if self._capacity == 0:
            return
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self._capacity:
            self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)
