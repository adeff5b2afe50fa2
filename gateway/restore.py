"""Response-side restoring: whole bodies and streams, in the caller's scope only.

The stream pieces here are pure bookkeeping around :class:`vault.tokens.Holdback`;
the only I/O is the scope's ``restore`` call, which the vault answers from its
cache in the common case.
"""

from __future__ import annotations

import copy
import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable
from typing import Any, Generic, Protocol, TypeVar

from vault import Scope
from vault.tokens import Holdback

from .slots import Json, dump_json_text, json_string_escape, restore_strings
from .sse import SSEEvent

K = TypeVar("K", bound=Hashable)


class RestorePort(Protocol):
    async def restore(self, scope: Scope, text: str,
                      escape: Callable[[str], str] | None = None) -> str: ...


class ScopeRestorer:
    """Restores tokens issued by one scope; any other token-shaped text is left alone."""

    __slots__ = ("_scope", "_vault")

    def __init__(self, vault: RestorePort, scope: Scope) -> None:
        self._vault = vault
        self._scope = scope

    async def text(self, text: str, json_escaped: bool = False) -> str:
        if "<" not in text:
            return text
        escape = json_string_escape if json_escaped else None
        return await self._vault.restore(self._scope, text, escape=escape)

    async def body(self, body: Json, json_text_keys: frozenset[str]) -> Json:
        return await restore_strings(body, self.text, json_text_keys)


class DeltaBuffers(Generic[K]):
    """One holdback per delta stream (a choice's content, a tool call's arguments...)."""

    __slots__ = ("_buffers",)

    def __init__(self) -> None:
        self._buffers: dict[K, Holdback] = {}

    def feed(self, key: K, piece: str) -> str:
        buffer = self._buffers.get(key)
        if buffer is None:
            buffer = self._buffers[key] = Holdback()
        return buffer.feed(piece)

    def flush(self, key: K) -> str:
        buffer = self._buffers.pop(key, None)
        return buffer.flush() if buffer is not None else ""

    def pending_keys(self) -> list[K]:
        return [key for key, buffer in self._buffers.items() if buffer.pending]


class StreamRestorer(Protocol):
    """Codec-specific SSE rewriting.

    ``usage`` is what the stream reported (for audit); ``result`` is the
    stream's answer as far as the ledger needs it (ids of created objects).
    """

    usage: dict[str, int] | None

    @property
    def result(self) -> Json: ...

    async def on_event(self, event: SSEEvent) -> list[SSEEvent]: ...

    async def finish(self) -> list[SSEEvent]: ...


class WholeEventStreamRestorer:
    """For streams whose events each carry whole strings: restore every event fully.

    Used where a family has no delta fields (and as the safe default for
    passthrough paths): nothing is held back, every token in an event is whole.
    """

    def __init__(self, restorer: ScopeRestorer, json_text_keys: frozenset[str]) -> None:
        self._restorer = restorer
        self._json_text_keys = json_text_keys
        self.usage: dict[str, int] | None = None

    @property
    def result(self) -> Json:
        return None

    async def on_event(self, event: SSEEvent) -> list[SSEEvent]:
        if event.data is not None and "<" in event.data:
            try:
                payload = json.loads(event.data)
            except ValueError:
                event.data = await self._restorer.text(event.data)
                return [event]
            payload = await self._restorer.body(payload, self._json_text_keys)
            event.data = dump_json_text(payload)
        return [event]

    async def finish(self) -> list[SSEEvent]:
        return []


class ChunkStreamRestorer(ABC, Generic[K]):
    """The shape Chat Completions and legacy completions streams share.

    Each event is a JSON chunk with ``choices``; ``[DONE]`` ends the stream and
    anything still held back goes out in one extra chunk just before it; an
    ``error`` object is restored whole. Subclasses restore one chunk's
    choices (``_restore_choices``) and build the flushed choices (``_flushed``).
    """

    def __init__(self, restorer: ScopeRestorer) -> None:
        self._restorer = restorer
        self._buffers: DeltaBuffers[K] = DeltaBuffers()
        self._envelope: dict[str, Any] | None = None
        self.usage: dict[str, int] | None = None
        self.response_id: str | None = None

    @property
    def result(self) -> Json:
        return {"id": self.response_id} if self.response_id else None

    async def on_event(self, event: SSEEvent) -> list[SSEEvent]:
        if event.data is None:
            return [event]
        if event.data.strip() == "[DONE]":
            return [*await self.finish(), event]
        try:
            chunk = json.loads(event.data)
        except ValueError:
            return [event]
        if not isinstance(chunk, dict):
            return [event]
        if "error" in chunk:
            await self._restorer.body(chunk, frozenset())
        else:
            self._take_envelope(chunk)
            await self._restore_choices(chunk)
        event.data = dump_json_text(chunk)
        return [event]

    async def finish(self) -> list[SSEEvent]:
        choices = await self._flushed()
        if not choices or self._envelope is None:
            return []
        chunk = {**copy.deepcopy(self._envelope), "choices": choices}
        return [SSEEvent(data=dump_json_text(chunk))]

    def _take_envelope(self, chunk: dict[str, Any]) -> None:
        if isinstance(chunk.get("usage"), dict):
            self.usage = {k: v for k, v in chunk["usage"].items() if isinstance(v, int)}
        if isinstance(chunk.get("id"), str):
            self.response_id = chunk["id"]
        self._envelope = {k: v for k, v in chunk.items() if k not in {"choices", "usage"}}

    @abstractmethod
    async def _restore_choices(self, chunk: dict[str, Any]) -> None:
        """Restore one chunk's choices in place, feeding and flushing holdbacks."""

    @abstractmethod
    async def _flushed(self) -> list[dict[str, Any]]:
        """Choices carrying every held tail, for the extra chunk at the end."""
