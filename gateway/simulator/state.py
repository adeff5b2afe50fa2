"""What a test controls and inspects: recorded requests, knobs, faults, objects.

The app may run in a uvicorn thread while the test thread reads the recording
or changes a knob, so every read and write of shared collections goes through
one re-entrant lock. Handlers run under that same lock (see ``app.py``), which
makes each request's object changes atomic as seen from the test thread.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

JsonObject = dict[str, Any]

DEFAULT_STREAM_PIECE_CHARS = 4


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request exactly as it arrived: what tests grep for leaked values."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    json: Any = None

    def text(self) -> str:
        """Request line with decoded query values, body, parsed JSON without escapes.

        The query is there because a value in a URL has arrived too. The JSON
        is re-encoded because a client may send ``"\\u00e9"`` for ``é``: a
        grep for the plain value must still find it.
        """
        query = " ".join(f"{name}={value}" for name, value in self.query.items())
        parts = [f"{self.method} {self.path} {query}", self.body.decode("utf-8", errors="replace")]
        if self.json is not None:
            parts.append(json.dumps(self.json, ensure_ascii=False))
        return "\n".join(parts)


@dataclass(frozen=True, slots=True)
class Fault:
    """An injected failure: answer with this status and body instead."""

    status: int
    body: JsonObject | None


@dataclass(slots=True)
class Store:
    """Every object the simulated provider holds, by kind, each keyed by id.

    Objects are kept as the JSON dicts the API returns, so a retrieve is a
    lookup and tests can compare with what a create answered.
    """

    chat_completions: dict[str, JsonObject] = field(default_factory=dict)
    chat_messages: dict[str, list[JsonObject]] = field(default_factory=dict)
    responses: dict[str, JsonObject] = field(default_factory=dict)
    response_inputs: dict[str, list[JsonObject]] = field(default_factory=dict)
    conversations: dict[str, JsonObject] = field(default_factory=dict)
    conversation_items: dict[str, list[JsonObject]] = field(default_factory=dict)
    assistants: dict[str, JsonObject] = field(default_factory=dict)
    threads: dict[str, JsonObject] = field(default_factory=dict)
    messages: dict[str, list[JsonObject]] = field(default_factory=dict)
    runs: dict[str, JsonObject] = field(default_factory=dict)
    steps: dict[str, list[JsonObject]] = field(default_factory=dict)
    files: dict[str, JsonObject] = field(default_factory=dict)
    file_bytes: dict[str, bytes] = field(default_factory=dict)
    batches: dict[str, JsonObject] = field(default_factory=dict)
    vector_stores: dict[str, JsonObject] = field(default_factory=dict)
    vector_store_files: dict[str, dict[str, JsonObject]] = field(default_factory=dict)
    file_batches: dict[str, JsonObject] = field(default_factory=dict)
    file_batch_files: dict[str, list[str]] = field(default_factory=dict)

    def live_ids(self) -> set[str]:
        """Ids of every object still held, nested ones included."""
        ids: set[str] = set()
        for top in (
            self.chat_completions,
            self.responses,
            self.conversations,
            self.assistants,
            self.threads,
            self.runs,
            self.files,
            self.batches,
            self.vector_stores,
            self.file_batches,
        ):
            ids.update(top)
        for nested in (self.conversation_items, self.messages, self.steps):
            for items in nested.values():
                ids.update(str(item["id"]) for item in items)
        for attached in self.vector_store_files.values():
            ids.update(f"{obj['vector_store_id']}/{file_id}" for file_id, obj in attached.items())
        return ids


class SimulatorState:
    """Everything tests control and inspect; in memory and thread-safe.

    Knobs (plain attributes, read once per request):

    - ``stream_piece_chars``: text deltas carry at most this many characters
      (``None``: the whole text in one delta).
    - ``byte_chunk_size``: the SSE byte stream is written in raw chunks of this
      many bytes, cutting events, lines and UTF-8 sequences anywhere
      (``None``: one write per event).
    - ``delay_seconds``: wait before answering every request.
    - ``stream_delay_seconds``: wait between two stream writes.

    ``store`` holds the provider's objects; handlers change it under
    ``lock``, so a test thread that walks it while a server runs should hold
    ``lock`` too (``live_ids()`` does).
    """

    def __init__(
        self,
        *,
        stream_piece_chars: int | None = DEFAULT_STREAM_PIECE_CHARS,
        byte_chunk_size: int | None = None,
        delay_seconds: float = 0.0,
        stream_delay_seconds: float = 0.0,
    ) -> None:
        self.lock = threading.RLock()
        self.stream_piece_chars = stream_piece_chars
        self.byte_chunk_size = byte_chunk_size
        self.delay_seconds = delay_seconds
        self.stream_delay_seconds = stream_delay_seconds
        self._defaults = self.config()
        self.store = Store()
        self._requests: list[RecordedRequest] = []
        self._faults: deque[Fault] = deque()
        self._hangs: deque[float] = deque()
        self._streams = {"completed": 0, "aborted": 0}

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request recorded so far, oldest first."""
        with self.lock:
            return list(self._requests)

    def record(self, request: RecordedRequest) -> None:
        with self.lock:
            self._requests.append(request)

    def bodies_text(self) -> str:
        """All recorded bodies as one text, for "no personal value arrived" greps.

        Multipart uploads are part of the raw body, so uploaded file bytes are
        included (decoded as UTF-8 with replacement).
        """
        with self.lock:
            return "\n".join(request.text() for request in self._requests)

    def fail_next(self, status: int, body: JsonObject | None = None, times: int = 1) -> None:
        """Answer the next ``times`` API requests with this error instead."""
        with self.lock:
            self._faults.extend(Fault(status, body) for _ in range(times))

    def hang_next(self, seconds: float) -> None:
        """Make the next API request wait ``seconds`` before it is answered."""
        with self.lock:
            self._hangs.append(seconds)

    def take_fault(self) -> Fault | None:
        with self.lock:
            return self._faults.popleft() if self._faults else None

    def take_hang(self) -> float:
        with self.lock:
            return self._hangs.popleft() if self._hangs else 0.0

    def stream_ended(self, completed: bool) -> None:
        with self.lock:
            self._streams["completed" if completed else "aborted"] += 1

    @property
    def streams_completed(self) -> int:
        """SSE streams written to the end."""
        with self.lock:
            return self._streams["completed"]

    @property
    def streams_aborted(self) -> int:
        """SSE streams closed before their end (the client went away).

        Counted when the server abandons the stream, which can be a moment
        after the client closed its side: poll, do not assert at once.
        """
        with self.lock:
            return self._streams["aborted"]

    def live_ids(self) -> set[str]:
        """Ids of every object the provider still holds (erasure tests check these)."""
        with self.lock:
            return self.store.live_ids()

    def configure(self, settings: JsonObject) -> None:
        """Set knobs from a JSON object; unknown names are refused by the caller."""
        with self.lock:
            for name in CONFIG_KEYS:
                if name in settings:
                    setattr(self, name, settings[name])

    def config(self) -> JsonObject:
        with self.lock:
            return {name: getattr(self, name) for name in CONFIG_KEYS}

    def reset(self) -> None:
        """Forget requests, faults and objects; knobs back to their initial values."""
        with self.lock:
            self._requests.clear()
            self._faults.clear()
            self._hangs.clear()
            self._streams = {"completed": 0, "aborted": 0}
            self.store = Store()
            self.configure(self._defaults)


CONFIG_KEYS = ("stream_piece_chars", "byte_chunk_size", "delay_seconds", "stream_delay_seconds")
