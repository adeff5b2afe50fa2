"""The restored chat stream equals the restored whole answer, however it is cut."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.gateway.chat_streams import chat_stream, restore_stream, restore_stream_async
from tests.unit.gateway.fakes import restorer_of

VALUES = {"<PERSON_1>": "Zoë Müller", "<EMAIL_ADDRESS_1>": "zoe@example.com",
          "<PHONE_NUMBER_2>": "+44 20 7946 0958"}
WORDS = st.sampled_from(["<PERSON_1>", "<EMAIL_ADDRESS_1>", "<PHONE_NUMBER_2>", "<PERSON_7>",
                         " said ", "<", ">", "é", "😀", "\n", "ok", "_1>"])


def whole(text: str, escaped: bool = False) -> str:
    restorer = restorer_of(VALUES)
    return restorer.text(text, json_escaped=escaped)


def split(text: str, size: int) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)] or [""]


@settings(max_examples=25, deadline=None)
@given(st.lists(WORDS, max_size=10).map("".join), st.integers(1, 7))
def test_every_byte_cut_gives_the_whole_answer(text: str, piece: int) -> None:
    raw = chat_stream(split(text, piece))
    expected = whole(text)

    def every_cut() -> None:
        for cut in range(len(raw) + 1):
            content, _, _ = restore_stream_async(raw, [cut], VALUES)
            assert content == expected

    every_cut()


@settings(max_examples=40, deadline=None)
@given(st.lists(WORDS, max_size=8).map("".join), st.integers(1, 6),
       st.lists(st.integers(0, 4000), max_size=6))
def test_tool_arguments_any_cuts(text: str, piece: int, cuts: list[int]) -> None:
    arguments = json.dumps({"query": text})
    raw = chat_stream([], split(arguments, piece))
    _, restored, _ = restore_stream(raw, [c % (len(raw) + 1) for c in cuts], VALUES)
    assert restored == whole(arguments, escaped=True)
    assert json.loads(restored)["query"] == whole(text)
