"""The legacy completions stream restorer: text restored per choice, tails flushed."""

from __future__ import annotations

import json

import pytest

from gateway.codecs.completions import CompletionsCodec
from gateway.errors import BadRequest

from .completions_streams import completion_stream, restore_stream

VALUES = {"<PERSON_1>": "John Smith", "<EMAIL_ADDRESS_1>": "js@example.com"}


def test_token_split_across_chunks_is_restored() -> None:
    texts, _, _ = restore_stream(completion_stream([["Hi <PER", "SON_", "1>, ", "bye"]]), [],
                                 VALUES)
    assert texts == {0: "Hi John Smith, bye"}


def test_each_choice_has_its_own_holdback() -> None:
    raw = completion_stream([["A <PERSON", "_1>"], ["B <EMAIL_ADDRESS", "_1> <PERSON_9>"]])
    texts, _, _ = restore_stream(raw, [], VALUES)
    assert texts == {0: "A John Smith", 1: "B js@example.com <PERSON_9>"}


def test_held_tail_goes_out_with_the_finishing_chunk() -> None:
    _, datas, _ = restore_stream(completion_stream([["ends <PERSON_1"]]), [], VALUES)
    finishing = json.loads(datas[-2])["choices"][0]
    assert (finishing["text"], finishing["finish_reason"]) == ("<PERSON_1", "stop")


def test_stream_cut_short_still_flushes_before_done_and_at_the_end() -> None:
    texts, datas, _ = restore_stream(completion_stream([["x <PERSON_"]], finish=False), [],
                                     VALUES)
    assert texts == {0: "x <PERSON_"}
    assert datas[-1] == "[DONE]"
    texts, datas, _ = restore_stream(completion_stream([["y <PERSON_1"]], finish=False,
                                                       done=False), [], VALUES)
    assert texts == {0: "y <PERSON_1"} and datas[-1] != "[DONE]"


def test_usage_chunk_is_reported() -> None:
    _, _, restorer = restore_stream(completion_stream([["a"]], usage=True), [], VALUES)
    assert restorer.usage == {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}
    assert restorer.result == {"id": "cmpl-1"}  # the answer's id; completions store nothing


def test_error_event_and_comments_pass_restored() -> None:
    raw = b': keep-alive\n\ndata: {"error": {"message": "bad <PERSON_1>"}}\n\ndata: oops\n\n'
    _, datas, _ = restore_stream(raw, [], VALUES)
    assert datas[0] == ""
    assert json.loads(datas[1])["error"]["message"] == "bad John Smith"
    assert datas[2] == "oops"


@pytest.mark.parametrize("prompt", [[1, 2, 3], [[1, 2], [3]]])
def test_token_id_prompts_are_refused(prompt: object) -> None:
    with pytest.raises(BadRequest) as caught:
        CompletionsCodec().request_slots({"model": "m", "prompt": prompt})
    assert caught.value.param == "prompt"


def test_prompt_and_suffix_are_scanned() -> None:
    slots = CompletionsCodec().request_slots(
        {"model": "m", "prompt": ["a John", "b"], "suffix": "c", "user": "u"})
    assert [slot.text for slot in slots] == ["a John", "b", "c"]
