"""Responses-style items (messages, function calls, outputs, reasoning) as stored.

Responses and Conversations share one item model: whatever a request sends
is normalised the way OpenAI stores it (an id on every item, string content
turned into text parts, a status on messages), so listing and retrieving
return what the real API would.
"""

from __future__ import annotations

from typing import Any

from gateway.simulator.common import new_id, text_of
from gateway.simulator.errors import invalid
from gateway.simulator.state import JsonObject

_ID_PREFIXES = {
    "message": "msg_",
    "function_call": "fc_",
    "function_call_output": "fco_",
    "reasoning": "rs_",
    "custom_tool_call": "ctc_",
    "custom_tool_call_output": "ctco_",
}


def normalise_input(value: Any, param: str = "input") -> list[JsonObject]:
    """A ``str`` or list of items as stored items, each with an id."""
    if isinstance(value, str):
        return [message_item("user", value)]
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise invalid(param, f"Invalid '{param}': expected a string or an array of items.")
    return [normalise_item(item) for item in value]


def normalise_item(item: JsonObject) -> JsonObject:
    kind = item.get("type") or ("message" if "role" in item else None)
    if not isinstance(kind, str):
        raise invalid("input", "Invalid input item: it has neither 'type' nor 'role'.")
    stored: JsonObject = {**item, "type": kind}
    if kind == "item_reference":
        return stored
    stored.setdefault("id", new_id(_ID_PREFIXES.get(kind, "item_")))
    if kind == "message":
        stored["content"] = _parts(str(item.get("role", "user")), item.get("content"))
        stored.setdefault("status", "completed")
    if kind == "function_call":
        stored.setdefault("status", "completed")
    return stored


def message_item(role: str, text: str) -> JsonObject:
    return {
        "type": "message",
        "id": new_id("msg_"),
        "status": "completed",
        "role": role,
        "content": _parts(role, text),
    }


def _parts(role: str, content: Any) -> list[Any]:
    if isinstance(content, list):
        return content
    text = content if isinstance(content, str) else ""
    if role == "assistant":
        return [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}]
    return [{"type": "input_text", "text": text}]


def item_text(item: JsonObject) -> str:
    """Every piece of text an item carries (for token counts)."""
    texts = [text_of(item.get("content")), str(item.get("arguments") or "")]
    output = item.get("output")
    texts.append(output if isinstance(output, str) else text_of(output))
    return " ".join(text for text in texts if text)


def last_user_text(items: list[JsonObject]) -> str | None:
    for item in reversed(items):
        if item.get("type") == "message" and item.get("role") == "user":
            return text_of(item.get("content"))
    return None
