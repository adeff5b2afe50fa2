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
    return ScopeCache(key=ScopeKey(1, 1, AESGCM(AESGCM.generate_key(bit_length=256))))


ANN = StoredEntry(1, "<PERSON_1>", "PERSON", "Ann", b"1" * 32)
BEA = StoredEntry(5, "<PERSON_2>", "PERSON", "Bea", b"2" * 32)


def test_scope_cache_keeps_its_matcher_until_the_values_change() -> None:
    cache = _cache()
    cache.add([ANN], read_up_to=True)
    matcher = cache.matcher()
    cache.add([ANN], read_up_to=True)
    assert cache.matcher() is matcher
    cache.add([BEA], read_up_to=True)
    assert cache.matcher() is not matcher
    assert [token for *_, token in cache.matcher().find("Ann and Bea")] == [
        "<PERSON_1>",
        "<PERSON_2>",
    ]
    assert cache.by_blind_index[b"2" * 32] == "<PERSON_2>"
    assert cache.by_token["<PERSON_1>"].value == "Ann"
    assert cache.last_id == 5


def test_entries_from_a_write_do_not_move_the_read_mark() -> None:
    """Another process may have added entries below a freshly written one's id."""
    cache = _cache()
    cache.add([ANN], read_up_to=True)
    cache.add([BEA], read_up_to=False)
    assert cache.last_id == 1 and cache.by_token["<PERSON_2>"].value == "Bea"
