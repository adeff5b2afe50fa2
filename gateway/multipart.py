"""Reading and writing ``multipart/form-data`` bodies (file uploads).

Parsing is python-multipart's streaming parser (the one Starlette uses) fed the
whole body at once: the gateway has already read and size-limited it, and the
upload must be rewritten as a whole anyway. Writing is httpx's multipart
encoder, so the boundary and header quoting are a maintained library's job.
Both ends keep the parts in order, field names and per-part content types.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import httpx
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, MultipartState, parse_options_header

from .errors import BadRequest

FORM_DATA = "multipart/form-data"
# Upper bounds for one part's headers; a browser or SDK sends two or three.
_MAX_HEADERS = 16
_MAX_HEADER_BYTES = 8 * 1024


@dataclass(frozen=True, slots=True)
class Part:
    """One form part. ``filename`` is None for a plain field, set for a file."""

    name: str
    data: bytes
    filename: str | None = None
    content_type: str | None = None

    @property
    def text(self) -> str:
        """A plain field's value (form fields are UTF-8 per RFC 7578)."""
        return self.data.decode("utf-8", errors="replace")

    def with_data(self, data: bytes, *, filename: str | None = None,
                  content_type: str | None = None) -> Part:
        return replace(self, data=data, filename=filename or self.filename,
                       content_type=content_type or self.content_type)


def is_form_data(content_type: str) -> bool:
    media_type, _ = parse_options_header(content_type)
    return media_type == FORM_DATA.encode()


@dataclass(slots=True)
class _Collector:
    """Accumulates parser callbacks into parts (python-multipart only calls back)."""

    parts: list[Part] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    header_name: bytearray = field(default_factory=bytearray)
    header_value: bytearray = field(default_factory=bytearray)
    data: bytearray = field(default_factory=bytearray)

    def on_part_begin(self) -> None:
        self.headers, self.data = {}, bytearray()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        name = self.header_name.decode("latin-1").strip().lower()
        # Kept as latin-1 (byte for byte): parse_options_header encodes it back
        # to bytes, and only then is a filename decoded as UTF-8.
        self.headers[name] = self.header_value.decode("latin-1").strip()
        self.header_name, self.header_value = bytearray(), bytearray()

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        self.data += data[start:end]

    def on_part_end(self) -> None:
        disposition, options = parse_options_header(self.headers.get("content-disposition"))
        if disposition != b"form-data" or b"name" not in options:
            raise BadRequest("a multipart part has no form-data name", code="invalid_multipart")
        filename = options.get(b"filename")
        self.parts.append(Part(
            name=options[b"name"].decode("utf-8", errors="replace"),
            data=bytes(self.data),
            filename=filename.decode("utf-8", errors="replace") if filename is not None else None,
            content_type=self.headers.get("content-type")))


def parse_form(body: bytes, content_type: str) -> list[Part]:
    """Every part of a form body, in order; a malformed body is a 400."""
    media_type, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if media_type != FORM_DATA.encode() or not boundary:
        raise BadRequest("expected a multipart/form-data body with a boundary",
                         code="invalid_multipart")
    collector = _Collector()
    parser = MultipartParser(boundary, {
        "on_part_begin": collector.on_part_begin,
        "on_part_data": collector.on_part_data,
        "on_part_end": collector.on_part_end,
        "on_header_field": collector.on_header_field,
        "on_header_value": collector.on_header_value,
        "on_header_end": collector.on_header_end,
    }, max_header_count=_MAX_HEADERS, max_header_size=_MAX_HEADER_BYTES)
    try:
        parser.write(body)
        parser.finalize()
    except FormParserError:
        raise BadRequest("the multipart body is malformed", code="invalid_multipart") from None
    # python-multipart's finalize() does not check that the closing boundary
    # arrived; a truncated upload must not be forwarded as if it were whole.
    if parser.state != MultipartState.END:
        raise BadRequest("the multipart body is truncated", code="invalid_multipart")
    return collector.parts


def build_form(parts: Sequence[Part]) -> tuple[bytes, str]:
    """Encode parts as a fresh form body; returns (body, content type with boundary)."""
    files = [(part.name, (part.filename, part.data, part.content_type)) for part in parts]
    # httpx encodes a part whose filename is None as a plain field, which keeps
    # fields and files in one ordered list.
    request = httpx.Request("POST", "http://form.invalid/", files=files)
    return request.read(), request.headers["content-type"]


def first(parts: Sequence[Part], name: str) -> Part | None:
    return next((part for part in parts if part.name == name), None)
