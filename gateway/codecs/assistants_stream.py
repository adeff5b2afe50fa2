"""Restoring an Assistants v2 stream (runs, create-and-run, submit_tool_outputs).

Assistants events are named only on the SSE ``event:`` line; their ``data`` is
either a whole object (a thread, run, message or run step, restored in full)
or a delta whose text arrives in pieces a token can be cut across:

- ``thread.message.delta``: ``delta.content[i].text.value`` (and ``refusal``),
  held back per (message id, content index);
- ``thread.run.step.delta``: ``step_details.tool_calls[i]`` ``function.arguments``
  (values JSON-escaped), ``function.output``, ``code_interpreter.input`` and
  ``code_interpreter.outputs[j].logs``, held back per (step id, tool call index,
  field).

A held tail goes out as one extra delta event for its message or step, just
before the event that closes it (``thread.message.completed``,
``thread.run.step.completed`` ...), before a run's terminal event (a
``requires_action`` run ends the stream while its tool-call step is still
open), before ``error`` and ``done``, or when the stream ends. The SDK merges
deltas by index, so the extra event reads as the last piece of the same text.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..restore import DeltaRestorer, Restorer
from ..slots import Json, dump_json_text
from ..sse import SSEEvent

MESSAGE_DELTA = "thread.message.delta"
STEP_DELTA = "thread.run.step.delta"
_MESSAGE_CLOSED = frozenset({"thread.message.completed", "thread.message.incomplete"})
_STEP_CLOSED = frozenset({"thread.run.step.completed", "thread.run.step.failed",
                          "thread.run.step.cancelled", "thread.run.step.expired"})
# After these nothing more of the run streams: every held tail must go out first.
_RUN_ENDED = frozenset({"thread.run.requires_action", "thread.run.completed",
                        "thread.run.failed", "thread.run.cancelled", "thread.run.expired",
                        "thread.run.incomplete", "error"})
# Whole objects the ledger needs from a stream, by event name.
_CREATED = {"thread.created": "thread", "thread.run.created": "thread.run",
            "thread.message.created": "thread.message"}
JSON_TEXT_KEYS = frozenset({"arguments"})
_ARGUMENTS = ("function", "arguments")
# Delta text fields of a tool call, by tool type (code interpreter logs come on top).
_TOOL_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "function": (_ARGUMENTS, ("function", "output")),
    "code_interpreter": (("code_interpreter", "input"),),
}
_MESSAGE_FIELDS: dict[str, tuple[str, ...]] = {"text": ("text", "value"), "refusal": ("refusal",)}

FieldPath = tuple[str | int, ...]
# What one holdback is for: ("message" | "step", object id, part or tool call index,
# part or tool type, field path with list positions given as the entries' own index).
Key = tuple[str, str, int, str, FieldPath]


@dataclass(frozen=True, slots=True)
class _Piece:
    """A piece of delta text taken out of an event, to go back in restored."""

    owner: dict[str, Any]  # the content part or tool call holding the text
    where: FieldPath       # its path inside ``owner`` in this event
    key: Key
    text: str


def _get(node: Any, path: FieldPath) -> Any:
    for step in path:
        in_list = isinstance(step, int) and isinstance(node, list) and 0 <= step < len(node)
        in_dict = isinstance(step, str) and isinstance(node, dict) and step in node
        if not (in_list or in_dict):
            return None
        node = node[step]
    return node


def _set(node: Any, path: FieldPath, value: str) -> None:
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value


def _escaped(key: Key) -> bool:
    """Tool-call arguments are JSON text: restored values must keep them valid JSON."""
    return key[0] == "step" and key[4] == _ARGUMENTS


class AssistantsStreamRestorer:
    """One per streamed call; ``result`` lists the objects the stream created."""

    def __init__(self, restorer: Restorer) -> None:
        self._restorer = restorer
        self._deltas: DeltaRestorer[Key] = DeltaRestorer(restorer)
        self._created: list[dict[str, str]] = []
        self.usage: dict[str, int] | None = None

    @property
    def result(self) -> Json:
        """Created threads, runs and messages in arrival order (parents first)."""
        return list(self._created)

    def on_event(self, event: SSEEvent) -> list[SSEEvent]:
        if event.data is None:
            return [event]
        if event.data.strip() == "[DONE]":
            return [*self.finish(), event]
        try:
            payload = json.loads(event.data)
        except ValueError:
            event.data = self._restorer.text(event.data)
            return [event]
        if not isinstance(payload, dict):
            payload = self._restorer.body(payload, JSON_TEXT_KEYS)
            event.data = dump_json_text(payload)
            return [event]
        # A provider that leaves the event line out still names deltas in ``object``.
        name = event.event or str(payload.get("object", ""))
        before: list[SSEEvent] = []
        if name == MESSAGE_DELTA:
            self._restore_delta(payload, _message_pieces(payload))
        elif name == STEP_DELTA:
            self._restore_delta(payload, _step_pieces(payload))
        else:
            before = self._flush_for(name, payload)
            self._restorer.body(payload, JSON_TEXT_KEYS)
            self._take(name, payload)
        event.data = dump_json_text(payload)
        return [*before, event]

    def finish(self) -> list[SSEEvent]:
        return self._flush(lambda key: True)

    def _restore_delta(self, payload: dict[str, Any], pieces: list[_Piece]) -> None:
        """Restore the rest of the event whole, then each piece through its holdback.

        The pieces were taken out of the event first, so no text is restored twice.
        """
        self._restorer.body(payload, JSON_TEXT_KEYS)
        for piece in pieces:
            _set(piece.owner, piece.where,
                 self._deltas.feed(piece.key, piece.text, _escaped(piece.key)))

    def _flush_for(self, name: str, payload: dict[str, Any]) -> list[SSEEvent]:
        object_id = payload.get("id")
        if name in _MESSAGE_CLOSED:
            return self._flush(lambda key: key[:2] == ("message", object_id))
        if name in _STEP_CLOSED:
            return self._flush(lambda key: key[:2] == ("step", object_id))
        if name in _RUN_ENDED:
            return self.finish()
        return []

    def _flush(self, wanted: Callable[[Key], bool]) -> list[SSEEvent]:
        """One extra delta event per message or step with held text, in arrival order."""
        grouped: dict[tuple[str, str], list[tuple[Key, str]]] = {}
        for key in self._deltas.pending_keys():
            if wanted(key):
                tail = self._deltas.flush(key, _escaped(key))
                grouped.setdefault((key[0], key[1]), []).append((key, tail))
        return [_delta_event(kind, object_id, tails)
                for (kind, object_id), tails in grouped.items()]

    def _take(self, name: str, payload: dict[str, Any]) -> None:
        """Note what the ledger and the audit record need; never a value."""
        kind = _CREATED.get(name)
        if kind is not None and isinstance(payload.get("id"), str):
            found = {"object": kind, "id": payload["id"]}
            if isinstance(payload.get("thread_id"), str):
                found["thread_id"] = payload["thread_id"]
            self._created.append(found)
        usage = payload.get("usage")
        if payload.get("object") == "thread.run" and isinstance(usage, dict):
            self.usage = {k: v for k, v in usage.items() if isinstance(v, int)}


def _index(entry: dict[str, Any]) -> int:
    index = entry.get("index", 0)
    return index if isinstance(index, int) else 0


def _take_piece(owner: dict[str, Any], where: FieldPath, key: Key) -> list[_Piece]:
    text = _get(owner, where)
    if not isinstance(text, str):
        return []
    _set(owner, where, "")
    return [_Piece(owner, where, key, text)]


def _message_pieces(payload: dict[str, Any]) -> list[_Piece]:
    message_id = str(payload.get("id", ""))
    parts = _get(payload, ("delta", "content"))
    pieces: list[_Piece] = []
    for part in parts if isinstance(parts, list) else []:
        kind = part.get("type") if isinstance(part, dict) else None
        if isinstance(kind, str) and kind in _MESSAGE_FIELDS:
            path = _MESSAGE_FIELDS[kind]
            pieces += _take_piece(part, path, ("message", message_id, _index(part), kind, path))
    return pieces


def _step_pieces(payload: dict[str, Any]) -> list[_Piece]:
    step_id = str(payload.get("id", ""))
    calls = _get(payload, ("delta", "step_details", "tool_calls"))
    pieces: list[_Piece] = []
    for call in calls if isinstance(calls, list) else []:
        if not isinstance(call, dict):
            continue
        kind = str(call.get("type", ""))
        for path in _TOOL_FIELDS.get(kind, ()):
            pieces += _take_piece(call, path, ("step", step_id, _index(call), kind, path))
        outputs = _get(call, ("code_interpreter", "outputs"))
        for position, output in enumerate(outputs if isinstance(outputs, list) else []):
            if isinstance(output, dict) and output.get("type") == "logs":
                key: Key = ("step", step_id, _index(call), kind,
                            ("code_interpreter", "outputs", _index(output), "logs"))
                pieces += _take_piece(call, ("code_interpreter", "outputs", position, "logs"),
                                      key)
    return pieces


def _delta_event(kind: str, object_id: str, tails: list[tuple[Key, str]]) -> SSEEvent:
    """The extra delta that carries held tails, shaped like the provider's own."""
    if kind == "message":
        content = [_message_part(key, tail) for key, tail in tails]
        data: dict[str, Any] = {"id": object_id, "object": MESSAGE_DELTA,
                                "delta": {"content": content}}
        return SSEEvent(data=dump_json_text(data), event=MESSAGE_DELTA)
    calls: dict[int, dict[str, Any]] = {}
    for key, tail in tails:
        call = calls.setdefault(key[2], {"index": key[2], "type": key[3]})
        _merge_tool_tail(call, key[4], tail)
    details = {"type": "tool_calls", "tool_calls": list(calls.values())}
    data = {"id": object_id, "object": STEP_DELTA, "delta": {"step_details": details}}
    return SSEEvent(data=dump_json_text(data), event=STEP_DELTA)


def _message_part(key: Key, tail: str) -> dict[str, Any]:
    part: dict[str, Any] = {"index": key[2], "type": key[3]}
    if key[3] == "text":
        part["text"] = {"value": tail}
    else:
        part[key[3]] = tail
    return part


def _merge_tool_tail(call: dict[str, Any], path: FieldPath, tail: str) -> None:
    """Put ``tail`` at ``path`` in a flush delta; a log output becomes an indexed entry."""
    section = call.setdefault(str(path[0]), {})
    if len(path) == 2:
        section[str(path[1])] = tail
    else:
        section.setdefault("outputs", []).append({"index": path[2], "type": "logs", "logs": tail})
