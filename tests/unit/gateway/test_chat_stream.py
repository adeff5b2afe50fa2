"""The chat stream restorer: deltas restored per choice and per tool call, tails flushed."""

from __future__ import annotations

import json

from .chat_streams import chat_stream, restore_stream

VALUES = {"<PERSON_1>": "John Smith", "<EMAIL_ADDRESS_1>": 'j"s@example.com'}


def test_token_split_across_deltas_is_restored() -> None:
    raw = chat_stream(["Hello <PER", "SON_", "1>, mail <EMAIL_ADD", "RESS_1> now"])
    content, _, _ = restore_stream(raw, [], VALUES)
    assert content == 'Hello John Smith, mail j"s@example.com now'


def test_unknown_token_passes_through() -> None:
    content, _, _ = restore_stream(chat_stream(["Hi <PERSON_9> and <PERSON_1>"]), [], VALUES)
    assert content == "Hi <PERSON_9> and John Smith"


def test_tail_held_at_finish_is_flushed_into_the_finishing_chunk() -> None:
    content, _, datas = restore_stream(chat_stream(["ends with <PERSON_"]), [], VALUES)
    assert content == "ends with <PERSON_"
    assert datas[-1] == "[DONE]"


def test_tool_arguments_are_json_escaped_and_stay_valid_json() -> None:
    raw = chat_stream([], ['{"who": "<PERSON_1>", "mail": "<EMAIL', '_ADDRESS_1>"}'])
    _, arguments, _ = restore_stream(raw, [], VALUES)
    assert json.loads(arguments) == {"who": "John Smith", "mail": 'j"s@example.com'}


def test_structured_output_content_is_json_escaped() -> None:
    raw = chat_stream(['{"echo": "<EMAIL_ADDRESS_1>"}'])
    content, _, _ = restore_stream(raw, [], VALUES, json_content=True)
    assert json.loads(content) == {"echo": 'j"s@example.com'}


def test_stream_without_finish_or_done_still_flushes() -> None:
    raw = chat_stream(["tail <PERSON_1"]).split(b'data: {"id": "chatcmpl-1", "object": '
                                                 b'"chat.completion.chunk", "created": 1, '
                                                 b'"model": "m", "choices": [{"index": 0, '
                                                 b'"delta": {}, "finish_reason": "stop"}]}')[0]
    content, _, datas = restore_stream(raw, [], VALUES)
    assert content == "tail <PERSON_1"
    assert len(datas) == 3  # role chunk, "tail " chunk, then the flushed tail


def test_upstream_error_event_is_restored() -> None:
    raw = b'data: {"error": {"message": "bad <PERSON_1>", "type": "x"}}\n\n'
    _, _, datas = restore_stream(raw, [], VALUES)
    assert json.loads(datas[0])["error"]["message"] == "bad John Smith"
