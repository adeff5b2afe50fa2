"""The restored completions stream equals the restored whole answer, however it is cut."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.gateway.completions_streams import completion_stream, restore_stream
from tests.unit.gateway.fakes import restorer_of

VALUES = {"<PERSON_1>": "Zoë Müller", "<EMAIL_ADDRESS_1>": "zoe@example.com",
          "<PHONE_NUMBER_2>": "+44 20 7946 0958"}
WORDS = st.sampled_from(["<PERSON_1>", "<EMAIL_ADDRESS_1>", "<PHONE_NUMBER_2>", "<PERSON_7>",
                         " said ", "<", ">", "é", "😀", "\n", "ok", "_1>"])


def whole(text: str) -> str:
    return restorer_of(VALUES).text(text)


def split(text: str, size: int) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)] or [""]


def cut_at(text: str, cuts: list[int]) -> list[str]:
    bounds = sorted({0, len(text), *(cut % (len(text) + 1) for cut in cuts)})
    return [text[start:end] for start, end in itertools.pairwise(bounds)] or [""]


@settings(max_examples=150, deadline=None)
@given(st.lists(WORDS, max_size=12).map("".join), st.lists(st.integers(0, 200), max_size=10),
       st.lists(st.integers(0, 5000), max_size=4), st.booleans())
def test_any_text_and_byte_cuts_give_the_whole_answer(text: str, text_cuts: list[int],
                                                       byte_cuts: list[int],
                                                       finish: bool) -> None:
    raw = completion_stream([cut_at(text, text_cuts)], finish=finish)
    texts, _, _ = restore_stream(raw, [cut % (len(raw) + 1) for cut in byte_cuts], VALUES)
    assert texts.get(0, "") == whole(text)


@settings(max_examples=10, deadline=None)
@given(st.lists(WORDS, min_size=1, max_size=4).map("".join))
def test_every_byte_cut_gives_the_whole_answer(text: str) -> None:
    raw = completion_stream([split(text, 3)])
    expected = whole(text)
    for cut in range(len(raw) + 1):
        texts, _, _ = restore_stream(raw, [cut], VALUES)
        assert texts.get(0, "") == expected


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(WORDS, max_size=8).map("".join), min_size=1, max_size=3),
       st.integers(1, 5), st.lists(st.integers(0, 5000), max_size=6))
def test_several_choices_any_cuts(texts: list[str], piece: int, cuts: list[int]) -> None:
    raw = completion_stream([split(text, piece) for text in texts])
    restored, _, _ = restore_stream(raw, [cut % (len(raw) + 1) for cut in cuts], VALUES)
    assert [restored.get(index, "") for index in range(len(texts))] == [
        whole(text) for text in texts]
