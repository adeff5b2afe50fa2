"""Server-sent events as OpenAI writes them, cut into bytes as a test asks.

Chat and legacy completions send ``data: {...}\\n\\n`` and end with
``data: [DONE]``; Responses and Assistants name each event on an
``event:`` line. The writer can cut the byte stream at any size, splitting
lines and UTF-8 sequences, because that is what a real network does to the
gateway's stream restorer.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

DONE = "[DONE]"


@dataclass(frozen=True, slots=True)
class SseEvent:
    """One event: a JSON payload (or the literal ``[DONE]``) and an optional name."""

    data: Any
    event: str | None = None

    def encode(self) -> bytes:
        payload = self.data if isinstance(self.data, str) else compact_json(self.data)
        head = f"event: {self.event}\n" if self.event else ""
        return f"{head}data: {payload}\n\n".encode()


@dataclass(frozen=True, slots=True)
class EventStream:
    """A whole stream, computed up front; ``app.py`` writes it out."""

    events: list[SseEvent] = field(default_factory=list)


def compact_json(value: Any) -> str:
    """JSON as OpenAI streams it: no spaces, non-ASCII written as is."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def chunks(stream: EventStream, chunk_size: int | None) -> list[bytes]:
    """The writes to make: one per event, or fixed-size slices of the whole."""
    encoded = [event.encode() for event in stream.events]
    if not chunk_size or chunk_size <= 0:
        return encoded
    whole = b"".join(encoded)
    return [whole[i : i + chunk_size] for i in range(0, len(whole), chunk_size)]


async def write(
    stream: EventStream,
    chunk_size: int | None,
    pause: Callable[[], Awaitable[None]],
) -> AsyncIterator[bytes]:
    """Yield the stream's writes, awaiting ``pause`` between two of them."""
    for index, chunk in enumerate(chunks(stream, chunk_size)):
        if index:
            await pause()
        yield chunk
