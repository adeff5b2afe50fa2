"""Files (``/v1/files``): uploads tokenized before they leave, contents restored.

An upload is a multipart form. Its file is protected by kind:

- text (clean UTF-8, whatever the extension): cut into chunks that keep its
  structure (paragraphs; CSV/JSONL records; JSON string literals only), each
  chunk tokenized, the chunks joined again, so the bytes stay the same apart
  from the replaced values;
- ``purpose=batch``: every line's request protected through the codec that
  serves its ``url`` (:mod:`gateway.codecs.batches`);
- PDF: its text extracted and uploaded as ``<name>.pdf.txt``, or refused (415),
  per ``policy.routes.pdf_files``;
- anything else: refused (415) or passed through, per ``policy.routes.binary_files``.

The file name and free form fields are scanned too: names of files are often
names of people.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import anyio

from ..errors import BadRequest, UnsupportedMediaType
from ..extract import (
    FileKind,
    TextFormat,
    classify,
    decode_text,
    encode_json_string,
    is_json,
    json_segments,
    pdf_text,
    prose_chunks,
    text_format,
    type_label,
)
from ..multipart import Part, build_form, first, is_form_data, parse_form
from ..restore import Restorer
from ..routing import Route, route
from ..slots import MIN_SCANNED_DIGITS, Json, Slot, SlotKind, dump_json_text
from .base import JsonCodec, ObjectRef, Protector, RawBody
from .batches import CodecFor, protect_batch_jsonl

if TYPE_CHECKING:
    from policies import Policy

PdfMode = Literal["extract", "refuse"]
BinaryMode = Literal["refuse", "passthrough"]
# Form fields whose values are enums or numbers, never user text.
STRUCTURAL_FIELDS = frozenset({"purpose", "expires_after[anchor]", "expires_after[seconds]"})
# Inline media the gateway cannot read: passed on as they are.
_UNSCANNABLE_MEDIA = frozenset({"image", "audio", "video"})

# Restoring values into JSON: tool-call arguments inside a batch output line are
# JSON text within JSON, so they need their values escaped twice.
_JSON_TEXT_KEYS = frozenset({"arguments"})


@dataclass(frozen=True, slots=True)
class _Piece:
    """A stretch of file text and the chunks of it detection sees (none: kept as is).

    A JSON string literal whose value is itself JSON (tool-call arguments in a
    fine-tuning file) is protected leaf by leaf through ``inner``, as the
    pipeline does for arguments in a request.
    """

    raw: str
    value: str | None
    json_literal: bool = False
    chunks: tuple[str, ...] = ()
    inner: tuple[_Piece, ...] | None = None
    # A JSON number (a phone or card number in a data file): scanned with the
    # last string literal before it as context, a token goes in as a string.
    number: bool = False
    context: str | None = None


def _text_piece(text: str) -> _Piece:
    return _Piece(text, text, chunks=tuple(prose_chunks(text)))


class FilesCodec(JsonCodec):
    """File objects are JSON; only the upload (``protect_raw``) is special."""

    family = "files"

    def __init__(self, *, pdf_files: PdfMode = "extract", binary_files: BinaryMode = "refuse",
                 batch_codecs: CodecFor | None = None) -> None:
        self._pdf_files = pdf_files
        self._binary_files = binary_files
        self._batch_codecs = batch_codecs

    async def protect_raw(self, body: RawBody, protector: Protector) -> RawBody:
        if not is_form_data(body.content_type):
            raise UnsupportedMediaType("a file upload must be multipart/form-data")
        parts = parse_form(body.content, body.content_type)
        purpose_part = first(parts, "purpose")
        purpose = purpose_part.text if purpose_part is not None else ""
        protected = [await self.protect_file(part, purpose, protector)
                     if part.filename is not None else part for part in parts]
        protected = await _protect_fields(protected, protector)
        content, content_type = build_form(protected)
        return RawBody(content, content_type)

    async def protect_file(self, part: Part, purpose: str, protector: Protector) -> Part:
        """One file, uploaded or sent inline: tokenized, extracted or refused by kind."""
        kind = classify(part.filename, part.data)
        if kind is FileKind.PDF:
            if self._pdf_files == "refuse":
                raise UnsupportedMediaType(
                    "PDF uploads are refused by the gateway policy (routes.pdf_files)",
                    code="pdf_refused")
            text = await anyio.to_thread.run_sync(pdf_text, part.data)
            protected = await _protect_text(text, TextFormat.PROSE, protector)
            return part.with_data(protected.encode(), filename=f"{part.filename}.txt",
                                  content_type="text/plain")
        if kind is FileKind.BINARY:
            if self._binary_files == "passthrough":
                return part
            raise UnsupportedMediaType(
                f"files of type {type_label(part.filename, part.content_type)} cannot be "
                "scanned for personal data and are refused by the gateway policy "
                "(routes.binary_files)", code="binary_file_refused")
        text = decode_text(part.data) or ""
        if purpose == "batch":
            if self._batch_codecs is None:
                raise UnsupportedMediaType("batch input files are not accepted here")
            protected = await protect_batch_jsonl(text, self._batch_codecs, protector)
        else:
            protected = await _protect_text(text, text_format(part.filename), protector)
        return part.with_data(protected.encode())

    async def protect_data_url(self, url: str, filename: str | None, protector: Protector
                               ) -> str:
        """A file sent inline as a ``data:`` URL, protected like an upload of it.

        Images, audio and video are left as they are: the gateway reads no
        pixels or sound (no OCR, no speech recognition), so there is nothing
        it could scan in them.
        """
        header, _, payload = url.partition(",")
        media_type = header.removeprefix("data:").split(";")[0].strip().lower()
        if media_type.split("/")[0] in _UNSCANNABLE_MEDIA:
            return url
        try:
            data = base64.b64decode(payload, validate=True)
        except ValueError:
            raise BadRequest("an inline file (data: URL) is not valid base64",
                             code="invalid_data_url") from None
        part = Part("file", data, filename or "inline", media_type or None)
        protected = await self.protect_file(part, "", protector)
        if protected.data == data:
            return url
        content_type = protected.content_type or media_type or "application/octet-stream"
        return f"data:{content_type};base64,{base64.b64encode(protected.data).decode()}"

    def created_objects(self, request: Json, response: Json) -> list[ObjectRef]:
        if (isinstance(response, dict) and response.get("object") == "file"
                and isinstance(response.get("id"), str) and not response.get("deleted")):
            return [ObjectRef("file", response["id"])]
        return []


class FileContentCodec(JsonCodec):
    """``GET /v1/files/{id}/content``: the file's own bytes, restored as text."""

    family = "files"

    def restore_body(self, request: Json, body: RawBody, restorer: Restorer) -> RawBody:
        text = decode_text(body.content)
        if text is None or "<" not in text:
            return body
        return RawBody((restore_file_text(text, restorer)).encode(), body.content_type)


async def _protect_fields(parts: list[Part], protector: Protector) -> list[Part]:
    """Scan file names and every form field that is not an enum."""
    texts: list[str] = []
    for part in parts:
        if part.filename is not None:
            texts.append(part.filename)
        elif part.name not in STRUCTURAL_FIELDS:
            texts.append(part.text)
    protected = iter(await protector.texts(texts)) if texts else iter(())
    result: list[Part] = []
    for part in parts:
        if part.filename is not None:
            result.append(part.with_data(part.data, filename=next(protected)))
        elif part.name not in STRUCTURAL_FIELDS:
            result.append(part.with_data(next(protected).encode()))
        else:
            result.append(part)
    return result


def _pieces(text: str, fmt: TextFormat) -> list[_Piece]:
    if fmt is TextFormat.JSON and is_json(text):
        return _json_pieces(text)
    if fmt is TextFormat.JSONL or fmt is TextFormat.LINES:
        pieces: list[_Piece] = []
        for line in text.splitlines(keepends=True):
            if fmt is TextFormat.JSONL and is_json(line):
                pieces.extend(_json_pieces(line))
            else:
                pieces.append(_text_piece(line))
        return pieces
    return [_text_piece(text)]


# Integers long enough to be a phone, card or account number (not part of a float).
_NUMBER = re.compile(rf"(?<![\w.\-])-?\d{{{MIN_SCANNED_DIGITS},}}(?![\w.])")


def _json_pieces(text: str) -> list[_Piece]:
    pieces: list[_Piece] = []
    last_literal: str | None = None
    for raw, decoded in json_segments(text):
        if decoded is None:
            pieces.extend(_number_pieces(raw, last_literal))
            continue
        last_literal = decoded if len(decoded) <= 40 else None
        if decoded[:1] in ("{", "[") and is_json(decoded):
            pieces.append(_Piece(raw, decoded, True, inner=tuple(_json_pieces(decoded))))
        else:
            pieces.append(_Piece(raw, decoded, True, tuple(prose_chunks(decoded))))
    return pieces


def _number_pieces(raw: str, context: str | None) -> list[_Piece]:
    """The text between JSON string literals, its long integers pieces of their own."""
    pieces: list[_Piece] = []
    cursor = 0
    for match in _NUMBER.finditer(raw):
        if match.start() > cursor:
            pieces.append(_Piece(raw[cursor:match.start()], None))
        pieces.append(_Piece(match.group(), match.group(), number=True, context=context))
        cursor = match.end()
    if cursor < len(raw):
        pieces.append(_Piece(raw[cursor:], None))
    return pieces


def _numbers(piece: _Piece) -> list[_Piece]:
    if piece.inner is None:
        return [piece] if piece.number else []
    return [number for inner in piece.inner for number in _numbers(inner)]


def _chunks(piece: _Piece) -> list[str]:
    if piece.inner is None:
        return list(piece.chunks)
    return [chunk for inner in piece.inner for chunk in _chunks(inner)]


def _rebuild(piece: _Piece, protected: Iterator[str], numbers: Iterator[str]) -> str:
    """The piece as it goes upstream; unchanged pieces keep their exact bytes."""
    if piece.value is None:
        return piece.raw
    if piece.number:
        new = next(numbers)
        return piece.raw if new == piece.value else encode_json_string(new)
    if piece.inner is not None:
        new = "".join(_rebuild(inner, protected, numbers) for inner in piece.inner)
    else:
        new = "".join(next(protected) for _ in piece.chunks)
    if new == piece.value:
        return piece.raw
    return encode_json_string(new) if piece.json_literal else new


async def _protect_text(text: str, fmt: TextFormat, protector: Protector) -> str:
    """Tokenize a text file piece by piece; all chunks go through one call."""
    pieces = _pieces(text, fmt)
    flat = [chunk for piece in pieces for chunk in _chunks(piece)]
    protected = iter(await protector.texts(flat) if flat else [])
    numbers = [number for piece in pieces for number in _numbers(piece)]
    values = [number.raw for number in numbers]
    if numbers:
        await protector.document(values, [
            Slot((index,), number.raw, SlotKind.NUMBER, number.context)
            for index, number in enumerate(numbers)])
    return "".join(_rebuild(piece, protected, iter(values)) for piece in pieces)


def restore_file_text(text: str, restorer: Restorer) -> str:
    """Put values back into a downloaded file, keeping JSON valid and its layout.

    A JSON document (the whole file, or each line of JSONL such as a batch
    output file) is restored in place with values JSON-escaped, which keeps
    its bytes; that is checked against a string-by-string restore of the
    parsed document (tool-call arguments escaped as JSON within JSON), and the
    document is re-serialised in the rare case they differ. Anything else is
    restored as plain text.
    """
    if "<" not in text:
        return text
    lines = text.splitlines(keepends=True)
    if len(lines) > 1 and all(is_json(line) for line in lines if line.strip()):
        return "".join([_restore_json(line, restorer) for line in lines])
    if is_json(text):
        return _restore_json(text, restorer)
    return restorer.text(text)


def _restore_json(text: str, restorer: Restorer) -> str:
    if "<" not in text:
        return text
    in_place = restorer.text(text, json_escaped=True)
    document = _restore_keys(
        restorer.body(json.loads(text), _JSON_TEXT_KEYS), restorer)
    try:
        if json.loads(in_place) == document:
            return in_place
    except ValueError:
        pass
    content = text.rstrip("\r\n")
    return dump_json_text(document) + text[len(content):]


def _restore_keys(node: Json, restorer: Restorer) -> Json:
    """Object keys too: an uploaded data file may use a (tokenized) name as a key."""
    if isinstance(node, list):
        return [_restore_keys(item, restorer) for item in node]
    if isinstance(node, dict):
        return {restorer.text(key, json_escaped=False): _restore_keys(value, restorer)
                for key, value in node.items()}
    return node


def routes(policy: Policy, batch_lines: CodecFor) -> list[Route]:
    files = FilesCodec(pdf_files=policy.routes.pdf_files,
                       binary_files=policy.routes.binary_files, batch_codecs=batch_lines)
    return [
        route("GET POST", "files", files),
        route("GET DELETE", "files/{id}", files),
        route("GET", "files/{id}/content", FileContentCodec()),
    ]


__all__ = ["FileContentCodec", "FilesCodec", "restore_file_text", "routes"]
