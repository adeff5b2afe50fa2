"""What every API family shares: the parsed call, replies, ids, echo text, lists.

Handlers are plain functions ``(state, call) -> Reply`` run under the state
lock; ``app.py`` does all the I/O (reading the body, waiting, streaming).
"""

from __future__ import annotations

import json
import secrets
import string
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gateway.simulator.errors import ApiError, invalid, missing
from gateway.simulator.sse import EventStream
from gateway.simulator.state import JsonObject, SimulatorState

REFUSE_DIRECTIVE = "[[refuse]]"
ECHO_PREFIX = "You said: "
TOOL_PREFIX = "Tool result: "
REFUSAL_PREFIX = "I can't help with that: "

_ALPHABET = string.ascii_letters + string.digits


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A multipart file field, read whole (the simulator keeps files in memory)."""

    filename: str
    content: bytes
    content_type: str


@dataclass(frozen=True, slots=True)
class Call:
    """One API request as a handler sees it: parsed, nothing left to await."""

    method: str
    path: str
    params: Mapping[str, str]
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: Any = None
    form: Mapping[str, str | UploadedFile] = field(default_factory=dict)

    def json(self) -> JsonObject:
        """The body as a JSON object; an empty body counts as ``{}``."""
        if self.body is None:
            return {}
        if not isinstance(self.body, dict):
            raise ApiError(400, "The request body must be a JSON object.")
        return self.body


@dataclass(frozen=True, slots=True)
class RawBody:
    """A non-JSON answer, such as a file's bytes."""

    content: bytes
    media_type: str = "application/octet-stream"


Reply = JsonObject | EventStream | RawBody
Handler = Callable[[SimulatorState, Call], Reply]


def new_id(prefix: str, length: int = 24) -> str:
    """An id shaped like OpenAI's: a kind prefix and random alphanumerics."""
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def now() -> int:
    return int(time.time())


def required(body: Mapping[str, Any], name: str) -> Any:
    if body.get(name) is None:
        raise missing(name)
    return body[name]


def text_of(content: Any) -> str:
    """The text in a content value: a string, or the text parts of a list joined.

    Accepts every text part shape the APIs use: ``{"type": "text", "text": str}``
    (chat, assistants create), ``{"text": {"value": str}}`` (assistants
    stored), ``input_text`` / ``output_text`` (responses).
    """
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    texts: list[str] = []
    for part in content:
        if isinstance(part, str):
            texts.append(part)
        elif isinstance(part, dict):
            text = part.get("text")
            if isinstance(text, dict):
                text = text.get("value")
            if isinstance(text, str):
                texts.append(text)
    return "\n".join(texts)


def is_refusal(text: str) -> bool:
    return REFUSE_DIRECTIVE in text


def refusal_text(text: str) -> str:
    """A refusal that still echoes the request, so restoring it is visible."""
    return REFUSAL_PREFIX + text.replace(REFUSE_DIRECTIVE, "").strip()


def pieces(text: str, size: int | None) -> list[str]:
    """Text cut into deltas of ``size`` characters (one delta when size is unset)."""
    if not text:
        return []
    if not size or size <= 0:
        return [text]
    return [text[i : i + size] for i in range(0, len(text), size)]


def count_tokens(text: str) -> int:
    """A stable stand-in for a tokenizer: about four characters a token."""
    return max(1, (len(text) + 3) // 4) if text else 0


def first_function(tools: Any) -> JsonObject | None:
    """The first function tool of a ``tools`` list, in either chat or flat shape."""
    if not isinstance(tools, list):
        return None
    for tool in tools:
        if isinstance(tool, dict) and tool.get("type") == "function":
            return tool
    return None


def query_arguments(text: str) -> str:
    """The tool-call arguments every family answers with: the user text as JSON."""
    return json.dumps({"query": text})


def query_int(call: Call, name: str, default: int, *, low: int = 1, high: int = 100) -> int:
    raw = call.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid(name, f"Invalid '{name}': expected an integer.") from None
    if not low <= value <= high:
        raise invalid(name, f"Invalid '{name}': must be between {low} and {high}.")
    return value


def page(
    call: Call,
    items: Sequence[JsonObject],
    *,
    default_order: str = "desc",
    extra: Mapping[str, Any] | None = None,
    default_limit: int = 20,
    max_limit: int = 100,
) -> JsonObject:
    """A cursor page (``limit``, ``order``, ``after``, ``before``) over items in creation order.

    Most listings take 1 to 100 objects, 20 by default; files take up to
    10,000, which is also their default (openapi.yaml).
    """
    order = call.query.get("order", default_order)
    if order not in ("asc", "desc"):
        raise invalid("order", "Invalid 'order': expected 'asc' or 'desc'.")
    ordered = list(items) if order == "asc" else list(reversed(items))
    ordered = _after(ordered, call.query.get("after"))
    before = call.query.get("before")
    if before:
        ids = [str(item["id"]) for item in ordered]
        ordered = ordered[: ids.index(before)] if before in ids else ordered
    limit = query_int(call, "limit", default_limit, high=max_limit)
    data = ordered[:limit]
    result: JsonObject = {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": len(ordered) > limit,
    }
    result.update(extra or {})
    return result


def _after(items: list[JsonObject], after: str | None) -> list[JsonObject]:
    if not after:
        return items
    ids = [str(item["id"]) for item in items]
    return items[ids.index(after) + 1 :] if after in ids else items


def deleted(object_id: str, kind: str) -> JsonObject:
    return {"id": object_id, "object": kind, "deleted": True}


def metadata_of(body: Mapping[str, Any]) -> JsonObject:
    value = body.get("metadata")
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid("metadata", "Invalid 'metadata': expected an object.")
    return dict(value)


def filtered(items: Iterable[JsonObject], **wanted: Any) -> list[JsonObject]:
    """Items whose fields equal every given non-None value (list filters)."""
    return [
        item
        for item in items
        if all(value is None or item.get(key) == value for key, value in wanted.items())
    ]


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One API operation: method, path under ``/v1``, handler.

    ``beta`` names the ``OpenAI-Beta`` header value the operation demands
    (the Assistants API refuses calls without ``assistants=v2``).
    """

    method: str
    path: str
    handler: Handler
    beta: str | None = None
