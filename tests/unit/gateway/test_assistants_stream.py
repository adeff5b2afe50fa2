"""The Assistants stream restorer: held tails, whole objects, flush points, ledger result.

The helpers at the top build an Assistants v2 SSE stream the way the provider
writes it and read a restored stream back the way the SDK accumulates it; the
property test in tests/property/test_assistants_stream.py uses them too.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from gateway.codecs.assistants_stream import AssistantsStreamRestorer
from gateway.sse import SSEDecoder, SSEEvent
from tests.unit.gateway.fakes import restorer_of

VALUES = {"<PERSON_1>": "John Smith", "<EMAIL_ADDRESS_1>": "john.smith@example.com",
          "<PERSON_2>": 'Ann "Nan" O\\Brien'}
RUN = {"id": "run_1", "object": "thread.run", "thread_id": "thread_1", "status": "queued",
       "assistant_id": "asst_1", "instructions": "Help <PERSON_1>", "usage": None}


def sse(name: str, data: Any) -> bytes:
    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    return f"event: {name}\ndata: {payload}\n\n".encode()


def message_delta(piece: str, first: bool, message_id: str = "msg_1", index: int = 0
                  ) -> dict[str, Any]:
    text: dict[str, Any] = {"value": piece}
    if first:
        text["annotations"] = []
    part = {"index": index, "type": "text", "text": text}
    return {"id": message_id, "object": "thread.message.delta", "delta": {"content": [part]}}


def message(text: str, status: str = "completed", message_id: str = "msg_1"
            ) -> dict[str, Any]:
    content = [{"type": "text", "text": {"value": text, "annotations": []}}] if text else []
    return {"id": message_id, "object": "thread.message", "thread_id": "thread_1",
            "role": "assistant", "status": status, "content": content, "run_id": "run_1"}


def argument_delta(piece: str, first: bool, step_id: str = "step_1") -> dict[str, Any]:
    call: dict[str, Any] = {"index": 0, "function": {"arguments": piece}}
    if first:
        call.update(id="call_1", type="function")
        call["function"].update(name="lookup", output=None)
    else:
        call["type"] = "function"
    details = {"type": "tool_calls", "tool_calls": [call]}
    return {"id": step_id, "object": "thread.run.step.delta", "delta": {"step_details": details}}


def text_run(pieces: list[str], *, with_thread: bool = False, done: bool = True) -> bytes:
    """A run answering with one message whose text arrives in ``pieces``."""
    text = "".join(pieces)
    out = [sse("thread.created", {"id": "thread_1", "object": "thread"})] if with_thread else []
    out += [sse("thread.run.created", RUN), sse("thread.run.in_progress", {**RUN,
                                                                          "status": "in_progress"}),
            sse("thread.message.created", message("", "in_progress")),
            sse("thread.message.in_progress", message("", "in_progress"))]
    out += [sse("thread.message.delta", message_delta(piece, number == 0))
            for number, piece in enumerate(pieces)]
    out += [sse("thread.message.completed", message(text)),
            sse("thread.run.completed", {**RUN, "status": "completed",
                                         "usage": {"prompt_tokens": 3, "completion_tokens": 4,
                                                   "total_tokens": 7}})]
    if done:
        out.append(sse("done", "[DONE]"))
    return b"".join(out)


def tool_run(pieces: list[str]) -> bytes:
    """A run that calls ``lookup`` with arguments arriving in ``pieces``, then needs action."""
    arguments = "".join(pieces)
    call = {"id": "call_1", "type": "function",
            "function": {"name": "lookup", "arguments": arguments}}
    step = {"id": "step_1", "object": "thread.run.step", "type": "tool_calls",
            "status": "in_progress", "step_details": {"type": "tool_calls", "tool_calls": []}}
    waiting = {**RUN, "status": "requires_action", "required_action": {
        "type": "submit_tool_outputs", "submit_tool_outputs": {"tool_calls": [call]}}}
    out = [sse("thread.run.created", RUN), sse("thread.run.step.created", step)]
    out += [sse("thread.run.step.delta", argument_delta(piece, number == 0))
            for number, piece in enumerate(pieces)]
    out += [sse("thread.run.requires_action", waiting), sse("done", "[DONE]")]
    return b"".join(out)


def restore_async(raw: bytes, cuts: list[int] | None = None,
                        values: dict[str, str] | None = None
                        ) -> tuple[list[SSEEvent], AssistantsStreamRestorer]:
    """Feed ``raw`` to a restorer, cut at ``cuts``; return every event it wrote."""
    restorer = AssistantsStreamRestorer(
        restorer_of(VALUES if values is None else values))
    decoder, out = SSEDecoder(), []
    bounds = [0, *sorted(cuts or []), len(raw)]
    for start, end in itertools.pairwise(bounds):
        for event in decoder.decode(raw[start:end]):
            out += restorer.on_event(event)
    for event in decoder.flush():
        out += restorer.on_event(event)
    out += restorer.finish()
    return out, restorer


def restore(raw: bytes, cuts: list[int] | None = None, values: dict[str, str] | None = None
            ) -> tuple[list[SSEEvent], AssistantsStreamRestorer]:
    return restore_async(raw, cuts, values)


@dataclass
class ReadBack:
    """A restored stream as the SDK would accumulate it."""

    names: list[str | None] = field(default_factory=list)
    texts: dict[tuple[str, int], str] = field(default_factory=dict)
    arguments: dict[tuple[str, int], str] = field(default_factory=dict)
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Per event: was every delta text and argument of the message or step already
    # out when the event that closes it arrived?
    late: list[str] = field(default_factory=list)


def read_back(events: list[SSEEvent]) -> ReadBack:
    seen = ReadBack()
    closed: set[str] = set()
    for event in events:
        seen.names.append(event.event)
        if event.data is None or event.data == "[DONE]":
            continue
        data = json.loads(event.data)
        if event.event == "thread.message.delta":
            _late(seen, closed, data["id"])
            for part in data["delta"].get("content", []):
                key = (data["id"], part["index"])
                seen.texts[key] = seen.texts.get(key, "") + part["text"]["value"]
        elif event.event == "thread.run.step.delta":
            _late(seen, closed, data["id"])
            for call in data["delta"]["step_details"]["tool_calls"]:
                key = (data["id"], call["index"])
                piece = call.get("function", {}).get("arguments") or ""
                seen.arguments[key] = seen.arguments.get(key, "") + piece
        else:
            seen.objects[event.event or ""] = data
            if event.event in ("thread.message.completed", "thread.run.requires_action"):
                closed.add(data["id"])
                closed.update(["step_1"] if event.event == "thread.run.requires_action" else [])
    return seen


def _late(seen: ReadBack, closed: set[str], object_id: str) -> None:
    if object_id in closed:
        seen.late.append(object_id)


def test_text_cut_inside_a_token_is_restored_and_never_shown_half() -> None:
    events, _ = restore(text_run(["You said: <PER", "SON_1> at <EMAIL_", "ADDRESS_1>."]))
    seen = read_back(events)
    assert seen.texts[("msg_1", 0)] == "You said: John Smith at john.smith@example.com."
    assert all("<PER" not in (event.data or "") for event in events)
    assert seen.late == []


def test_whole_objects_are_restored_in_full() -> None:
    events, _ = restore(text_run(["Hi <PERSON_1>"]))
    seen = read_back(events)
    completed = seen.objects["thread.message.completed"]
    assert completed["content"][0]["text"]["value"] == "Hi John Smith"
    assert seen.objects["thread.run.created"]["instructions"] == "Help John Smith"


def test_held_tail_goes_out_before_the_message_completes() -> None:
    events, _ = restore(text_run(["Bye <PERSON_1", ">"], done=False))
    names = [event.event for event in events]
    completed = names.index("thread.message.completed")
    last_delta = max(i for i, name in enumerate(names) if name == "thread.message.delta")
    assert last_delta < completed
    assert read_back(events).texts[("msg_1", 0)] == "Bye John Smith"


def test_tail_held_at_the_end_of_a_message_goes_out_as_an_extra_delta() -> None:
    # The provider closes the message while "<PERSON_1" could still grow: it is
    # plain text then, sent in one extra delta before the completed message.
    events, _ = restore(text_run(["Bye <PERSON_1"]))
    names = [event.event for event in events]
    assert names.count("thread.message.delta") == 2
    assert names.index("thread.message.completed") > names.index("thread.message.delta")
    assert read_back(events).texts[("msg_1", 0)] == "Bye <PERSON_1"


def test_a_stream_cut_short_flushes_at_the_end() -> None:
    raw = b"".join([sse("thread.message.created", message("", "in_progress")),
                    sse("thread.message.delta", message_delta("To <PERSON_", True))])
    events, _ = restore(raw)
    assert read_back(events).texts[("msg_1", 0)] == "To <PERSON_"
    assert events[-1].event == "thread.message.delta"


def test_done_comes_after_every_held_tail() -> None:
    raw = b"".join([sse("thread.message.created", message("", "in_progress")),
                    sse("thread.message.delta", message_delta("To <EMAIL", True)),
                    sse("done", "[DONE]")])
    events, _ = restore(raw)
    assert [event.event for event in events][-2:] == ["thread.message.delta", "done"]
    assert events[-1].data == "[DONE]"


def test_tool_arguments_are_restored_json_escaped_before_requires_action() -> None:
    arguments = json.dumps({"query": "call <PERSON_2> at <EMAIL_ADDRESS_1>"})
    pieces = [arguments[:17], arguments[17:23], arguments[23:]]
    events, _ = restore(tool_run(pieces))
    seen = read_back(events)
    expected = {"query": 'call Ann "Nan" O\\Brien at john.smith@example.com'}
    assert json.loads(seen.arguments[("step_1", 0)]) == expected
    waiting = seen.objects["thread.run.requires_action"]
    call = waiting["required_action"]["submit_tool_outputs"]["tool_calls"][0]
    assert json.loads(call["function"]["arguments"]) == expected
    assert seen.late == []


def test_flushed_argument_tail_is_a_well_formed_tool_call_delta() -> None:
    events, _ = restore(tool_run(['{"query":"<PERSON_1', '"}']))
    deltas = [json.loads(e.data or "") for e in events if e.event == "thread.run.step.delta"]
    assert [d["delta"]["step_details"]["tool_calls"][0]["function"]["arguments"]
            for d in deltas] == ['{"query":"', '<PERSON_1"}']
    call = deltas[0]["delta"]["step_details"]["tool_calls"][0]
    assert call["id"] == "call_1" and call["function"]["name"] == "lookup"


def test_tokens_of_another_scope_pass_through() -> None:
    events, _ = restore(text_run(["Hi <PERSON_9> and <PERSON_1>"]))
    assert read_back(events).texts[("msg_1", 0)] == "Hi <PERSON_9> and John Smith"


def test_result_lists_created_objects_parents_first_and_usage() -> None:
    _, restorer = restore(text_run(["ok"], with_thread=True))
    assert restorer.result == [
        {"object": "thread", "id": "thread_1"},
        {"object": "thread.run", "id": "run_1", "thread_id": "thread_1"},
        {"object": "thread.message", "id": "msg_1", "thread_id": "thread_1"},
    ]
    assert restorer.usage == {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}


def test_refusal_parts_are_held_back_per_part() -> None:
    parts = [{"index": 0, "type": "text", "text": {"value": "A <PERS"}},
             {"index": 1, "type": "refusal", "refusal": "no <EMAIL_ADDRE"}]
    first = {"id": "msg_1", "object": "thread.message.delta", "delta": {"content": parts}}
    second = {"id": "msg_1", "object": "thread.message.delta", "delta": {"content": [
        {"index": 1, "type": "refusal", "refusal": "SS_1>"},
        {"index": 0, "type": "text", "text": {"value": "ON_1>"}}]}}
    raw = b"".join([sse("thread.message.delta", first), sse("thread.message.delta", second)])
    events, _ = restore(raw)
    texts, refusal = "", ""
    for event in events:
        for part in json.loads(event.data or "{}")["delta"]["content"]:
            if part["type"] == "text":
                texts += part["text"]["value"]
            else:
                refusal += part["refusal"]
    assert (texts, refusal) == ("A John Smith", "no john.smith@example.com")


def test_code_interpreter_input_and_logs_are_held_back() -> None:
    def step(code: str, logs: str) -> dict[str, Any]:
        call = {"index": 0, "type": "code_interpreter", "code_interpreter": {
            "input": code, "outputs": [{"index": 0, "type": "logs", "logs": logs}]}}
        return {"id": "step_2", "object": "thread.run.step.delta",
                "delta": {"step_details": {"type": "tool_calls", "tool_calls": [call]}}}

    raw = sse("thread.run.step.delta", step("print('<PERSON", "<EMAIL_ADDRESS_1"))
    raw += sse("thread.run.step.delta", step("_1>')", ">"))
    raw += sse("thread.run.step.completed", {"id": "step_2", "object": "thread.run.step"})
    events, _ = restore(raw)
    code, logs = "", ""
    for event in events[:-1]:
        call = json.loads(event.data or "")["delta"]["step_details"]["tool_calls"][0]
        code += call["code_interpreter"].get("input", "")
        logs += "".join(out["logs"] for out in call["code_interpreter"].get("outputs", []))
    assert (code, logs) == ("print('John Smith')", "john.smith@example.com")
    assert events[-1].event == "thread.run.step.completed"


def test_events_without_json_pass_through() -> None:
    raw = b": keep-alive\n\nevent: ping\ndata: hello <PERSON_1>\n\n"
    raw += sse("error", {"error": {"message": "bad <PERSON_1>", "type": "server_error"}})
    events, _ = restore(raw)
    assert events[0].data is None and events[0].extra == [("", " keep-alive")]
    assert events[1].data == "hello John Smith"
    assert json.loads(events[2].data or "")["error"]["message"] == "bad John Smith"


def test_event_names_are_kept() -> None:
    events, _ = restore(text_run(["x"]))
    assert [event.event for event in events] == [
        "thread.run.created", "thread.run.in_progress", "thread.message.created",
        "thread.message.in_progress", "thread.message.delta", "thread.message.completed",
        "thread.run.completed", "done"]


def test_deltas_without_an_event_line_are_still_held_back() -> None:
    first = json.dumps(message_delta("Hi <PERS", True))
    second = json.dumps(message_delta("ON_1>", False))
    events, _ = restore(f"data: {first}\n\ndata: {second}\n\n".encode())
    texts = [json.loads(e.data or "")["delta"]["content"][0]["text"]["value"] for e in events]
    assert texts == ["Hi ", "John Smith"]
    assert [event.event for event in events] == [None, None]
