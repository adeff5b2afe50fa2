"""The PII tagger runner: pure window and joining logic, then the real model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from policies import DetectionError
from policies.tagger import (
    RampartTagger,
    TaggedSpan,
    TokenLabel,
    default_model_dir,
    join_tokens,
    owner_window,
    plan_windows,
    softmax,
    type_matrix,
)


def test_short_input_is_one_window() -> None:
    assert plan_windows(10, 256, 32) == [(0, 10)]
    assert plan_windows(0, 256, 32) == []


def test_long_input_windows_overlap() -> None:
    assert plan_windows(10, 4, 1) == [(0, 4), (3, 7), (6, 10)]
    with pytest.raises(ValueError):
        plan_windows(10, 2, 2)


@given(st.integers(min_value=1, max_value=2000), st.integers(min_value=2, max_value=300),
       st.integers(min_value=0, max_value=64))
def test_windows_cover_every_token_within_size(count: int, size: int, overlap: int) -> None:
    overlap = min(overlap, size - 1)
    windows = plan_windows(count, size, overlap)
    assert windows[0][0] == 0 and windows[-1][1] == count
    assert all(end - start <= size for start, end in windows)
    for index in range(count):
        start, end = windows[owner_window(windows, index)]
        assert start <= index < end


def test_each_token_is_labelled_by_the_window_where_it_is_most_central() -> None:
    windows = [(0, 4), (3, 7)]
    assert owner_window(windows, 3) == 0  # margin 0 in both: the first window
    assert owner_window(windows, 4) == 1


def test_joining_merges_same_type_across_spaces_and_subwords_only() -> None:
    text = "Anna Lee,Bob\nCarl"
    tokens = [
        TokenLabel("PERSON", 0.9, 0, 4), TokenLabel("PERSON", 0.7, 5, 8),
        TokenLabel("PERSON", 0.9, 9, 10), TokenLabel("PERSON", 0.9, 10, 12),
        TokenLabel("PERSON", 0.9, 13, 17),
    ]
    spans = join_tokens(text, tokens, 0.5)
    assert [(text[s.start:s.end], round(s.score, 2)) for s in spans] == [
        ("Anna Lee", 0.8), ("Bob", 0.9), ("Carl", 0.9)
    ]


def test_tokens_under_threshold_break_spans() -> None:
    text = "Anna Lee Bob"
    tokens = [TokenLabel("PERSON", 0.9, 0, 4), TokenLabel("PERSON", 0.2, 5, 8),
              TokenLabel("PERSON", 0.9, 9, 12)]
    assert join_tokens(text, tokens, 0.5) == [
        TaggedSpan("PERSON", 0, 4, 0.9), TaggedSpan("PERSON", 9, 12, 0.9)
    ]


def test_type_matrix_sums_label_parts_per_reported_type() -> None:
    labels = ["O", "B-GIVEN_NAME", "I-SURNAME", "B-CITY", "B-UNKNOWN"]
    types, matrix = type_matrix(labels)
    assert types == ["LOCATION", "PERSON"]
    probabilities = np.array([[0.1, 0.3, 0.3, 0.2, 0.1]])
    np.testing.assert_allclose(probabilities @ matrix, [[0.2, 0.6]])


def test_softmax_rows_sum_to_one() -> None:
    out = softmax(np.array([[1.0, 2.0, 3.0], [1000.0, 0.0, 0.0]]))
    np.testing.assert_allclose(out.sum(axis=-1), [1.0, 1.0])


def test_a_missing_model_folder_is_a_detection_error(tmp_path: Path) -> None:
    with pytest.raises(DetectionError, match="cannot load PII tagger"):
        RampartTagger(tmp_path)


@pytest.fixture(scope="module")
def tagger() -> RampartTagger:
    return RampartTagger(default_model_dir())


def tagged(tagger: RampartTagger, text: str) -> list[tuple[str, str]]:
    return [(s.entity_type, text[s.start : s.end]) for s in tagger.tag(text)]


@pytest.mark.slow
def test_model_finds_lower_case_names_and_street_addresses(tagger: RampartTagger) -> None:
    found = tagged(tagger, "hi, my name is john smith and I live at 221B Baker Street, London")
    assert ("PERSON", "john smith") in found
    assert ("STREET_ADDRESS", "221B Baker Street") in found


@pytest.mark.slow
def test_model_tells_the_month_from_the_name(tagger: RampartTagger) -> None:
    assert tagged(tagger, "The report is due in May.") == []
    assert ("PERSON", "May Chen") in tagged(tagger, "May Chen called yesterday.")


@pytest.mark.slow
def test_model_windows_long_text_without_losing_offsets(tagger: RampartTagger) -> None:
    filler = "The quarterly numbers look fine and nothing else happened. " * 40
    text = filler + "Please ask Ngozi Okonkwo about it. " + filler
    assert ("PERSON", "Ngozi Okonkwo") in tagged(tagger, text)


@pytest.mark.slow
def test_token_count_is_the_models_word_pieces_without_markers(tagger: RampartTagger) -> None:
    assert tagger.count_tokens([]) == 0
    assert tagger.count_tokens(["hello"]) == 1
    assert tagger.count_tokens(["hello", "hello world"]) == 3
