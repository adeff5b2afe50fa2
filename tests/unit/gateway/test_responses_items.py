"""Shared item handling: annotation offsets follow restored values; strings restored once."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gateway.codecs.items import (
    DocumentRestorer,
    item_ids,
    shift_offset,
    wants_json_text,
)
from gateway.restore import Edit, Restorer

from .fakes import restorer_of

VALUES = {"<PERSON_1>": "John Smith", "<EMAIL_ADDRESS_1>": 'j"s@example.com',
          "<PERSON_2>": "Al", "<PERSON_5>": "<PERSON_2>"}


def restorer() -> Restorer:
    return restorer_of(VALUES)


def restore(document: Any, json_output_text: bool = False) -> Any:
    return DocumentRestorer(restorer(), json_output_text=json_output_text).restore(document)


# <PERSON_1> at [4, 14) became "John Smith" (same length); <PERSON_2> at [20, 30) became "Al"
EDITS = [Edit(4, 14, 10), Edit(20, 30, 2)]


@pytest.mark.parametrize(("offset", "closing", "expected"), [
    (0, False, 0), (4, False, 4), (14, True, 14), (20, False, 20), (30, True, 22),
    (35, True, 27), (25, False, 20), (25, True, 22)])
def test_shift_offset(offset: int, closing: bool, expected: int) -> None:
    assert shift_offset(offset, EDITS, closing=closing) == expected


def test_restore_with_edits_reports_length_changes_only() -> None:
    text, edits = restorer().with_edits("hi <PERSON_1> <PERSON_2> <PERSON_9>")
    assert text == "hi John Smith Al <PERSON_9>"
    assert edits == [Edit(3, 13, 10), Edit(14, 24, 2)]


def test_restore_with_edits_json_escapes_for_structured_text() -> None:
    text, edits = restorer().with_edits('{"a": "<EMAIL_ADDRESS_1>"}', json_escaped=True)
    assert json.loads(text) == {"a": 'j"s@example.com'}
    assert edits == [Edit(7, 24, len('j\\"s@example.com'))]


def test_output_text_annotations_shift_and_other_strings_restore() -> None:
    text = "Ask <PERSON_2> or <EMAIL_ADDRESS_1> today"
    start, end = text.index("<EMAIL"), text.index(" today")
    part = {"type": "output_text", "text": text, "annotations": [
        {"type": "url_citation", "start_index": start, "end_index": end,
         "url": "https://x.example/<PERSON_1>", "title": "<PERSON_1>"},
        {"type": "file_citation", "index": 3, "file_id": "file_1"}]}
    restored = restore({"output": [{"type": "message", "content": [part]}]})
    got = restored["output"][0]["content"][0]
    assert got["text"] == 'Ask Al or j"s@example.com today'
    first = got["annotations"][0]
    assert got["text"][first["start_index"]:first["end_index"]] == 'j"s@example.com'
    assert first["title"] == "John Smith" and first["url"] == "https://x.example/John Smith"
    assert got["annotations"][1]["index"] == 3


def test_values_are_restored_exactly_once() -> None:
    # A value that itself looks like a token must come out as that text, not be restored again.
    part = {"type": "output_text", "text": "x <PERSON_5>", "annotations": []}
    document = {"output_text": "<PERSON_5>", "content": [part],
                "arguments": '{"a": "<PERSON_5>"}'}
    restored = restore(document)
    assert restored["output_text"] == "<PERSON_2>"
    assert part["text"] == "x <PERSON_2>"
    assert json.loads(restored["arguments"]) == {"a": "<PERSON_2>"}


def test_arguments_are_json_escaped_and_structured_text_too() -> None:
    document = {"type": "function_call", "arguments": '{"q": "<EMAIL_ADDRESS_1>"}',
                "content": [{"type": "output_text", "text": '{"e": "<EMAIL_ADDRESS_1>"}'}]}
    restored = restore(document, json_output_text=True)
    assert json.loads(restored["arguments"]) == {"q": 'j"s@example.com'}
    assert json.loads(restored["content"][0]["text"]) == {"e": 'j"s@example.com'}


def test_wants_json_text() -> None:
    assert wants_json_text({"text": {"format": {"type": "json_schema", "name": "x"}}})
    assert wants_json_text({"text": {"format": {"type": "json_object"}}})
    assert not wants_json_text({"text": {"format": {"type": "text"}}})
    assert not wants_json_text({"text": "plain"})
    assert not wants_json_text(None)


def test_item_ids() -> None:
    assert item_ids([{"id": "msg_1"}, {"id": ""}, {"type": "x"}, "y", {"id": "fc_2"}]) == [
        "msg_1", "fc_2"]
    assert item_ids(None) == []
