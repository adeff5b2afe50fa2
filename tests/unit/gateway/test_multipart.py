"""Multipart forms: what is parsed is what was sent; a damaged form is a 400."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.errors import BadRequest
from gateway.multipart import Part, build_form, first, is_form_data, parse_form

# httpx percent-encodes quotes, backslashes and control characters in names
# (the HTML form rule); every other character must come back as it went.
FILENAME_CHARS = st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters='"\\%')
AWKWARD = b"line 1\r\n--not-a-boundary\r\n\x00\xff\xfe end\r\n"


def test_round_trip_keeps_order_names_files_and_bytes() -> None:
    parts = [Part("purpose", b"assistants"),
             Part("file", AWKWARD, "Zoë notes.txt", "text/plain"),
             Part("expires_after[anchor]", b"created_at")]
    body, content_type = build_form(parts)
    assert is_form_data(content_type)
    assert parse_form(body, content_type) == parts


def test_parses_what_httpx_and_the_sdk_send() -> None:
    request = httpx.Request("POST", "http://x/", data={"purpose": "batch"},
                            files={"file": ("in.jsonl", b'{"a": 1}\n', "application/jsonl")})
    parts = parse_form(request.read(), request.headers["content-type"])
    purpose, upload = first(parts, "purpose"), first(parts, "file")
    assert purpose is not None and purpose.text == "batch" and purpose.filename is None
    assert upload is not None and upload.filename == "in.jsonl"
    assert (upload.data, upload.content_type) == (b'{"a": 1}\n', "application/jsonl")


def test_with_data_replaces_only_what_is_given() -> None:
    part = Part("file", b"a", "x.pdf", "application/pdf")
    assert part.with_data(b"b") == Part("file", b"b", "x.pdf", "application/pdf")
    assert part.with_data(b"b", filename="x.pdf.txt", content_type="text/plain") == Part(
        "file", b"b", "x.pdf.txt", "text/plain")


@pytest.mark.parametrize("content_type", [
    "application/json", "multipart/form-data", "multipart/mixed; boundary=abc"])
def test_not_a_form_with_a_boundary_is_refused(content_type: str) -> None:
    with pytest.raises(BadRequest):
        parse_form(b"--abc--\r\n", content_type)


def test_truncated_form_is_refused() -> None:
    body, content_type = build_form([Part("file", b"hello world", "a.txt", "text/plain")])
    with pytest.raises(BadRequest, match="truncated"):
        parse_form(body[:-20], content_type)


def test_part_without_a_name_is_refused() -> None:
    body = (b"--b\r\nContent-Disposition: form-data\r\n\r\nvalue\r\n--b--\r\n")
    with pytest.raises(BadRequest, match="no form-data name"):
        parse_form(body, "multipart/form-data; boundary=b")


def test_garbage_is_refused() -> None:
    with pytest.raises(BadRequest):
        parse_form(b"--b\r\n\x00\x01garbage without headers", "multipart/form-data; boundary=b")


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.from_regex(r"[a-z_\[\]]{1,12}", fullmatch=True), st.binary(),
                          st.one_of(st.none(), st.text(FILENAME_CHARS, min_size=1, max_size=20))),
                min_size=1, max_size=4))
def test_any_parts_round_trip(fields: list[tuple[str, bytes, str | None]]) -> None:
    parts = [Part(name, data, filename, "application/octet-stream" if filename else None)
             for name, data, filename in fields]
    body, content_type = build_form(parts)
    assert parse_form(body, content_type) == parts
