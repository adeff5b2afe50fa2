"""Running an assistant on a thread: the state changes and the events they emit.

A run executes at once, and every change it makes is also recorded as the
event a streaming client would receive (``thread.run.created``,
``thread.message.delta`` ...), so the streamed and the polled views of one
run can never disagree.
"""

from __future__ import annotations

import copy
from typing import Any

from gateway.simulator.assistants import add_message, text_part
from gateway.simulator.common import (
    ECHO_PREFIX,
    count_tokens,
    first_function,
    new_id,
    now,
    pieces,
    query_arguments,
    text_of,
)
from gateway.simulator.sse import DONE, SseEvent
from gateway.simulator.state import JsonObject, SimulatorState


class RunEvents:
    """The events of one call, in order; snapshots, since objects change later."""

    def __init__(self, piece_size: int | None) -> None:
        self.events: list[SseEvent] = []
        self.piece_size = piece_size

    def emit(self, name: str, data: JsonObject) -> None:
        self.events.append(SseEvent(copy.deepcopy(data), event=name))

    def finish(self) -> list[SseEvent]:
        self.events.append(SseEvent(DONE, event="done"))
        return self.events


def last_user_text(state: SimulatorState, thread_id: str) -> str:
    for message in reversed(state.store.messages[thread_id]):
        if message["role"] == "user":
            return text_of(message["content"])
    return ""


def execute(state: SimulatorState, run: JsonObject, events: RunEvents) -> None:
    """Take a queued run to ``requires_action`` (function tools) or ``completed``."""
    events.emit("thread.run.created", run)
    events.emit("thread.run.queued", run)
    _progress(run, events)
    text = last_user_text(state, run["thread_id"])
    tool = first_function(run["tools"])
    if tool is not None:
        _require_tool_call(state, run, str(tool.get("function", {}).get("name", "")), text, events)
    else:
        complete(state, run, ECHO_PREFIX + text, events)


def _progress(run: JsonObject, events: RunEvents) -> None:
    run["status"] = "in_progress"
    run["started_at"] = run["started_at"] or now()
    events.emit("thread.run.in_progress", run)


def resume(state: SimulatorState, run: JsonObject, text: str, events: RunEvents) -> None:
    """After tool outputs: back through the queue, then answer with ``text``."""
    run["status"] = "queued"
    run["required_action"] = None
    events.emit("thread.run.queued", run)
    _progress(run, events)
    complete(state, run, text, events)


def new_step(run: JsonObject, kind: str, details: JsonObject) -> JsonObject:
    return {
        "id": new_id("step_"),
        "object": "thread.run.step",
        "created_at": now(),
        "run_id": run["id"],
        "assistant_id": run["assistant_id"],
        "thread_id": run["thread_id"],
        "type": kind,
        "status": "in_progress",
        "cancelled_at": None,
        "completed_at": None,
        "expired_at": None,
        "failed_at": None,
        "last_error": None,
        "step_details": details,
        "usage": None,
    }


def _require_tool_call(
    state: SimulatorState, run: JsonObject, name: str, text: str, events: RunEvents
) -> None:
    call: JsonObject = {
        "id": new_id("call_"),
        "type": "function",
        "function": {"name": name, "arguments": query_arguments(text), "output": None},
    }
    step = new_step(run, "tool_calls", {"type": "tool_calls", "tool_calls": []})
    state.store.steps[run["id"]].append(step)
    events.emit("thread.run.step.created", step)
    events.emit("thread.run.step.in_progress", step)
    head = {**call, "index": 0, "function": {**call["function"], "arguments": ""}}
    events.emit("thread.run.step.delta", _step_delta(step, head))
    for piece in pieces(call["function"]["arguments"], events.piece_size):
        delta = {"index": 0, "type": "function", "function": {"arguments": piece}}
        events.emit("thread.run.step.delta", _step_delta(step, delta))
    step["step_details"]["tool_calls"] = [call]
    run["status"] = "requires_action"
    run["required_action"] = {
        "type": "submit_tool_outputs",
        "submit_tool_outputs": {
            "tool_calls": [
                {"id": call["id"], "type": "function", "function": _without_output(call)}
            ]
        },
    }
    events.emit("thread.run.requires_action", run)


def _without_output(call: JsonObject) -> JsonObject:
    function: JsonObject = call["function"]
    return {"name": function["name"], "arguments": function["arguments"]}


def _step_delta(step: JsonObject, tool_call: JsonObject) -> JsonObject:
    return {
        "id": step["id"],
        "object": "thread.run.step.delta",
        "delta": {"step_details": {"type": "tool_calls", "tool_calls": [tool_call]}},
    }


def complete(state: SimulatorState, run: JsonObject, text: str, events: RunEvents) -> None:
    """Answer with an assistant message carrying ``text`` and finish the run."""
    request = {"role": "assistant", "content": text}
    message = add_message(
        state, run["thread_id"], request, assistant_id=run["assistant_id"], run_id=run["id"]
    )
    details = {"type": "message_creation", "message_creation": {"message_id": message["id"]}}
    step = new_step(run, "message_creation", details)
    state.store.steps[run["id"]].append(step)
    events.emit("thread.run.step.created", step)
    events.emit("thread.run.step.in_progress", step)
    opened = {**message, "status": "in_progress", "content": [], "completed_at": None}
    events.emit("thread.message.created", opened)
    events.emit("thread.message.in_progress", opened)
    for piece in pieces(text, events.piece_size):
        events.emit("thread.message.delta", _message_delta(message["id"], piece))
    events.emit("thread.message.completed", message)
    usage = _usage(state, run, text)
    _finish(step, usage)
    events.emit("thread.run.step.completed", step)
    run.update(status="completed", completed_at=now(), usage=usage)
    events.emit("thread.run.completed", run)


def _message_delta(message_id: str, piece: str) -> JsonObject:
    part: dict[str, Any] = {"index": 0, **text_part(piece)}
    return {"id": message_id, "object": "thread.message.delta", "delta": {"content": [part]}}


def _finish(step: JsonObject, usage: JsonObject) -> None:
    step.update(status="completed", completed_at=now(), usage=usage)


def _usage(state: SimulatorState, run: JsonObject, text: str) -> JsonObject:
    prompt = sum(
        count_tokens(text_of(m["content"])) for m in state.store.messages[run["thread_id"]]
    )
    completion = count_tokens(text)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }
