"""Chat Completions (``/v1/chat/completions``) and its stream of deltas.

Two things a request may name live on the provider account all tenants
share, so both must be the caller's tenant's: a file in a ``file`` content
part, and the audio of an earlier answer (``audio.id`` on an assistant
message), which the provider keeps for a while for multi-turn audio. The
audio ids of answers are recorded for that; they belong to their stored
completion when there is one.
"""

from __future__ import annotations

from typing import Any

from ..restore import ChunkStreamRestorer, Restorer
from ..routing import Route, route
from ..slots import Json
from .base import COMMON_FIELDS, JsonCodec, ObjectRef

_TEXT_DELTAS = ("content", "refusal")


def wants_json_content(request: Json) -> bool:
    """Structured outputs put JSON text in ``content``: restored values must be escaped."""
    response_format = request.get("response_format") if isinstance(request, dict) else None
    return isinstance(response_format, dict) and response_format.get("type") in {
        "json_object", "json_schema"}


class ChatCodec(JsonCodec):
    family = "chat"
    # A message's author name: user text, but the API takes [a-zA-Z0-9_-] only.
    fields = COMMON_FIELDS.extended(identifiers=("messages[].name",))

    def response_json_text_keys(self, request: Json) -> frozenset[str]:
        keys = self.json_text_keys
        return keys | {"content"} if wants_json_content(request) else keys

    def stream_restorer(self, request: Json, restorer: Restorer) -> ChatStreamRestorer:
        return ChatStreamRestorer(restorer, json_content=wants_json_content(request))

    def referenced_objects(self, body: Json) -> list[str]:
        messages = body.get("messages") if isinstance(body, dict) else None
        named: list[Json] = []
        for message in messages if isinstance(messages, list) else []:
            if not isinstance(message, dict):
                continue
            audio = message.get("audio")
            if isinstance(audio, dict):
                named.append(audio.get("id"))
            parts = message.get("content")
            for part in parts if isinstance(parts, list) else []:
                file = part.get("file") if isinstance(part, dict) else None
                if isinstance(file, dict) and part.get("type") == "file":
                    named.append(file.get("file_id"))
        return list(dict.fromkeys(ident for ident in named if isinstance(ident, str) and ident))

    def created_objects(self, request: Json, response: Json) -> list[ObjectRef]:
        if not (isinstance(response, dict) and isinstance(response.get("id"), str)):
            return []
        stored = isinstance(request, dict) and request.get("store") is True
        completion = response["id"] if stored else None
        objects = [ObjectRef("chat_completion", response["id"])] if stored else []
        return objects + [ObjectRef("chat_audio", audio_id, completion)
                          for audio_id in _audio_ids(response)]


def _audio_ids(response: dict[str, Any]) -> list[str]:
    found: dict[str, None] = {}
    choices = response.get("choices")
    for choice in choices if isinstance(choices, list) else []:
        message = choice.get("message") if isinstance(choice, dict) else None
        audio = message.get("audio") if isinstance(message, dict) else None
        if isinstance(audio, dict) and isinstance(audio.get("id"), str) and audio["id"]:
            found[audio["id"]] = None
    return list(found)


class ChatStreamRestorer(ChunkStreamRestorer[tuple[int, str, int]]):
    """Restores ``delta.content``, ``delta.refusal`` and tool-call arguments per choice.

    Each (choice, field, tool call) has its own holdback, flushed into the
    chunk that carries the choice's ``finish_reason``; anything still held when
    the stream ends goes out in one extra chunk before ``[DONE]``.
    """

    def __init__(self, restorer: Restorer, *, json_content: bool) -> None:
        super().__init__(restorer)
        self._json_content = json_content
        self._audio_ids: dict[str, None] = {}

    @property
    def result(self) -> Json:
        """The completion's id and the audio ids seen so far, shaped like a whole answer."""
        if self.response_id is None:
            return None
        return {"id": self.response_id, "choices": [
            {"message": {"audio": {"id": audio_id}}} for audio_id in self._audio_ids]}

    def _flushed(self) -> list[dict[str, Any]]:
        choices = []
        for choice_index in sorted({key[0] for key in self._deltas.pending_keys()}):
            delta: dict[str, Any] = {}
            self._flush_choice(choice_index, delta)
            choices.append({"index": choice_index, "delta": delta, "finish_reason": None})
        return choices

    def _restore_choices(self, chunk: dict[str, Any]) -> None:
        for choice in chunk.get("choices") or []:
            if not isinstance(choice, dict):
                continue
            index = choice.get("index", 0)
            delta = choice.get("delta")
            if not isinstance(delta, dict):
                delta = choice["delta"] = {}
            self._restore_delta(index, delta)
            if choice.get("finish_reason") is not None:
                self._flush_choice(index, delta)

    def _restore_delta(self, index: int, delta: dict[str, Any]) -> None:
        audio = delta.get("audio")
        if isinstance(audio, dict) and isinstance(audio.get("id"), str) and audio["id"]:
            self._audio_ids[audio["id"]] = None
        for field in _TEXT_DELTAS:
            piece = delta.get(field)
            if isinstance(piece, str):
                delta[field] = self._deltas.feed(
                    (index, field, 0), piece, field == "content" and self._json_content)
        for call in delta.get("tool_calls") or []:
            function = call.get("function") if isinstance(call, dict) else None
            if isinstance(function, dict) and isinstance(function.get("arguments"), str):
                function["arguments"] = self._deltas.feed(
                    (index, "tool", call.get("index", 0)), function["arguments"], True)
        legacy = delta.get("function_call")
        if isinstance(legacy, dict) and isinstance(legacy.get("arguments"), str):
            legacy["arguments"] = self._deltas.feed(
                (index, "function_call", 0), legacy["arguments"], True)

    def _flush_choice(self, index: int, delta: dict[str, Any]) -> None:
        for key in self._deltas.pending_keys():
            if key[0] != index:
                continue
            kind = key[1]
            if kind in _TEXT_DELTAS:
                text = self._deltas.flush(key, kind == "content" and self._json_content)
                delta[kind] = (delta.get(kind) or "") + text
            elif kind == "function_call":
                legacy = delta.setdefault("function_call", {})
                legacy["arguments"] = (legacy.get("arguments") or "") + (
                    self._deltas.flush(key, True))
            else:
                self._append_tool_arguments(delta, key[2], self._deltas.flush(key, True))

    @staticmethod
    def _append_tool_arguments(delta: dict[str, Any], call_index: int, text: str) -> None:
        calls = delta.setdefault("tool_calls", [])
        for call in calls:
            if call.get("index", 0) == call_index:
                function = call.setdefault("function", {})
                function["arguments"] = (function.get("arguments") or "") + text
                return
        calls.append({"index": call_index, "function": {"arguments": text}})


def routes() -> list[Route]:
    chat = ChatCodec()
    return [
        route("POST", "chat/completions", chat, stores=True),
        route("GET", "chat/completions", chat),
        route("GET POST DELETE", "chat/completions/{id}", chat),
        route("GET", "chat/completions/{id}/messages", chat),
    ]
