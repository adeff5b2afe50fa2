"""Holdback properties: whatever the cuts, the output is the input and no token is split."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from vault.tokens import Holdback, find_tokens

TOKENISH = st.sampled_from(["<PERSON_1>", "<EMAIL_ADDRESS_12>", "<", ">", "_", "<PER", "SON_",
                            "1>", "<IBAN_CODE_3>", " ", "a"])
TEXT = st.lists(st.one_of(TOKENISH, st.text(max_size=5)), max_size=30).map("".join)


@st.composite
def cut_text(draw: st.DrawFn) -> tuple[str, list[str]]:
    text = draw(TEXT)
    cuts = sorted(draw(st.sets(st.integers(0, len(text)), max_size=10)))
    bounds = [0, *cuts, len(text)]
    return text, [text[a:b] for a, b in itertools.pairwise(bounds)]


@given(cut_text())
def test_output_equals_input(case: tuple[str, list[str]]) -> None:
    text, pieces = case
    holdback = Holdback()
    out = [holdback.feed(piece) for piece in pieces]
    assert "".join(out) + holdback.flush() == text


@given(cut_text())
def test_every_emitted_piece_holds_only_whole_tokens(case: tuple[str, list[str]]) -> None:
    text, pieces = case
    holdback = Holdback()
    emitted = [holdback.feed(piece) for piece in pieces] + [holdback.flush()]
    whole = [m.group() for m in find_tokens(text)]
    from_pieces = [m.group() for piece in emitted for m in find_tokens(piece)]
    assert from_pieces == whole
