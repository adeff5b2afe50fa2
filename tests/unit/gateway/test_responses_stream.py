"""The Responses stream restorer: deltas held per place and kind, tails flushed before
their ``*.done``, whole events restored, annotations shifted, sequence kept increasing."""

from __future__ import annotations

import json

from gateway.codecs.responses import ResponsesStreamRestorer
from gateway.sse import SSEEvent

from .fakes import restorer_of
from .responses_streams import (
    VALUES,
    events_bytes,
    function_call,
    message,
    reasoning,
    response,
    restore_stream,
    stream_bytes,
)

ANSWER = "You said: hi <PERSON_1>, mail <EMAIL_ADDRESS_1> now"
RESTORED = 'You said: hi John Smith, mail j"s@example.com now'


def test_text_deltas_are_restored_across_splits_and_done_events_in_full() -> None:
    restored = restore_stream(stream_bytes(response(message(ANSWER)), 3))
    assert restored.deltas("response.output_text.delta") == RESTORED
    assert restored.first("response.output_text.done")["text"] == RESTORED
    assert restored.first("response.content_part.done")["part"]["text"] == RESTORED
    assert restored.first("response.output_item.done")["item"]["content"][0]["text"] == RESTORED
    completed = restored.first("response.completed")["response"]
    assert completed["output"][0]["content"][0]["text"] == RESTORED
    assert "<" not in json.dumps([payload for _, payload in restored.events]).replace(
        "\\u003c", "")


def test_held_tail_goes_out_as_an_extra_delta_just_before_its_done() -> None:
    text = "ends with <PERSON_"
    restored = restore_stream(stream_bytes(response(message(text)), 4))
    done = restored.types.index("response.output_text.done")
    extra_name, extra = restored.events[done - 1]
    assert extra_name == "response.output_text.delta"
    assert extra["type"] == "response.output_text.delta"
    assert extra["delta"] == "<PERSON_"
    assert (extra["item_id"], extra["output_index"], extra["content_index"]) == ("msg_1", 0, 0)
    assert restored.deltas("response.output_text.delta") == text


def test_sequence_numbers_stay_strictly_increasing_after_insertions() -> None:
    answer = response(reasoning("said <PERSON_"), message("x <PERSON_"), function_call('"<PER'))
    restored = restore_stream(stream_bytes(answer, 2))
    numbers = restored.sequence()
    assert numbers == sorted(set(numbers))
    assert numbers[0] == 0


def test_annotations_move_with_restored_values_everywhere() -> None:
    text = "You said: <PERSON_1> at <PHONE_NUMBER_2>"
    prefix = len("You said: ")
    restored = restore_stream(stream_bytes(response(message(text, start=prefix)), 5))
    whole = "You said: John Smith at +1 212 555 0199"
    added = restored.first("response.output_text.annotation.added")["annotation"]
    part = restored.first("response.content_part.done")["part"]
    final = restored.first("response.completed")["response"]["output"][0]["content"][0]
    for annotation in (added, part["annotations"][0], final["annotations"][0]):
        assert (annotation["start_index"], annotation["end_index"]) == (prefix, len(whole))
        assert annotation["title"] == "About John Smith"
    assert restored.deltas("response.output_text.delta") == whole


def test_function_call_arguments_are_json_escaped_and_stay_json() -> None:
    arguments = json.dumps({"query": "<EMAIL_ADDRESS_1> and <PERSON_1>"})
    restored = restore_stream(stream_bytes(response(function_call(arguments)), 3))
    streamed = restored.deltas("response.function_call_arguments.delta")
    assert json.loads(streamed) == {"query": 'j"s@example.com and John Smith'}
    done = restored.first("response.function_call_arguments.done")["arguments"]
    assert done == streamed
    item = restored.first("response.completed")["response"]["output"][0]
    assert json.loads(item["arguments"]) == {"query": 'j"s@example.com and John Smith'}


def test_reasoning_summary_deltas_are_restored() -> None:
    restored = restore_stream(stream_bytes(response(reasoning("The user is <PERSON_3>")), 2))
    assert restored.deltas("response.reasoning_summary_text.delta") == "The user is Zoë"
    assert restored.first("response.reasoning_summary_text.done")["text"] == "The user is Zoë"
    part = restored.first("response.reasoning_summary_part.done")["part"]
    assert part["text"] == "The user is Zoë"


def test_structured_output_text_is_json_escaped() -> None:
    text = json.dumps({"echo": "<EMAIL_ADDRESS_1>"})
    answer = response(message(text), text_format="json_schema")
    for restored in (restore_stream(stream_bytes(answer, 4), json_output_text=True),
                     restore_stream(stream_bytes(answer, 4))):  # learnt from response.created
        assert json.loads(restored.deltas("response.output_text.delta")) == {
            "echo": 'j"s@example.com'}
        assert json.loads(restored.first("response.output_text.done")["text"]) == {
            "echo": 'j"s@example.com'}


def test_result_and_usage_come_from_the_completed_response() -> None:
    restored = restore_stream(stream_bytes(response(message(ANSWER)), None))
    assert restored.result["id"] == "resp_1"
    assert restored.result["output"][0]["content"][0]["text"] == RESTORED
    assert restored.usage == {"input_tokens": 3, "output_tokens": 5, "total_tokens": 8}


def test_other_scopes_tokens_pass_through_as_text() -> None:
    restored = restore_stream(stream_bytes(response(message("hi <PERSON_9> <PERSON_1>")), 3))
    assert restored.deltas("response.output_text.delta") == "hi <PERSON_9> John Smith"


def test_custom_tool_input_deltas_are_restored_without_json_escaping() -> None:
    where = {"item_id": "ctc_1", "output_index": 0}
    raw = events_bytes(
        {"type": "response.custom_tool_call_input.delta", **where, "delta": "mail <EMAIL_"},
        {"type": "response.custom_tool_call_input.delta", **where, "delta": "ADDRESS_1> <PER"},
        {"type": "response.custom_tool_call_input.done", **where,
         "input": "mail <EMAIL_ADDRESS_1> <PER"})
    restored = restore_stream(raw)
    assert restored.deltas("response.custom_tool_call_input.delta") == (
        'mail j"s@example.com <PER')
    assert restored.types[-2:] == ["response.custom_tool_call_input.delta",
                                   "response.custom_tool_call_input.done"]
    assert restored.first("response.custom_tool_call_input.done")["input"] == (
        'mail j"s@example.com <PER')


def test_reasoning_text_and_refusal_deltas_are_restored() -> None:
    reasoning_at = {"item_id": "rs_1", "output_index": 0, "content_index": 0}
    refusal_at = {"item_id": "msg_1", "output_index": 1, "content_index": 0}
    raw = events_bytes(
        {"type": "response.reasoning_text.delta", **reasoning_at, "delta": "<PERS"},
        {"type": "response.refusal.delta", **refusal_at, "delta": "no, <PERSON"},
        {"type": "response.reasoning_text.delta", **reasoning_at, "delta": "ON_3> asks"},
        {"type": "response.refusal.delta", **refusal_at, "delta": "_1>"},
        {"type": "response.refusal.done", **refusal_at, "refusal": "no, <PERSON_1>"},
        {"type": "response.reasoning_text.done", **reasoning_at, "text": "<PERSON_3> asks"})
    restored = restore_stream(raw)
    assert restored.deltas("response.reasoning_text.delta") == "Zoë asks"
    assert restored.deltas("response.refusal.delta") == "no, John Smith"
    assert restored.first("response.refusal.done")["refusal"] == "no, John Smith"


def test_audio_bytes_untouched_and_transcript_tail_flushed_at_stream_end() -> None:
    raw = events_bytes(
        {"type": "response.audio.delta", "delta": "AAAA<PERSON_1>"},
        {"type": "response.audio.transcript.delta", "delta": "hello <PERSON_1> <EMAIL_"})
    restored = restore_stream(raw)
    assert restored.deltas("response.audio.delta") == "AAAA<PERSON_1>"
    assert restored.deltas("response.audio.transcript.delta") == "hello John Smith <EMAIL_"
    assert restored.types[-1] == "response.audio.transcript.delta"


def test_shell_output_deltas_are_held_per_field() -> None:
    where = {"item_id": "sh_1", "output_index": 0, "command_index": 0}
    raw = events_bytes(
        {"type": "response.shell_call_output_content.delta", **where,
         "delta": {"stdout": "user <PERSON", "stderr": ""}},
        {"type": "response.shell_call_output_content.delta", **where,
         "delta": {"stdout": "_1>", "stderr": "<EMAIL_ADDRESS_1>"}},
        {"type": "response.output_item.done", "output_index": 0,
         "item": {"type": "shell_call_output", "id": "sh_1"}})
    restored = restore_stream(raw)
    stdout = "".join(p["delta"].get("stdout", "") for _, p in restored.events
                     if p["type"].endswith("content.delta"))
    assert stdout == "user John Smith"
    assert restored.events[1][1]["delta"]["stderr"] == 'j"s@example.com'


def test_error_event_flushes_and_is_restored() -> None:
    where = {"item_id": "msg_1", "output_index": 0, "content_index": 0}
    raw = events_bytes(
        {"type": "response.output_text.delta", **where, "delta": "bye <PERSON_1"},
        {"type": "error", "code": "server_error", "message": "failed for <PERSON_1>"})
    restored = restore_stream(raw)
    assert restored.types == ["response.output_text.delta", "response.output_text.delta",
                              "error"]
    assert restored.deltas("response.output_text.delta") == "bye <PERSON_1"
    assert restored.first("error")["message"] == "failed for John Smith"
    assert restored.sequence() == [0, 1, 2]


def test_comments_pass_and_non_json_data_is_restored_as_text() -> None:
    def run() -> list[SSEEvent]:
        restorer = ResponsesStreamRestorer(restorer_of(VALUES),
                                           json_output_text=False)
        comment = SSEEvent(data=None, extra=[("", " keep-alive")])
        return [*restorer.on_event(comment),
                *restorer.on_event(SSEEvent(data="plain <PERSON_1>")),
                *restorer.finish()]

    comment, plain = run()
    assert comment.data is None and comment.extra == [("", " keep-alive")]
    assert plain.data == "plain John Smith"
