"""Responses streaming: OpenAI's full event sequence for a finished response.

Every event names itself twice, on the ``event:`` line and in ``type``, and
carries a ``sequence_number``. Whole-object events (``response.created``,
``output_item.added``/``done``, ``content_part.added``/``done``) and the
``*.delta``/``*.done`` events all appear, because the gateway must restore
each kind differently.
"""

from __future__ import annotations

import copy
from typing import Any

from gateway.simulator.common import pieces
from gateway.simulator.sse import SseEvent
from gateway.simulator.state import JsonObject


class _Sequence:
    """Numbers events in order; one per stream."""

    def __init__(self, piece_size: int | None) -> None:
        self.events: list[SseEvent] = []
        self.piece_size = piece_size

    def emit(self, kind: str, **fields: Any) -> None:
        data = {"type": kind, "sequence_number": len(self.events), **fields}
        self.events.append(SseEvent(data, event=kind))


def response_events(response: JsonObject, piece_size: int | None) -> list[SseEvent]:
    """Every SSE event for ``response``, from ``response.created`` to ``completed``."""
    seq = _Sequence(piece_size)
    opening = {**response, "status": "in_progress", "output": [], "usage": None}
    seq.emit("response.created", response=opening)
    seq.emit("response.in_progress", response=opening)
    for index, item in enumerate(response["output"]):
        _item(seq, index, item)
    seq.emit("response.completed", response=response)
    return seq.events


def _item(seq: _Sequence, index: int, item: JsonObject) -> None:
    kind = item["type"]
    if kind == "message":
        seq.emit("response.output_item.added", output_index=index, item=_opened(item, "content"))
        for content_index, part in enumerate(item["content"]):
            _content_part(seq, index, item["id"], content_index, part)
    elif kind == "function_call":
        seq.emit(
            "response.output_item.added",
            output_index=index,
            item={**item, "arguments": "", "status": "in_progress"},
        )
        _function_arguments(seq, index, item)
    elif kind == "custom_tool_call":
        opened = {**item, "input": "", "status": "in_progress"}
        seq.emit("response.output_item.added", output_index=index, item=opened)
        _custom_input(seq, index, item)
    else:
        seq.emit("response.output_item.added", output_index=index, item=_opened(item, "summary"))
        for summary_index, part in enumerate(item["summary"]):
            _summary_part(seq, index, item["id"], summary_index, part)
    seq.emit("response.output_item.done", output_index=index, item=item)


def _opened(item: JsonObject, parts: str) -> JsonObject:
    opened = copy.deepcopy(item)
    opened[parts] = []
    if "status" in opened:
        opened["status"] = "in_progress"
    return opened


def _content_part(seq: _Sequence, index: int, item_id: str, content_index: int, part: Any) -> None:
    where = {"item_id": item_id, "output_index": index, "content_index": content_index}
    if part["type"] == "refusal":
        seq.emit("response.content_part.added", **where, part={"type": "refusal", "refusal": ""})
        for piece in pieces(part["refusal"], seq.piece_size):
            seq.emit("response.refusal.delta", **where, delta=piece)
        seq.emit("response.refusal.done", **where, refusal=part["refusal"])
    else:
        empty = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
        seq.emit("response.content_part.added", **where, part=empty)
        for piece in pieces(part["text"], seq.piece_size):
            seq.emit("response.output_text.delta", **where, delta=piece, logprobs=[])
        for annotation_index, annotation in enumerate(part.get("annotations", [])):
            seq.emit(
                "response.output_text.annotation.added",
                **where,
                annotation_index=annotation_index,
                annotation=annotation,
            )
        seq.emit("response.output_text.done", **where, text=part["text"], logprobs=[])
    seq.emit("response.content_part.done", **where, part=part)


def _function_arguments(seq: _Sequence, index: int, item: JsonObject) -> None:
    where = {"item_id": item["id"], "output_index": index}
    for piece in pieces(item["arguments"], seq.piece_size):
        seq.emit("response.function_call_arguments.delta", **where, delta=piece)
    seq.emit(
        "response.function_call_arguments.done",
        **where,
        name=item["name"],
        arguments=item["arguments"],
    )


def _custom_input(seq: _Sequence, index: int, item: JsonObject) -> None:
    where = {"item_id": item["id"], "output_index": index}
    for piece in pieces(item["input"], seq.piece_size):
        seq.emit("response.custom_tool_call_input.delta", **where, delta=piece)
    seq.emit("response.custom_tool_call_input.done", **where, input=item["input"])


def _summary_part(seq: _Sequence, index: int, item_id: str, summary_index: int, part: Any) -> None:
    where = {"item_id": item_id, "output_index": index, "summary_index": summary_index}
    seq.emit(
        "response.reasoning_summary_part.added", **where, part={"type": "summary_text", "text": ""}
    )
    for piece in pieces(part["text"], seq.piece_size):
        seq.emit("response.reasoning_summary_text.delta", **where, delta=piece)
    seq.emit("response.reasoning_summary_text.done", **where, text=part["text"])
    seq.emit("response.reasoning_summary_part.done", **where, part=part)
