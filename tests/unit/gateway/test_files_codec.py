"""File uploads: tokenized by kind with structure kept; refusals per policy; contents restored."""

from __future__ import annotations

import json

import pytest

from gateway.codecs.base import ObjectRef, RawBody
from gateway.codecs.files import FileContentCodec, FilesCodec, restore_file_text
from gateway.errors import BadRequest, UnsupportedMediaType
from gateway.multipart import Part, build_form, parse_form
from gateway.restore import Restorer

from .fakes import restorer_of
from .files_fakes import FakeProtector, file_part, upload
from .test_extract import make_pdf

pytestmark = pytest.mark.anyio

RESTORE = {"<PERSON_1>": "John Smith", "<EMAIL_ADDRESS_1>": "john.smith@example.com",
           "<PERSON_2>": '"Quoted" Jane'}


def restorer() -> Restorer:
    return restorer_of(RESTORE)


async def test_text_file_is_tokenized_and_otherwise_byte_identical() -> None:
    text = "Dear John Smith,\r\n\r\nwrite to john.smith@example.com\r\n\tThanks\n"
    protector = FakeProtector()
    out = file_part(await FilesCodec().protect_raw(upload(text.encode()), protector))
    assert out.data.decode() == text.replace("John Smith", "<PERSON_1>").replace(
        "john.smith@example.com", "<EMAIL_ADDRESS_1>")
    assert (out.filename, out.content_type) == ("notes.txt", "text/plain")
    assert len(protector.calls) == 2  # the file's chunks, then names and fields


async def test_big_text_is_cut_into_paragraph_chunks() -> None:
    paragraph = "John Smith wrote a line.\n" * 30 + "\n"
    protector = FakeProtector()
    out = file_part(await FilesCodec().protect_raw(upload((paragraph * 5).encode()), protector))
    assert protector.calls[0] == [paragraph] * 5
    assert out.data.decode() == (paragraph * 5).replace("John Smith", "<PERSON_1>")


async def test_file_name_and_free_fields_are_scanned_but_enums_are_not() -> None:
    body, content_type = build_form([
        Part("purpose", b"assistants"), Part("expires_after[anchor]", b"created_at"),
        Part("note", b"from John Smith"), Part("file", b"x", "John Smith CV.txt", "text/plain")])
    protector = FakeProtector()
    out = await FilesCodec().protect_raw(RawBody(body, content_type), protector)
    parts = {part.name: part for part in parse_form(out.content, out.content_type)}
    assert parts["file"].filename == "<PERSON_1> CV.txt"
    assert parts["note"].data == b"from <PERSON_1>"
    assert parts["purpose"].data == b"assistants"
    assert "created_at" not in protector.seen and "assistants" not in protector.seen


async def test_csv_keeps_every_record_and_line_ending() -> None:
    text = 'name,email\r\n"John Smith",john.smith@example.com\r\nAnn,ann@x\r\n'
    protector = FakeProtector()
    out = file_part(await FilesCodec().protect_raw(upload(text.encode(), "people.csv"), protector))
    assert protector.calls[0] == text.splitlines(keepends=True)
    assert out.data.decode() == (
        'name,email\r\n"<PERSON_1>",<EMAIL_ADDRESS_1>\r\nAnn,ann@x\r\n')


async def test_json_file_changes_only_the_literals_that_hold_values() -> None:
    text = '{\n  "owner": "John Smith",\n  "note": "caf\\u00e9 \\"Quoted\\" Jane",\n  "n": 3\n}'
    protector = FakeProtector()
    out = file_part(await FilesCodec().protect_raw(upload(text.encode(), "data.json"), protector))
    assert out.data.decode() == (
        '{\n  "owner": "<PERSON_1>",\n  "note": "café <PERSON_2>",\n  "n": 3\n}')
    assert "owner" in protector.calls[0]  # keys are scanned too


async def test_jsonl_lines_are_protected_literal_by_literal() -> None:
    text = ('{"messages": [{"role": "user", "content": "I am John Smith"}]}\n'
            'not json but John Smith\n')
    out = file_part(await FilesCodec().protect_raw(upload(text.encode(), "train.jsonl"),
                                                   FakeProtector()))
    assert out.data.decode() == (
        '{"messages": [{"role": "user", "content": "I am <PERSON_1>"}]}\n'
        "not json but <PERSON_1>\n")


async def test_pdf_is_extracted_and_sent_as_text() -> None:
    pdf = make_pdf(["Patient John Smith", "mail john.smith@example.com"])
    out = file_part(await FilesCodec().protect_raw(
        upload(pdf, "record.pdf", content_type="application/pdf"), FakeProtector()))
    assert (out.filename, out.content_type) == ("record.pdf.txt", "text/plain")
    assert out.data == b"Patient <PERSON_1>\n\nmail <EMAIL_ADDRESS_1>\n"


async def test_pdf_is_refused_when_the_policy_says_so() -> None:
    with pytest.raises(UnsupportedMediaType) as caught:
        await FilesCodec(pdf_files="refuse").protect_raw(
            upload(make_pdf(["x"]), "a.pdf"), FakeProtector())
    assert (caught.value.status, caught.value.code) == (415, "pdf_refused")


async def test_binary_is_refused_naming_the_type_not_the_file() -> None:
    with pytest.raises(UnsupportedMediaType) as caught:
        await FilesCodec().protect_raw(
            upload(b"\x89PNG\r\n\x1a\n\x00", "John Smith.png", content_type="image/png"),
            FakeProtector())
    assert ".png (image/png)" in caught.value.message
    assert "John" not in caught.value.message


async def test_binary_passes_through_unchanged_when_allowed() -> None:
    data = b"\x89PNG\r\n\x1a\n\x00John Smith"
    out = file_part(await FilesCodec(binary_files="passthrough").protect_raw(
        upload(data, "img.png", content_type="image/png"), FakeProtector()))
    assert out.data == data


async def test_a_json_upload_body_is_not_a_file_upload() -> None:
    with pytest.raises(UnsupportedMediaType):
        await FilesCodec().protect_raw(RawBody(b"raw", "text/plain"), FakeProtector())


async def test_batch_purpose_without_line_codecs_is_refused() -> None:
    with pytest.raises(UnsupportedMediaType):
        await FilesCodec().protect_raw(upload(b"{}\n", "b.jsonl", "batch"), FakeProtector())


async def test_malformed_form_is_a_bad_request() -> None:
    with pytest.raises(BadRequest):
        await FilesCodec().protect_raw(
            RawBody(b"--x\r\nnonsense", "multipart/form-data; boundary=x"), FakeProtector())


def test_created_objects_records_uploaded_files_only() -> None:
    codec = FilesCodec()
    assert codec.created_objects(None, {"id": "file-1", "object": "file"}) == [
        ObjectRef("file", "file-1")]
    assert codec.created_objects(None, {"id": "file-1", "object": "file", "deleted": True}) == []
    assert codec.created_objects(None, {"object": "list", "data": []}) == []


def test_plain_text_content_is_restored() -> None:
    assert restore_file_text("Hi <PERSON_1> <PERSON_9>", restorer()) == (
        "Hi John Smith <PERSON_9>")


def test_pretty_json_content_keeps_its_layout_and_stays_valid() -> None:
    text = '{\n  "who": "<PERSON_2>",\n  "n": 1\n}\n'
    restored = restore_file_text(text, restorer())
    assert restored == '{\n  "who": "\\"Quoted\\" Jane",\n  "n": 1\n}\n'
    assert json.loads(restored)["who"] == '"Quoted" Jane'


def test_batch_output_lines_restore_tool_arguments_as_json_in_json() -> None:
    arguments = json.dumps({"query": "<PERSON_2>"})
    line = json.dumps({"custom_id": "r1", "response": {"body": {"choices": [{"message": {
        "content": "Hi <PERSON_1>", "tool_calls": [{"function": {"arguments": arguments}}]}}]}}})
    restored = restore_file_text(line + "\n" + '{"custom_id": "r2"}\r\n', restorer())
    first, second = restored.splitlines(keepends=True)
    message = json.loads(first)["response"]["body"]["choices"][0]["message"]
    assert message["content"] == "Hi John Smith"
    assert json.loads(message["tool_calls"][0]["function"]["arguments"]) == {
        "query": '"Quoted" Jane'}
    assert second == '{"custom_id": "r2"}\r\n'


def test_content_codec_leaves_binary_and_token_free_files_alone() -> None:
    codec = FileContentCodec()
    binary = RawBody(b"\x00<PERSON_1>", "application/octet-stream")
    assert codec.restore_body(None, binary, restorer()) is binary
    plain = RawBody(b"nothing here", "application/octet-stream")
    assert codec.restore_body(None, plain, restorer()) is plain
    text = RawBody(b"Dear <PERSON_1>", "application/octet-stream")
    assert codec.restore_body(None, text, restorer()).content == b"Dear John Smith"


def test_tokenized_keys_come_back_even_when_the_document_is_reserialised() -> None:
    arguments = json.dumps({"who": "<PERSON_2>"})
    text = json.dumps({"<PERSON_1>": {"arguments": arguments}}) + "\n"
    restored = json.loads(restore_file_text(text, restorer()))
    assert list(restored) == ["John Smith"]
    assert json.loads(restored["John Smith"]["arguments"]) == {"who": '"Quoted" Jane'}
    simple = '{"<PERSON_1>": 1,\n "x": "<EMAIL_ADDRESS_1>"}'
    assert restore_file_text(simple, restorer()) == (
        '{"John Smith": 1,\n "x": "john.smith@example.com"}')


async def test_json_text_inside_a_literal_is_protected_leaf_by_leaf() -> None:
    arguments = json.dumps({"who": '"Quoted" Jane', "n": 1})
    text = json.dumps({"messages": [{"role": "assistant", "tool_calls": [
        {"function": {"name": "f", "arguments": arguments}}]}]}) + "\n"
    out = file_part(await FilesCodec().protect_raw(upload(text.encode(), "tune.jsonl"),
                                                   FakeProtector()))
    call = json.loads(out.data)["messages"][0]["tool_calls"][0]["function"]
    assert json.loads(call["arguments"]) == {"who": "<PERSON_2>", "n": 1}
    assert call["arguments"] == '{"who": "<PERSON_2>", "n": 1}'  # its own layout kept
