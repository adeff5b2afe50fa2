"""The bounded in-memory caches."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from vault.cache import LRU, ScopeCache
from vault.store import ScopeKey, StoredEntry


def test_lru_forgets_the_least_recently_used() -> None:
    cache: LRU[str, int] = LRU(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "b" is now the oldest
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)
    assert len(cache) == 2
    assert cache.pop("a") == 1 and cache.pop("a") is None
    cache.clear()
    assert len(cache) == 0


def test_lru_needs_room() -> None:
    with pytest.raises(ValueError):
        LRU[str, int](0)


def _cache() -> ScopeCache:
    key = ScopeKey(1, 1, AESGCM(AESGCM.generate_key(bit_length=256)))
    return ScopeCache(key=key, checked_at=0.0, tokens=LRU(10), values=LRU(10))


def test_scope_cache_keeps_its_matcher_until_the_values_change() -> None:
    cache = _cache()
    ann = StoredEntry("<PERSON_1>", "PERSON", "Ann", b"1" * 32)
    cache.set_known([ann], now=1.0)
    matcher = cache.matcher()
    cache.set_known([ann], now=2.0)
    assert cache.matcher() is matcher and cache.known_at == 2.0
    cache.remember([StoredEntry("<PERSON_2>", "PERSON", "Bea", b"2" * 32)])
    assert cache.matcher() is not matcher
    assert [token for *_, token in cache.matcher().find("Ann and Bea")] == [
        "<PERSON_1>",
        "<PERSON_2>",
    ]
    assert cache.tokens.get(b"2" * 32) == "<PERSON_2>"
    assert cache.values.get("<PERSON_1>") == "Ann"


def test_remember_without_a_snapshot_does_not_start_one() -> None:
    cache = _cache()
    cache.remember([StoredEntry("<PERSON_1>", "PERSON", "Ann", b"1" * 32)])
    assert cache.known is None
    assert len(cache.matcher()) == 0
