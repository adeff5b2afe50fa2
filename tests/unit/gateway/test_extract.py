"""Upload text extraction: kinds, chunks that join back exactly, JSON literals, PDF text."""

from __future__ import annotations

import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfWriter
from pypdf.generic import ContentStream, DictionaryObject, NameObject

from gateway.errors import UnsupportedMediaType
from gateway.extract import (
    FileKind,
    TextFormat,
    classify,
    decode_text,
    extension,
    json_segments,
    line_chunks,
    pdf_text,
    prose_chunks,
    split_long,
    text_format,
    type_label,
)


def make_pdf(pages: list[str]) -> bytes:
    """A real PDF with one Helvetica text line per line of each page."""
    writer = PdfWriter()
    for text in pages:
        page = writer.add_blank_page(width=612, height=792)
        font = DictionaryObject({NameObject("/Type"): NameObject("/Font"),
                                 NameObject("/Subtype"): NameObject("/Type1"),
                                 NameObject("/BaseFont"): NameObject("/Helvetica")})
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})})
        shown = b"".join(
            b"(" + line.encode("latin-1").replace(b"\\", b"\\\\").replace(b"(", b"\\(")
            .replace(b")", b"\\)") + b") Tj 0 -16 Td " for line in text.split("\n"))
        stream = ContentStream(None, writer)
        stream.set_data(b"BT /F1 12 Tf 72 720 Td " + shown + b"ET")
        page.replace_contents(stream)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(("name", "content", "kind"), [
    ("notes.txt", b"hello", FileKind.TEXT),
    ("script.py", "print('é')".encode(), FileKind.TEXT),
    (None, b"", FileKind.TEXT),
    ("scan.pdf", b"not really a pdf", FileKind.PDF),
    ("upload.bin", b"%PDF-1.7\n...", FileKind.PDF),
    ("photo.png", b"\x89PNG\r\n\x1a\n\x00\x00", FileKind.BINARY),
    ("latin.txt", "café".encode("latin-1"), FileKind.BINARY),
    ("nul.txt", b"a\x00b", FileKind.BINARY),
])
def test_classify(name: str | None, content: bytes, kind: FileKind) -> None:
    assert classify(name, content) is kind


def test_extension_and_format() -> None:
    assert extension("Report.FINAL.JSONL") == "jsonl"
    assert extension("no_extension") == extension(None) == ""
    assert extension("weird.ext with space") == ""
    assert text_format("a.csv") is TextFormat.LINES
    assert text_format("a.json") is TextFormat.JSON
    assert text_format("a.jsonl") is TextFormat.JSONL
    assert text_format("a.md") is TextFormat.PROSE


def test_type_label_never_names_the_file() -> None:
    label = type_label("John Smith passport.png", "image/png")
    assert label == ".png (image/png)"
    assert type_label("John Smith", None) == "unknown type"
    assert type_label(None, "application/zip; x=1") == "application/zip"
    assert type_label("a.bin", "John Smith") == ".bin"


def test_decode_text() -> None:
    assert decode_text("Zoë".encode()) == "Zoë"
    assert decode_text(b"\xff") is None
    assert decode_text(b"\x00") is None


def test_prose_chunks_end_at_blank_lines() -> None:
    text = "First para line 1\nline 2\n\nSecond para\r\n\r\nThird"
    assert prose_chunks(text) == ["First para line 1\nline 2\n\n", "Second para\r\n\r\n", "Third"]


def test_long_lines_are_cut_at_whitespace() -> None:
    text = "word " * 10
    assert split_long(text, 12) == ["word word ", "word word ", "word word ", "word word ",
                                    "word word "]
    assert split_long("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]


@settings(max_examples=200, deadline=None)
@given(st.text(st.sampled_from("ab \n\r\t.é😀"), max_size=300), st.integers(1, 40))
def test_chunks_join_back_exactly(text: str, limit: int) -> None:
    for chunks in (prose_chunks(text, limit), line_chunks(text, limit)):
        assert "".join(chunks) == text
        assert all(len(chunk) > 0 for chunk in chunks)
    assert all(len(chunk) <= limit for chunk in line_chunks(text, limit))


def test_json_segments_split_literals_exactly() -> None:
    text = '{"name": "John \\u00e9", "n": [1, "x\\"y"], "e": ""}'
    segments = json_segments(text)
    assert "".join(raw for raw, _ in segments) == text
    assert [decoded for _, decoded in segments if decoded is not None] == [
        "name", "John é", "n", 'x"y', "e", ""]


@settings(max_examples=100, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=8),
       st.booleans())
def test_json_segments_find_every_string(document: object, indent: bool) -> None:
    text = json.dumps(document, indent=2 if indent else None, ensure_ascii=indent)
    segments = json_segments(text)
    assert "".join(raw for raw, _ in segments) == text
    for raw, decoded in segments:
        if decoded is not None:
            assert json.loads(raw) == decoded


def test_pdf_text_reads_every_page() -> None:
    text = pdf_text(make_pdf(["Patient: John Smith\nEmail: js@example.com", "Page two"]))
    assert text == "Patient: John Smith\nEmail: js@example.com\n\nPage two\n"


def test_unreadable_pdf_is_refused_without_details() -> None:
    with pytest.raises(UnsupportedMediaType) as caught:
        pdf_text(b"%PDF-1.7 this is not a PDF body")
    assert caught.value.code == "unreadable_pdf"


def test_pdf_without_text_is_refused() -> None:
    writer = PdfWriter()
    writer.add_blank_page(width=100, height=100)
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(UnsupportedMediaType, match="no extractable text"):
        pdf_text(out.getvalue())
