"""Response-side restoring: whole bodies and streams, in one scope only. Pure, no I/O.

A request opens its scope once (``vault.Vault.open``) before anything goes
upstream; every token the answer can hold was issued by then, so restoring
is a lookup in memory: a stream never waits on a database, and a failing
database cannot break a stream half way (it refused the request up front).
The spelling of each restored value follows what this request wrote
(:mod:`gateway.spellings`); the stream pieces are bookkeeping around
:class:`vault.tokens.Holdback`.
"""

from __future__ import annotations

import copy
import json
from abc import ABC, abstractmethod
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from vault.tokens import Holdback, find_tokens

from .slots import Json, dump_json_text, json_string_escape, restore_strings
from .spellings import CONTEXT_CHARS, Spellings
from .sse import SSEEvent

K = TypeVar("K", bound=Hashable)


class ValuesPort(Protocol):
    def value_of(self, token: str) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Edit:
    """The token at ``[start, end)`` of the upstream text became ``length`` characters."""

    start: int
    end: int
    length: int


class Restorer:
    """Restores the tokens one scope issued; any other token-shaped text is left alone."""

    __slots__ = ("_spellings", "_values")

    def __init__(self, values: ValuesPort, spellings: Spellings | None = None) -> None:
        self._values = values
        self._spellings = spellings

    def text(self, text: str, json_escaped: bool = False, before: str = "") -> str:
        """``text`` restored; ``before``: the upstream text that preceded it (streams)."""
        if "<" not in text:
            return text
        return self.with_edits(text, json_escaped, before)[0]

    def with_edits(self, text: str, json_escaped: bool = False, before: str = ""
                   ) -> tuple[str, list[Edit]]:
        """Restore ``text`` and say where its length changed (for annotation offsets)."""
        pieces: list[str] = []
        edits: list[Edit] = []
        cursor = 0
        for match in find_tokens(text):
            token = match.group()
            value = self._value(token, before, text, match.start())
            if value is None:
                continue
            if json_escaped:
                value = json_string_escape(value)
            pieces += [text[cursor:match.start()], value]
            cursor = match.end()
            edits.append(Edit(match.start(), match.end(), len(value)))
        if not edits:
            return text, []
        pieces.append(text[cursor:])
        return "".join(pieces), edits

    def _value(self, token: str, before: str, text: str, start: int) -> str | None:
        if self._spellings is not None:
            context = (before + text[max(0, start - CONTEXT_CHARS):start])[-CONTEXT_CHARS:]
            spelling = self._spellings.choose(token, context)
            if spelling is not None and self._values.value_of(token) is not None:
                return spelling
        return self._values.value_of(token)

    def body(self, body: Json, json_text_keys: frozenset[str]) -> Json:
        return restore_strings(body, self.text, json_text_keys)


class DeltaRestorer(Generic[K]):
    """Restores delta streams (a choice's content, a tool call's arguments...).

    One holdback per stream, so a token cut between two deltas is restored
    whole, and the tail of what each stream already said, so a value's
    spelling can follow the app's text the model is echoing.
    """

    __slots__ = ("_buffers", "_restorer", "_said")

    def __init__(self, restorer: Restorer) -> None:
        self._restorer = restorer
        self._buffers: dict[K, Holdback] = {}
        self._said: dict[K, str] = {}

    def feed(self, key: K, piece: str, json_escaped: bool = False) -> str:
        buffer = self._buffers.get(key)
        if buffer is None:
            buffer = self._buffers[key] = Holdback()
        return self._restored(key, buffer.feed(piece), json_escaped)

    def flush(self, key: K, json_escaped: bool = False) -> str:
        buffer = self._buffers.pop(key, None)
        return self._restored(key, buffer.flush(), json_escaped) if buffer is not None else ""

    def pending_keys(self) -> list[K]:
        return [key for key, buffer in self._buffers.items() if buffer.pending]

    def _restored(self, key: K, ready: str, json_escaped: bool) -> str:
        if not ready:
            return ""
        said = self._said.get(key, "")
        self._said[key] = (said + ready)[-CONTEXT_CHARS:]
        return self._restorer.text(ready, json_escaped, said)


class StreamRestorer(Protocol):
    """Codec-specific SSE rewriting.

    ``usage`` is what the stream reported (for audit); ``result`` is the
    stream's answer as far as the ledger needs it (ids of created objects).
    """

    usage: dict[str, int] | None

    @property
    def result(self) -> Json: ...

    def on_event(self, event: SSEEvent) -> list[SSEEvent]: ...

    def finish(self) -> list[SSEEvent]: ...


class WholeEventStreamRestorer:
    """For streams whose events each carry whole strings: restore every event fully.

    Used where a family has no delta fields (and as the safe default for
    passthrough paths): nothing is held back, every token in an event is whole.
    """

    def __init__(self, restorer: Restorer, json_text_keys: frozenset[str]) -> None:
        self._restorer = restorer
        self._json_text_keys = json_text_keys
        self.usage: dict[str, int] | None = None

    @property
    def result(self) -> Json:
        return None

    def on_event(self, event: SSEEvent) -> list[SSEEvent]:
        if event.data is not None and "<" in event.data:
            try:
                payload = json.loads(event.data)
            except ValueError:
                event.data = self._restorer.text(event.data)
                return [event]
            payload = self._restorer.body(payload, self._json_text_keys)
            event.data = dump_json_text(payload)
        return [event]

    def finish(self) -> list[SSEEvent]:
        return []


class ChunkStreamRestorer(ABC, Generic[K]):
    """The shape Chat Completions and legacy completions streams share.

    Each event is a JSON chunk with ``choices``; ``[DONE]`` ends the stream and
    anything still held back goes out in one extra chunk just before it; an
    ``error`` object is restored whole. Subclasses restore one chunk's
    choices (``_restore_choices``) and build the flushed choices (``_flushed``).
    """

    def __init__(self, restorer: Restorer) -> None:
        self._restorer = restorer
        self._deltas: DeltaRestorer[K] = DeltaRestorer(restorer)
        self._envelope: dict[str, Any] | None = None
        self.usage: dict[str, int] | None = None
        self.response_id: str | None = None

    @property
    def result(self) -> Json:
        return {"id": self.response_id} if self.response_id else None

    def on_event(self, event: SSEEvent) -> list[SSEEvent]:
        if event.data is None:
            return [event]
        if event.data.strip() == "[DONE]":
            return [*self.finish(), event]
        try:
            chunk = json.loads(event.data)
        except ValueError:
            return [event]
        if not isinstance(chunk, dict):
            return [event]
        if "error" in chunk:
            self._restorer.body(chunk, frozenset())
        else:
            self._take_envelope(chunk)
            self._restore_choices(chunk)
        event.data = dump_json_text(chunk)
        return [event]

    def finish(self) -> list[SSEEvent]:
        choices = self._flushed()
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
    def _restore_choices(self, chunk: dict[str, Any]) -> None:
        """Restore one chunk's choices in place, feeding and flushing holdbacks."""

    @abstractmethod
    def _flushed(self) -> list[dict[str, Any]]:
        """Choices carrying every held tail, for the extra chunk at the end."""
