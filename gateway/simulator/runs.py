"""Assistants v2 runs and run steps, polled or streamed.

A run finishes as soon as it is created: with an assistant message echoing
the last user message, or, when the run has function tools, in
``requires_action`` with one tool call whose arguments carry the user text;
``submit_tool_outputs`` then completes it with "Tool result: <output>".
"""

from __future__ import annotations

from gateway.simulator.assistants import (
    BETA,
    add_message,
    assistant,
    new_thread,
    thread,
)
from gateway.simulator.common import (
    TOOL_PREFIX,
    Call,
    Endpoint,
    Reply,
    metadata_of,
    new_id,
    now,
    page,
    required,
)
from gateway.simulator.errors import ApiError, invalid, not_found
from gateway.simulator.run_engine import RunEvents, execute, resume
from gateway.simulator.sse import EventStream
from gateway.simulator.state import JsonObject, SimulatorState

_RUN = "/threads/{thread_id}/runs/{run_id}"
_CANCELLABLE = ("queued", "in_progress", "requires_action")
RUN_TTL_SECONDS = 600


def endpoints() -> list[Endpoint]:
    operations = [
        ("POST", "/threads/runs", create_thread_and_run),
        ("POST", "/threads/{thread_id}/runs", create_run),
        ("GET", "/threads/{thread_id}/runs", list_runs),
        ("GET", _RUN, retrieve_run),
        ("POST", _RUN, update_run),
        ("POST", _RUN + "/cancel", cancel_run),
        ("POST", _RUN + "/submit_tool_outputs", submit_tool_outputs),
        ("GET", _RUN + "/steps", list_steps),
        ("GET", _RUN + "/steps/{step_id}", retrieve_step),
    ]
    return [Endpoint(method, path, handler, beta=BETA) for method, path, handler in operations]


def _new_run(thread_id: str, owner: JsonObject, body: JsonObject) -> JsonObject:
    instructions = body.get("instructions") or owner.get("instructions")
    if body.get("additional_instructions"):
        instructions = f"{instructions or ''}\n{body['additional_instructions']}".strip()
    created_at = now()
    return {
        "id": new_id("run_"),
        "object": "thread.run",
        "created_at": created_at,
        "assistant_id": owner["id"],
        "thread_id": thread_id,
        "status": "queued",
        "started_at": None,
        "expires_at": created_at + RUN_TTL_SECONDS,
        "cancelled_at": None,
        "failed_at": None,
        "completed_at": None,
        "required_action": None,
        "last_error": None,
        "model": body.get("model") or owner["model"],
        "instructions": instructions,
        "tools": body["tools"] if body.get("tools") is not None else owner.get("tools") or [],
        "tool_resources": body.get("tool_resources") or {},
        "metadata": metadata_of(body),
        "usage": None,
        "incomplete_details": None,
        "temperature": body.get("temperature", owner.get("temperature", 1.0)),
        "top_p": body.get("top_p", owner.get("top_p", 1.0)),
        "max_prompt_tokens": body.get("max_prompt_tokens"),
        "max_completion_tokens": body.get("max_completion_tokens"),
        "truncation_strategy": body.get("truncation_strategy")
        or {"type": "auto", "last_messages": None},
        "response_format": body.get("response_format") or owner.get("response_format", "auto"),
        "tool_choice": body.get("tool_choice") or "auto",
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
    }


def _start(
    state: SimulatorState, thread_id: str, body: JsonObject, events: RunEvents
) -> JsonObject:
    owner = assistant(state, str(required(body, "assistant_id")))
    for extra in body.get("additional_messages") or []:
        if not isinstance(extra, dict) or "role" not in extra:
            raise invalid("additional_messages", "Invalid 'additional_messages' entry.")
        add_message(state, thread_id, {**extra, "content": extra.get("content", "")})
    run = _new_run(thread_id, owner, body)
    state.store.runs[run["id"]] = run
    state.store.steps[run["id"]] = []
    execute(state, run, events)
    return run


def _answer(run: JsonObject, body: JsonObject, events: RunEvents) -> Reply:
    return EventStream(events.finish()) if body.get("stream") else run


def create_run(state: SimulatorState, call: Call) -> Reply:
    thread_id = thread(state, call.params["thread_id"])["id"]
    body = call.json()
    events = RunEvents(state.stream_piece_chars)
    return _answer(_start(state, thread_id, body, events), body, events)


def create_thread_and_run(state: SimulatorState, call: Call) -> Reply:
    body = call.json()
    assistant(state, str(required(body, "assistant_id")))
    events = RunEvents(state.stream_piece_chars)
    created = new_thread(state, body.get("thread") or {})
    events.emit("thread.created", created)
    return _answer(_start(state, created["id"], body, events), body, events)


def _run(state: SimulatorState, call: Call) -> JsonObject:
    thread_id = thread(state, call.params["thread_id"])["id"]
    run_id = call.params["run_id"]
    found = state.store.runs.get(run_id)
    if found is None or found["thread_id"] != thread_id:
        raise not_found("run", run_id)
    return found


def list_runs(state: SimulatorState, call: Call) -> Reply:
    thread_id = thread(state, call.params["thread_id"])["id"]
    return page(call, [run for run in state.store.runs.values() if run["thread_id"] == thread_id])


def retrieve_run(state: SimulatorState, call: Call) -> Reply:
    return _run(state, call)


def update_run(state: SimulatorState, call: Call) -> Reply:
    run = _run(state, call)
    run["metadata"] = metadata_of(call.json())
    return run


def cancel_run(state: SimulatorState, call: Call) -> Reply:
    run = _run(state, call)
    if run["status"] not in _CANCELLABLE:
        raise ApiError(400, f"Cannot cancel run with status '{run['status']}'.")
    cancelled_at = now()
    run.update(status="cancelled", cancelled_at=cancelled_at, required_action=None)
    for step in state.store.steps[run["id"]]:
        if step["status"] == "in_progress":
            step.update(status="cancelled", cancelled_at=cancelled_at)
    return run


def _outputs(run: JsonObject, body: JsonObject) -> dict[str, str]:
    outputs = required(body, "tool_outputs")
    if not isinstance(outputs, list) or not all(isinstance(o, dict) for o in outputs):
        raise invalid("tool_outputs", "Invalid 'tool_outputs': expected an array of objects.")
    expected = {c["id"] for c in run["required_action"]["submit_tool_outputs"]["tool_calls"]}
    given = {str(o.get("tool_call_id")): str(o.get("output") or "") for o in outputs}
    if set(given) != expected:
        raise invalid("tool_outputs", "Tool outputs must answer every tool call of the run.")
    return given


def submit_tool_outputs(state: SimulatorState, call: Call) -> Reply:
    run = _run(state, call)
    if run["status"] != "requires_action":
        raise ApiError(
            400, f"Runs in status '{run['status']}' do not accept tool outputs.", param="run_id"
        )
    body = call.json()
    outputs = _outputs(run, body)
    events = RunEvents(state.stream_piece_chars)
    for step in state.store.steps[run["id"]]:
        if step["type"] == "tool_calls" and step["status"] == "in_progress":
            for tool_call in step["step_details"]["tool_calls"]:
                tool_call["function"]["output"] = outputs.get(tool_call["id"])
            step.update(status="completed", completed_at=now())
            events.emit("thread.run.step.completed", step)
    resume(state, run, TOOL_PREFIX + "\n".join(outputs.values()), events)
    return _answer(run, body, events)


def list_steps(state: SimulatorState, call: Call) -> Reply:
    return page(call, state.store.steps[_run(state, call)["id"]])


def retrieve_step(state: SimulatorState, call: Call) -> Reply:
    run = _run(state, call)
    step_id = call.params["step_id"]
    for step in state.store.steps[run["id"]]:
        if step["id"] == step_id:
            return step
    raise not_found("run step", step_id)
