"""The Responses API (``/v1/responses``): requests, stored responses and their stream.

Requests are scanned like every family (every string but the structural
ones; function-call ``arguments`` leaf by leaf). A response built on a
previous response, a conversation, referenced items, stored files, vector
stores or code containers names upstream objects, which must belong to the
caller's tenant before anything is sent (:func:`~gateway.codecs.items.referenced_ids`);
what it creates is recorded, down to each output item. Answers are restored
with :class:`~gateway.codecs.items.DocumentRestorer` (annotation offsets
follow restored values); the stream by :class:`ResponsesStreamRestorer`.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from ..restore import DeltaRestorer, Restorer
from ..routing import Route, route
from ..slots import Json, Slot, dump_json_text
from ..sse import SSEEvent
from .base import JsonCodec, ObjectRef, RawBody
from .items import (
    ITEM_FIELDS,
    JSON_TEXT_KEYS,
    DocumentRestorer,
    item_ids,
    item_request_slots,
    referenced_ids,
    restore_answer,
    shift_annotation,
    wants_json_text,
)

# Deltas that carry base64 audio, not text: passed on untouched.
_BINARY_DELTAS = frozenset({"response.audio.delta", "response.output_audio.delta"})
# Deltas whose text is JSON: restored values are JSON-escaped.
_JSON_DELTAS = frozenset({"response.function_call_arguments", "response.mcp_call_arguments"})
_OUTPUT_TEXT = "response.output_text"
# Where a delta belongs inside the response; one holdback per place and kind.
_PLACE = ("output_index", "content_index", "summary_index", "command_index")
# Events after which no delta of any stream may follow: everything held goes out first.
_TERMINAL = frozenset({"response.completed", "response.incomplete", "response.failed",
                       "response.cancelled", "error"})
_LIFECYCLE = frozenset({"response.created", "response.queued", "response.in_progress",
                        "response.completed", "response.incomplete", "response.failed"})
# A part/item closing flushes the deltas at or below it.
_CLOSING = {"response.content_part.done": ("output_index", "content_index"),
            "response.reasoning_summary_part.done": ("output_index", "summary_index"),
            "response.output_item.done": ("output_index",)}

Place = tuple[Any, ...]
Key = tuple[str, Place, str | None]  # (event kind without ".delta", place, delta field)


def conversation_of(request: Json) -> str | None:
    value = request.get("conversation") if isinstance(request, dict) else None
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


class ResponsesCodec(JsonCodec):
    family = "responses"
    fields = ITEM_FIELDS
    json_text_keys = JSON_TEXT_KEYS

    def request_slots(self, body: Json) -> list[Slot]:
        return item_request_slots(body)

    def referenced_objects(self, body: Json) -> list[str]:
        """What the response builds on: chain, conversation, referenced items, files...

        Input items that go into a conversation keep the ids the app gave
        them, and listing the conversation records its items for its owner,
        so such an id must already be the tenant's (see ConversationsCodec).
        """
        if not isinstance(body, dict):
            return []
        previous = body.get("previous_response_id")
        conversation = conversation_of(body)
        named = [previous, conversation, *referenced_ids(body)]
        if conversation:
            named += item_ids(body.get("input"))
        return list(dict.fromkeys(ident for ident in named if isinstance(ident, str) and ident))

    def restore_body(self, request: Json, body: RawBody, restorer: Restorer
                           ) -> RawBody:
        return restore_answer(request, body, restorer)

    def stream_restorer(self, request: Json, restorer: Restorer
                        ) -> ResponsesStreamRestorer:
        return ResponsesStreamRestorer(restorer, json_output_text=wants_json_text(request))

    def created_objects(self, request: Json, response: Json) -> list[ObjectRef]:
        """A stored response, its items and the code containers it ran in.

        Items may be named by ``item_reference`` later, so each output item
        with an id is recorded: under the conversation it was added to, else
        under the stored response (deleting either takes it out of reach).
        The response's own parent is none: deleting a conversation leaves its
        responses upstream, and erasure must still find them. A read (a
        background response polled until it is done) records only the items;
        the response was recorded when it was created. Input items get ids
        upstream but are named only when listed (``input_items``), so a
        listing records them under the response.
        """
        if isinstance(response, dict) and response.get("object") == "list":
            # The input items of a stored response: the provider names them
            # only here. The path's response is the owner's (the pipeline
            # checked it) and becomes their parent.
            return [ObjectRef("response_item", item_id)
                    for item_id in item_ids(response.get("data"))]
        if not (isinstance(response, dict) and response.get("object") == "response"
                and isinstance(response.get("id"), str)):
            return []
        response_id: str = response["id"]
        stored = response.get("store")
        if not isinstance(stored, bool):
            stored = not (isinstance(request, dict) and request.get("store") is False)
        conversation = conversation_of(request) or conversation_of(response)
        output = response.get("output")
        objects = [ObjectRef("response", response_id)] if stored and isinstance(
            request, dict) else []
        if conversation:
            objects += [ObjectRef("conversation_item", item_id, conversation)
                        for item_id in item_ids(output)]
        elif stored:
            objects += [ObjectRef("response_item", item_id, response_id)
                        for item_id in item_ids(output)]
        return objects + [ObjectRef("container", container_id, response_id if stored else None)
                          for container_id in _container_ids(output)]


def _container_ids(output: Json) -> list[str]:
    """Containers code interpreter ran in (created on the fly by ``{"type": "auto"}``)."""
    found: dict[str, None] = {}
    for item in output if isinstance(output, list) else []:
        if isinstance(item, dict) and item.get("type") == "code_interpreter_call":
            container_id = item.get("container_id")
            if isinstance(container_id, str) and container_id:
                found[container_id] = None
    return list(found)


class _Sequencer:
    """Keeps ``sequence_number`` strictly increasing once extra deltas are inserted.

    Upstream numbers are kept while nothing was inserted, then shifted by the
    number of inserted events, so a client's ``starting_after`` stays close.
    """

    __slots__ = ("_last", "_offset")

    def __init__(self) -> None:
        self._last: int | None = None
        self._offset = 0

    def number(self, payload: dict[str, Any], *, inserted: bool) -> None:
        upstream = payload.get("sequence_number")
        if not isinstance(upstream, int) or isinstance(upstream, bool):
            return
        following = 0 if self._last is None else self._last + 1
        if inserted:
            number = following
            self._offset += 1
        else:
            number = max(upstream + self._offset, following)
            self._offset = number - upstream
        payload["sequence_number"] = self._last = number


class ResponsesStreamRestorer:
    """Restores a Responses event stream.

    Every ``*.delta`` with text goes through a holdback per (kind, output item,
    content/summary/command part[, delta field]); what is held is sent as one
    extra delta event just before the matching ``*.done`` (or before the part,
    item or response closes, or at stream end). Every other event carries
    whole strings and is restored in full. ``result`` is the last response
    object seen (ids for the ledger), ``usage`` its usage.
    """

    def __init__(self, restorer: Restorer, *, json_output_text: bool) -> None:
        self._restorer = restorer
        self._json_output_text = json_output_text
        self._deltas: DeltaRestorer[Key] = DeltaRestorer(restorer)
        self._templates: dict[Key, tuple[str | None, dict[str, Any]]] = {}
        self._part_text: dict[Place, str] = {}
        self._sequence = _Sequencer()
        self._response: dict[str, Any] | None = None
        self.usage: dict[str, int] | None = None

    @property
    def result(self) -> Json:
        return self._response

    def on_event(self, event: SSEEvent) -> list[SSEEvent]:
        if event.data is None:
            return [event]
        try:
            payload = json.loads(event.data)
        except ValueError:
            event.data = self._restorer.text(event.data)
            return [event]
        if not isinstance(payload, dict):
            return [event]
        kind = payload.get("type") if isinstance(payload.get("type"), str) else event.event
        kind = kind or ""
        out: list[SSEEvent] = []
        if kind.endswith(".delta"):
            if kind not in _BINARY_DELTAS:
                self._delta(kind.removesuffix(".delta"), event.event, payload)
        else:
            out = self._flush(self._closed_by(kind, payload))
            self._whole(kind, payload)
        self._sequence.number(payload, inserted=False)
        event.data = dump_json_text(payload)
        return [*out, event]

    def finish(self) -> list[SSEEvent]:
        return self._flush(self._pending())

    def _pending(self) -> list[Key]:
        return self._deltas.pending_keys()

    def _delta(self, base: str, name: str | None, payload: dict[str, Any]) -> None:
        place = tuple(payload.get(field) for field in _PLACE)
        piece = payload.get("delta")
        if isinstance(piece, str):
            if base == _OUTPUT_TEXT:
                self._part_text[place] = self._part_text.get(place, "") + piece
            payload["delta"] = self._feed((base, place, None), name, payload, piece)
        elif isinstance(piece, dict):  # shell output: {"stdout": ..., "stderr": ...}
            for field, value in piece.items():
                if isinstance(value, str):
                    piece[field] = self._feed((base, place, field), name, payload, value)

    def _feed(self, key: Key, name: str | None, payload: dict[str, Any], piece: str) -> str:
        self._templates[key] = (name, payload)
        return self._deltas.feed(key, piece, self._escaped(key[0]))

    def _escaped(self, base: str) -> bool:
        return base in _JSON_DELTAS or (base == _OUTPUT_TEXT and self._json_output_text)

    def _closed_by(self, kind: str, payload: dict[str, Any]) -> list[Key]:
        """The pending delta streams that must be complete before this event."""
        pending = self._pending()
        if kind in _TERMINAL:
            return pending
        if kind.endswith(".done") and kind not in _CLOSING:
            base = kind.removesuffix(".done")
            place = tuple(payload.get(field) for field in _PLACE)
            return [key for key in pending if key[:2] == (base, place)]
        fields = _CLOSING.get(kind)
        if fields is None:
            return []
        where = {field: payload.get(field) for field in fields}
        return [key for key in pending
                if all(key[1][_PLACE.index(f)] == v for f, v in where.items())]

    def _flush(self, keys: list[Key]) -> list[SSEEvent]:
        out: list[SSEEvent] = []
        for key in keys:
            base, _, field = key
            text = self._deltas.flush(key, self._escaped(base))
            name, template = self._templates[key]
            payload = copy.deepcopy(template)
            payload["delta"] = {field: text} if field is not None else text
            payload.pop("obfuscation", None)
            if "logprobs" in payload:
                payload["logprobs"] = []
            self._sequence.number(payload, inserted=True)
            out.append(SSEEvent(data=dump_json_text(payload), event=name))
        return out

    def _whole(self, kind: str, payload: dict[str, Any]) -> None:
        done_text = kind == "response.output_text.done" and isinstance(payload.get("text"), str)
        if done_text:
            payload["text"] = self._restorer.text(payload["text"], self._json_output_text)
        elif kind == "response.output_text.annotation.added":
            place = tuple(payload.get(field) for field in _PLACE)
            _, edits = self._restorer.with_edits(self._part_text.get(place, ""),
                                                 self._json_output_text)
            shift_annotation(payload.get("annotation"), edits)
        response = payload.get("response")
        if kind not in _LIFECYCLE or not isinstance(response, dict):
            response = None
        self._json_output_text = self._json_output_text or wants_json_text(response)
        restorer = DocumentRestorer(self._restorer, json_output_text=self._json_output_text)
        for name, value in payload.items():
            if not (done_text and name == "text"):
                payload[name] = restorer.restore(value, name)
        if response is not None:
            self._response = response
            usage = response.get("usage")
            if isinstance(usage, dict):
                self.usage = {k: v for k, v in usage.items() if isinstance(v, int)}


def routes() -> list[Route]:
    # Imported here: gateway.routes imports every family's routes() at its top.

    codec = ResponsesCodec()
    return [
        route("POST", "responses", codec, stores=True),
        route("GET DELETE", "responses/{id}", codec),
        route("GET", "responses/{id}/input_items", codec),
        route("POST", "responses/{id}/cancel", codec),
    ]
