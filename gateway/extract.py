"""Turning uploaded file bytes into the texts detection must see (pure, no I/O).

An upload is protected by cutting its text into chunks, tokenizing each chunk
and joining them again, so everything here keeps one invariant: the chunks of
a text concatenate back to exactly that text. Chunks are paragraphs or lines,
not the whole file, so a repeated upload hits the detection cache chunk by
chunk and detection batches many small texts instead of one huge one.
"""

from __future__ import annotations

import io
import json
import logging
import re
from enum import StrEnum

from pypdf import PdfReader

from .errors import UnsupportedMediaType

log = logging.getLogger("piigate.extract")

# Large enough for a paragraph of context around a name, small enough that a
# detection batch stays balanced.
CHUNK_CHARS = 2000
PDF_MAGIC = b"%PDF-"


class FileKind(StrEnum):
    TEXT = "text"
    PDF = "pdf"
    BINARY = "binary"


class TextFormat(StrEnum):
    """How a text file is cut: structure the provider relies on stays intact."""

    PROSE = "prose"    # paragraphs (txt, md, html, unknown text)
    LINES = "lines"    # one record a line (csv, tsv)
    JSON = "json"      # one JSON document: string literals only
    JSONL = "jsonl"    # one JSON document a line


_FORMATS = {
    "csv": TextFormat.LINES, "tsv": TextFormat.LINES,
    "json": TextFormat.JSON, "jsonl": TextFormat.JSONL, "ndjson": TextFormat.JSONL,
}
TEXT_EXTENSIONS = frozenset({"txt", "md", "markdown", "html", "htm", *_FORMATS})
_EXTENSION = re.compile(r"\.([A-Za-z0-9]{1,10})$")
_MEDIA_TYPE = re.compile(r"[A-Za-z0-9.+-]{1,40}/[A-Za-z0-9.+-]{1,60}")


def extension(filename: str | None) -> str:
    """The lower-case extension, or "" (also for odd ones, which may carry text)."""
    found = _EXTENSION.search(filename or "")
    return found.group(1).lower() if found else ""


def decode_text(content: bytes) -> str | None:
    """The content as text when it sniffs as text: valid UTF-8 and no NUL byte."""
    if b"\x00" in content:
        return None
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return None


def classify(filename: str | None, content: bytes) -> FileKind:
    """PDF by magic or extension; otherwise the content decides text versus binary.

    Any extension whose content is clean UTF-8 counts as text (source code,
    YAML, XML...): scanning it is safe, refusing it would only get in the way.
    A ``.txt`` that is not UTF-8 is binary: it cannot be scanned.
    """
    if content.startswith(PDF_MAGIC) or extension(filename) == "pdf":
        return FileKind.PDF
    return FileKind.TEXT if decode_text(content) is not None else FileKind.BINARY


def text_format(filename: str | None) -> TextFormat:
    return _FORMATS.get(extension(filename), TextFormat.PROSE)


def type_label(filename: str | None, content_type: str | None) -> str:
    """Names a file type in an error without naming the file (names can be personal)."""
    ext = extension(filename)
    media = (content_type or "").split(";")[0].strip().lower()
    media = media if _MEDIA_TYPE.fullmatch(media) else ""
    if ext and media:
        return f".{ext} ({media})"
    return f".{ext}" if ext else (media or "unknown type")


def _lines(text: str) -> list[str]:
    """Lines with their endings kept, so joining them gives the text back."""
    return text.splitlines(keepends=True)


def split_long(text: str, limit: int = CHUNK_CHARS) -> list[str]:
    """Cut a text longer than ``limit`` at whitespace (a hard cut if there is none)."""
    pieces: list[str] = []
    while len(text) > limit:
        cut = max(text.rfind("\n", 0, limit), text.rfind(" ", 0, limit)) + 1
        if cut <= 0:
            cut = limit
        pieces.append(text[:cut])
        text = text[cut:]
    if text:
        pieces.append(text)
    return pieces


def prose_chunks(text: str, limit: int = CHUNK_CHARS) -> list[str]:
    """Paragraphs (ended by a blank line), packed up to ``limit`` characters."""
    chunks: list[str] = []
    current = ""
    for line in _lines(text):
        for piece in split_long(line, limit):
            if current and len(current) + len(piece) > limit:
                chunks.append(current)
                current = ""
            current += piece
        if not line.strip() and current.strip():
            chunks.append(current)
            current = ""
    if current:
        chunks.append(current)
    return chunks


def line_chunks(text: str, limit: int = CHUNK_CHARS) -> list[str]:
    """One chunk a line (a CSV record, a JSONL document); long lines are cut."""
    return [piece for line in _lines(text) for piece in split_long(line, limit)]


# A JSON string literal. Hand-written because the json module reports no
# offsets, and re-serialising a document would change bytes the user did not
# expect to change; only valid JSON reaches this (the caller parses it first),
# where a double quote outside a literal cannot occur.
_JSON_STRING = re.compile(r'"(?:[^"\\\x00-\x1f]|\\.)*"')


def json_segments(text: str) -> list[tuple[str, str | None]]:
    """A JSON text as ``(raw, decoded)`` pieces: decoded is set for string literals.

    Keys are literals too: in a data file a key can be personal (a name used
    as a key), and a token is as valid in a key as in a value.
    """
    segments: list[tuple[str, str | None]] = []
    cursor = 0
    for match in _JSON_STRING.finditer(text):
        if match.start() > cursor:
            segments.append((text[cursor:match.start()], None))
        raw = match.group()
        segments.append((raw, json.loads(raw)))
        cursor = match.end()
    if cursor < len(text):
        segments.append((text[cursor:], None))
    return segments


def encode_json_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def pdf_text(content: bytes) -> str:
    """The text of every page, pages separated by a blank line.

    A PDF that cannot be read, or holds no text (a scan), is refused rather
    than forwarded: its bytes could not be scanned.
    """
    try:
        reader = PdfReader(io.BytesIO(content))
        if reader.is_encrypted:
            reader.decrypt("")
        pages = [page.extract_text() or "" for page in reader.pages]
    # pypdf parses untrusted bytes and fails in many ways (its own errors,
    # KeyError, ValueError...); every failure means the same: not readable.
    except Exception as exc:
        log.info("PDF extraction failed: %s", type(exc).__name__)
        raise UnsupportedMediaType(
            "the PDF could not be read (damaged or encrypted); it was not forwarded",
            code="unreadable_pdf") from None
    text = "\n\n".join(page.strip("\n") for page in pages)
    if not text.strip():
        raise UnsupportedMediaType(
            "the PDF holds no extractable text (a scanned image?); it was not forwarded",
            code="unreadable_pdf")
    return text + "\n"
