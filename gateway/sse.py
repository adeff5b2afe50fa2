"""Incremental Server-Sent Events decoder and encoder.

Hand-written on purpose: the decoder must accept bytes cut at any position
(the upstream, a proxy or mitmproxy's stream callback may split anywhere,
including inside a multi-byte UTF-8 character or between ``\\r`` and ``\\n``)
and must keep every field it does not interpret, so an event can be written
back out unchanged. httpx-sse works on whole lines from an httpx response and
drops unknown fields, so it fits neither the mitmproxy path nor pass-through.
Shaped like httpx's ``LineDecoder``: ``decode(chunk)`` then ``flush()``.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

_EOL = re.compile(r"\r\n|\r|\n")


@dataclass(slots=True)
class SSEEvent:
    data: str | None  # None: the event had no data line at all (a comment or keep-alive)
    event: str | None = None
    # Other fields (id, retry, comments) in arrival order, kept for pass-through.
    extra: list[tuple[str, str]] = field(default_factory=list)

    def encode(self) -> bytes:
        lines: list[str] = []
        for name, value in self.extra:
            lines.append(f"{name}: {value}" if name else f":{value}")
        if self.event is not None:
            lines.append(f"event: {self.event}")
        if self.data is not None:
            lines.extend(f"data: {line}" for line in self.data.split("\n"))
        return ("\n".join(lines) + "\n\n").encode()


class SSEDecoder:
    __slots__ = ("_buffer", "_data", "_event", "_extra", "_pending_cr", "_text")

    def __init__(self) -> None:
        self._text = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer = ""
        self._pending_cr = False
        self._data: list[str] = []
        self._event: str | None = None
        self._extra: list[tuple[str, str]] = []

    def decode(self, chunk: bytes) -> list[SSEEvent]:
        return self._feed(self._text.decode(chunk))

    def flush(self) -> list[SSEEvent]:
        """End of stream: a final event without its blank line still counts."""
        events = self._feed(self._text.decode(b"", final=True))
        if self._buffer:
            self._line(self._buffer)
            self._buffer = ""
        if self._data or self._event is not None:
            events.append(self._dispatch())
        return events

    def _feed(self, text: str) -> list[SSEEvent]:
        if self._pending_cr and text.startswith("\n"):
            text = text[1:]
        self._pending_cr = False
        self._buffer += text
        events: list[SSEEvent] = []
        while (match := _EOL.search(self._buffer)) is not None:
            if match.group() == "\r" and match.end() == len(self._buffer):
                # A CR at the very end may be the first half of a CRLF cut in two.
                self._pending_cr = True
            line, self._buffer = self._buffer[: match.start()], self._buffer[match.end():]
            if line == "":
                if self._data or self._event is not None or self._extra:
                    events.append(self._dispatch())
            else:
                self._line(line)
        return events

    def _line(self, line: str) -> None:
        if line.startswith(":"):
            self._extra.append(("", line[1:]))
            return
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        else:
            self._extra.append((name, value))

    def _dispatch(self) -> SSEEvent:
        data = "\n".join(self._data) if self._data else None
        event = SSEEvent(data=data, event=self._event, extra=self._extra)
        self._data, self._event, self._extra = [], None, []
        return event

