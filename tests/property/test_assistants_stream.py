"""A restored Assistants stream equals the restored whole answer, however it is cut.

Two kinds of cuts, both at arbitrary positions: where the provider splits the
text into delta events, and where the network splits the SSE bytes.
"""

from __future__ import annotations

import itertools
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.gateway.fakes import restorer_of
from tests.unit.gateway.test_assistants_stream import (
    VALUES,
    read_back,
    restore,
    restore_async,
    text_run,
    tool_run,
)

WORDS = st.sampled_from(["<PERSON_1>", "<EMAIL_ADDRESS_1>", "<PERSON_2>", "<PERSON_7>",
                         " said ", "<", ">", "é", "😀", "\n", "ok", "_1>", "<PERSON_"])
TEXTS = st.lists(WORDS, max_size=10).map("".join)


def whole(text: str, escaped: bool = False) -> str:
    restorer = restorer_of(VALUES)
    return restorer.text(text, json_escaped=escaped)


def split_at(text: str, cuts: list[int]) -> list[str]:
    bounds = sorted({0, len(text), *(cut % (len(text) + 1) for cut in cuts)})
    return [text[a:b] for a, b in itertools.pairwise(bounds)] or [""]


@settings(max_examples=10, deadline=None)
@given(TEXTS, st.integers(1, 6))
def test_every_byte_cut_gives_the_whole_answer(text: str, piece: int) -> None:
    pieces = [text[i:i + piece] for i in range(0, len(text), piece)] or [""]
    raw = text_run(pieces)
    expected = whole(text)

    def every_cut() -> None:
        for cut in range(len(raw) + 1):
            events, _ = restore_async(raw, [cut])
            seen = read_back(events)
            assert seen.texts.get(("msg_1", 0), "") == expected
            completed = seen.objects["thread.message.completed"]["content"]
            assert (completed[0]["text"]["value"] if completed else "") == expected
            assert seen.late == []

    every_cut()


@settings(max_examples=80, deadline=None)
@given(TEXTS, st.lists(st.integers(0, 200), max_size=8),
       st.lists(st.integers(0, 5000), max_size=8))
def test_message_text_any_cuts(text: str, text_cuts: list[int], byte_cuts: list[int]) -> None:
    raw = text_run(split_at(text, text_cuts))
    events, _ = restore(raw, [cut % (len(raw) + 1) for cut in byte_cuts])
    seen = read_back(events)
    assert seen.texts.get(("msg_1", 0), "") == whole(text)
    assert seen.late == []


@settings(max_examples=80, deadline=None)
@given(TEXTS, st.lists(st.integers(0, 300), max_size=8),
       st.lists(st.integers(0, 5000), max_size=8))
def test_tool_arguments_any_cuts(text: str, argument_cuts: list[int],
                                 byte_cuts: list[int]) -> None:
    arguments = json.dumps({"query": text}, ensure_ascii=False)
    raw = tool_run(split_at(arguments, argument_cuts))
    events, _ = restore(raw, [cut % (len(raw) + 1) for cut in byte_cuts])
    seen = read_back(events)
    restored = seen.arguments[("step_1", 0)]
    assert restored == whole(arguments, escaped=True)
    assert json.loads(restored)["query"] == whole(text)
    waiting = seen.objects["thread.run.requires_action"]
    call = waiting["required_action"]["submit_tool_outputs"]["tool_calls"][0]
    assert call["function"]["arguments"] == restored
    assert seen.late == []
