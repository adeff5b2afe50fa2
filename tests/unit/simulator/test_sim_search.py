"""The pure search helpers: chunking, scoring, attribute filters."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gateway.simulator.search import chunk_text, matches, score


def test_chunks_are_paragraphs_cut_to_size() -> None:
    assert chunk_text("a\n\n  \n\nb\nc") == ["a", "b\nc"]
    assert chunk_text("x" * 5, max_chars=2) == ["xx", "xx", "x"]


@given(st.text(), st.integers(1, 50))
def test_chunks_respect_the_size(text: str, size: int) -> None:
    assert all(0 < len(chunk) <= size for chunk in chunk_text(text, size))


def test_score() -> None:
    assert score("ann lee", "Hello Ann Lee!") == 1.0
    assert score("ann smith", "Ann Lee") == 0.5
    assert score("zzz", "Ann") == 0.0
    assert score("   ", "Ann") == 0.0


def test_filters() -> None:
    attributes = {"kind": "city", "year": 2020}
    assert matches(None, attributes)
    assert matches({"type": "eq", "key": "kind", "value": "city"}, attributes)
    assert matches({"type": "ne", "key": "missing", "value": 1}, attributes)
    assert not matches({"type": "gt", "key": "year", "value": 2020}, attributes)
    assert matches({"type": "gte", "key": "year", "value": 2020}, attributes)
    assert matches({"type": "lt", "key": "year", "value": 2021}, attributes)
    assert matches({"type": "lte", "key": "year", "value": 2020}, attributes)
    assert not matches({"type": "gt", "key": "kind", "value": 1}, attributes)
    assert matches({"type": "in", "key": "kind", "value": ["city", "x"]}, attributes)
    assert matches({"type": "nin", "key": "kind", "value": ["x"]}, attributes)
    both = {
        "type": "and",
        "filters": [
            {"type": "eq", "key": "kind", "value": "city"},
            {"type": "eq", "key": "year", "value": 1999},
        ],
    }
    assert not matches(both, attributes)
    assert matches({**both, "type": "or"}, attributes)
