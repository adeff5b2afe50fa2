"""Helpers shared by the simulator tests: headers and an SSE parser."""

from __future__ import annotations

import json
from typing import Any

AUTH = {"Authorization": "Bearer sk-test"}
BETA = {"OpenAI-Beta": "assistants=v2"}


def sse_events(text: str) -> list[tuple[str | None, Any]]:
    """Parse an SSE body into (event name, decoded data) pairs."""
    events: list[tuple[str | None, Any]] = []
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        name: str | None = None
        data = ""
        for line in block.split("\n"):
            if line.startswith("event: "):
                name = line[len("event: ") :]
            elif line.startswith("data: "):
                data = line[len("data: ") :]
        events.append((name, data if data == "[DONE]" else json.loads(data)))
    return events


def datas(text: str) -> list[Any]:
    """Only the data payloads of an SSE body."""
    return [data for _, data in sse_events(text)]
