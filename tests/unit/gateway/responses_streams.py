"""Build Responses SSE streams (the simulated provider's exact event sequence) and
read the restored stream back the way a client accumulates it."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from gateway.codecs.responses import ResponsesStreamRestorer
from gateway.simulator.responses_stream import response_events
from gateway.sse import SSEDecoder, SSEEvent

from .fakes import restorer_of

VALUES = {"<PERSON_1>": "John Smith", "<EMAIL_ADDRESS_1>": 'j"s@example.com',
          "<PHONE_NUMBER_2>": "+1 212 555 0199", "<PERSON_3>": "Zoë"}


def message(text: str, *, start: int = 0, end: int | None = None) -> dict[str, Any]:
    annotation = {"type": "url_citation", "start_index": start,
                  "end_index": len(text) if end is None else end,
                  "url": "https://example.com", "title": "About <PERSON_1>"}
    part = {"type": "output_text", "text": text, "annotations": [annotation], "logprobs": []}
    return {"type": "message", "id": "msg_1", "status": "completed", "role": "assistant",
            "content": [part]}


def function_call(arguments: str) -> dict[str, Any]:
    return {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "lookup",
            "arguments": arguments, "status": "completed"}


def reasoning(summary: str) -> dict[str, Any]:
    return {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text",
                                                             "text": summary}]}


def response(*output: dict[str, Any], text_format: str = "text") -> dict[str, Any]:
    return {"id": "resp_1", "object": "response", "status": "completed", "model": "m",
            "output": list(output), "store": True, "text": {"format": {"type": text_format}},
            "usage": {"input_tokens": 3, "output_tokens": 5, "total_tokens": 8,
                      "output_tokens_details": {"reasoning_tokens": 0}}}


def stream_bytes(answer: dict[str, Any], piece: int | None) -> bytes:
    return b"".join(event.encode() for event in response_events(answer, piece))


def events_bytes(*payloads: dict[str, Any]) -> bytes:
    """A hand-made stream: each payload gets its ``event:`` line and a sequence number."""
    out = b""
    for number, payload in enumerate(payloads):
        body = {**payload, "sequence_number": number}
        out += SSEEvent(data=json.dumps(body), event=payload["type"]).encode()
    return out


@dataclass
class Restored:
    """A restored stream as the client sees it."""

    events: list[tuple[str | None, dict[str, Any]]] = field(default_factory=list)
    result: Any = None
    usage: dict[str, int] | None = None

    @property
    def types(self) -> list[str]:
        return [payload["type"] for _, payload in self.events]

    def deltas(self, kind: str, **where: Any) -> str:
        """Concatenated ``delta`` of every ``kind`` event at ``where``."""
        return "".join(payload["delta"] for _, payload in self.events
                       if payload["type"] == kind
                       and all(payload.get(k) == v for k, v in where.items()))

    def first(self, kind: str) -> dict[str, Any]:
        return next(payload for _, payload in self.events if payload["type"] == kind)

    def sequence(self) -> list[int]:
        return [payload["sequence_number"] for _, payload in self.events]


def restore_events(raw: bytes, cuts: list[int] | None = None,
                         values: dict[str, str] | None = None, *,
                         json_output_text: bool = False) -> Restored:
    """Feed ``raw`` cut at ``cuts`` through the restorer, as the pipeline does."""
    restorer = ResponsesStreamRestorer(
        restorer_of(VALUES if values is None else values),
        json_output_text=json_output_text)
    decoder = SSEDecoder()
    out: list[SSEEvent] = []
    bounds = [0, *sorted(cuts or []), len(raw)]
    for start, end in itertools.pairwise(bounds):
        for event in decoder.decode(raw[start:end]):
            out += restorer.on_event(event)
    for event in decoder.flush():
        out += restorer.on_event(event)
    out += restorer.finish()
    events = [(event.event, json.loads(event.data or "{}")) for event in out]
    return Restored(events, restorer.result, restorer.usage)


def restore_stream(raw: bytes, cuts: list[int] | None = None,
                   values: dict[str, str] | None = None, *,
                   json_output_text: bool = False) -> Restored:
    return restore_events(raw, cuts, values, json_output_text=json_output_text)
