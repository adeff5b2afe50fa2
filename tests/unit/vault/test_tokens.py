"""Token grammar and holdback: the pure core restoring depends on."""

from __future__ import annotations

import pytest

from vault.tokens import (
    MAX_TOKEN_LENGTH,
    Holdback,
    Token,
    find_tokens,
    format_token,
    parse_token,
    unfinished_token_start,
)


def test_format_and_parse_round_trip() -> None:
    assert format_token("PERSON", 3) == "<PERSON_3>"
    assert parse_token("<EMAIL_ADDRESS_12>") == Token("EMAIL_ADDRESS", 12)
    assert str(Token("IBAN_CODE", 1)) == "<IBAN_CODE_1>"


@pytest.mark.parametrize("text", ["<person_1>", "<PERSON_0>", "<PERSON_01>", "<PERSON>",
                                  "<_1>", "<1A_2>", "PERSON_1", "<PERSON_1", "< PERSON_1>"])
def test_not_tokens(text: str) -> None:
    assert parse_token(text) is None
    assert list(find_tokens(text)) == []


@pytest.mark.parametrize(("entity_type", "index"), [("person", 1), ("PERSON", 0),
                                                    ("A" * 41, 1), ("PERSON", 10**9)])
def test_format_refuses_what_cannot_parse_back(entity_type: str, index: int) -> None:
    with pytest.raises(ValueError):
        format_token(entity_type, index)


def test_find_tokens_in_text() -> None:
    text = "Dear <PERSON_1>, write to <EMAIL_ADDRESS_2> (<notatoken>)"
    assert [m.group() for m in find_tokens(text)] == ["<PERSON_1>", "<EMAIL_ADDRESS_2>"]


@pytest.mark.parametrize(("text", "expected"), [
    ("hello", 5),
    ("hello <", 6),
    ("hello <PERS", 6),
    ("hello <PERSON_1", 6),
    ("hello <PERSON_1>", 16),     # complete: nothing to hold
    ("a < b", 5),                 # a space cannot be part of a token
    ("x <person", 9),             # lower case cannot be part of a token
    ("<A" + "B" * MAX_TOKEN_LENGTH, 2 + MAX_TOKEN_LENGTH),  # too long to ever be a token
])
def test_unfinished_token_start(text: str, expected: int) -> None:
    assert unfinished_token_start(text) == expected


def test_holdback_never_splits_a_token() -> None:
    holdback = Holdback()
    pieces = ["Hi <PER", "SON_", "1>, how", " are <", "you? <EMAIL_ADDRESS_2", ">"]
    emitted = [holdback.feed(piece) for piece in pieces]
    assert emitted == ["Hi ", "", "<PERSON_1>, how", " are ", "<you? ", "<EMAIL_ADDRESS_2>"]
    assert holdback.flush() == ""


def test_holdback_flush_returns_unfinished_tail() -> None:
    holdback = Holdback()
    assert holdback.feed("the end <PER") == "the end "
    assert holdback.pending == "<PER"
    assert holdback.flush() == "<PER"
    assert holdback.flush() == ""
