"""The name gazetteer: listed, capitalised words; common words left to the models."""

from __future__ import annotations

import pytest

from policies.recognizers.names import (
    FULL_NAME_SCORE,
    INNER_SCORE,
    OPENING_SCORE,
    NameGazetteerRecognizer,
    common_words,
    faker_names,
)

NAMES = frozenset({"horton", "harris", "gregory", "sigrid", "nyström", "jan", "okonkwo"})
RECOGNIZER = NameGazetteerRecognizer(NAMES)


def found(text: str) -> list[tuple[str, float]]:
    return [(text[r.start : r.end], r.score) for r in RECOGNIZER.analyze(text, ["PERSON"])]


def test_a_listed_name_inside_a_sentence() -> None:
    assert found("Unlike the Horton novel, it is short.") == [("Horton", INNER_SCORE)]


def test_listed_names_in_a_row_are_one_full_name() -> None:
    assert found("Sigrid Nyström\nCivil drafter") == [("Sigrid Nyström", FULL_NAME_SCORE)]


def test_a_name_opening_a_sentence_or_line_needs_more_support() -> None:
    assert found("Jan had given Jan his keys.") == [("Jan", OPENING_SCORE), ("Jan", INNER_SCORE)]
    assert found("founders: Harris and Gregory") == [
        ("Harris", OPENING_SCORE), ("Gregory", INNER_SCORE)
    ]


def test_lower_case_words_and_names_split_by_a_line_are_not_joined() -> None:
    assert found("ask harris about it") == []
    assert found("Dear Sigrid\nNyström") == [("Sigrid", INNER_SCORE), ("Nyström", OPENING_SCORE)]


def test_nothing_when_person_is_not_requested() -> None:
    assert RECOGNIZER.analyze("the Horton novel", ["EMAIL_ADDRESS"]) == []


@pytest.mark.slow
def test_real_lists_cover_many_cultures_but_not_common_words() -> None:
    recognizer = NameGazetteerRecognizer()
    text = "We met Okonkwo, Villanueva and Horák after the Summer Sale at the Price desk."
    names = [text[r.start : r.end] for r in recognizer.analyze(text, ["PERSON"])]
    assert names == ["Okonkwo", "Villanueva", "Horák"]
    assert {"summer", "price", "john"} <= common_words()
    assert len(faker_names()) > 40_000
