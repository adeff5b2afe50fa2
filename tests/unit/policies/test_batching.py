"""Segmenting long texts and sharing batches between workers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policies.batching import partition, segment
from policies.cache import LruCache, content_key


def test_segment_prefers_blank_lines_then_line_ends() -> None:
    text = "aaaa bbbb\n\ncccc dddd\neeee"
    pieces = segment(text, 12)
    assert [p for _, p in pieces] == ["aaaa bbbb\n\n", "cccc dddd\n", "eeee"]
    assert [o for o, _ in pieces] == [0, 11, 21]


def test_segment_cuts_hard_when_there_is_no_break() -> None:
    assert [p for _, p in segment("x" * 25, 10)] == ["x" * 10, "x" * 10, "x" * 5]
    with pytest.raises(ValueError):
        segment("x", 0)


@given(st.text(alphabet="ab \n", max_size=200), st.integers(min_value=1, max_value=30))
def test_segments_rebuild_the_text_within_the_limit(text: str, limit: int) -> None:
    pieces = segment(text, limit)
    assert "".join(p for _, p in pieces) == text
    assert all(len(p) <= limit for _, p in pieces)
    assert all(text[o : o + len(p)] == p for o, p in pieces)


@given(st.lists(st.integers(min_value=0, max_value=1000), max_size=40),
       st.integers(min_value=1, max_value=4))
def test_partition_uses_every_index_once(sizes: list[int], parts: int) -> None:
    groups = partition(sizes, parts)
    flat = sorted(i for g in groups for i in g)
    assert flat == list(range(len(sizes)))
    assert len(groups) <= parts
    assert all(g == sorted(g) and g for g in groups)


def test_partition_balances_load() -> None:
    groups = partition([10, 10, 10, 10, 40], 2)
    loads = sorted(sum([10, 10, 10, 10, 40][i] for i in g) for g in groups)
    assert loads == [40, 40]


def test_cache_evicts_least_recently_used() -> None:
    cache: LruCache[str] = LruCache(2)
    a, b, c = (content_key(t) for t in ("a", "b", "c"))
    cache.put(a, "A")
    cache.put(b, "B")
    assert cache.get(a) == "A"
    cache.put(c, "C")
    assert cache.get(b) is None
    assert cache.get(a) == "A" and cache.get(c) == "C"
    assert len(cache) == 2


def test_cache_of_size_zero_keeps_nothing_and_keys_handle_lone_surrogates() -> None:
    cache: LruCache[str] = LruCache(0)
    key = content_key("\ud800 odd")
    cache.put(key, "x")
    assert cache.get(key) is None
    assert len(key) == 32
