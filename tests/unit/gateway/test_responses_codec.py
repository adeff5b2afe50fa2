"""The Responses codec: what is scanned, what is referenced, restored and recorded."""

from __future__ import annotations

import json
from typing import Any

from gateway.codecs.base import ObjectRef, RawBody
from gateway.codecs.responses import ResponsesCodec, routes
from gateway.routes import match_route
from gateway.slots import SlotKind

from .fakes import restorer_of

CODEC = ResponsesCodec()
VALUES = {"<PERSON_1>": "John Smith", "<EMAIL_ADDRESS_1>": 'j"s@example.com'}

REQUEST: dict[str, Any] = {
    "model": "gpt-4.1", "instructions": "Be kind to Ann", "previous_response_id": "resp_1",
    "store": True, "conversation": "conv_1", "tool_choice": "auto",
    "prompt": {"id": "pmpt_1", "version": "2", "variables": {
        "customer": "Ann Lee", "note": {"type": "input_text", "text": "call Ann"}}},
    "reasoning": {"effort": "low", "summary": "auto"},
    "text": {"format": {"type": "json_schema", "name": "reply_schema", "schema": {}}},
    "tools": [{"type": "function", "name": "lookup", "description": "Find Ann",
               "parameters": {"type": "object"}},
              {"type": "mcp", "server_label": "crm", "server_url": "https://mcp.example.com/sse",
               "require_approval": "never"}],
    "metadata": {"topic": "Ann's order"},
    "input": [
        {"role": "user", "content": [{"type": "input_text", "text": "I am Ann"}]},
        {"type": "function_call", "call_id": "call_1", "name": "lookup",
         "arguments": '{"who": "Ann", "n": 1}'},
        {"type": "function_call_output", "call_id": "call_1", "output": "Ann lives here"},
        {"type": "custom_tool_call", "call_id": "call_2", "name": "grep", "input": "Ann"},
        {"type": "custom_tool_call_output", "call_id": "call_2", "output": "Ann found"},
        {"type": "reasoning", "id": "rs_1", "encrypted_content": "gAAAA+Ann/==",
         "summary": [{"type": "summary_text", "text": "Ann asked"}]},
        {"type": "item_reference", "id": "msg_9"},
    ],
}


def slot_paths(body: Any) -> dict[tuple[Any, ...], bool]:
    """Value slots and whether each is JSON text; key slots are checked on their own."""
    return {slot.path: slot.kind is SlotKind.JSON_TEXT for slot in CODEC.request_slots(body)
            if slot.kind is not SlotKind.KEY}


def test_free_form_keys_are_slots() -> None:
    keys = [slot.path for slot in CODEC.request_slots(REQUEST) if slot.kind is SlotKind.KEY]
    assert keys == [("prompt", "variables", "customer"), ("prompt", "variables", "note"),
                    ("tools", 0, "parameters", "type"), ("metadata", "topic")]


def test_every_user_text_is_a_slot_and_nothing_structural_is() -> None:
    paths = slot_paths(REQUEST)
    assert paths == {
        ("instructions",): False,
        ("prompt", "variables", "customer"): False,
        ("prompt", "variables", "note", "text"): False,
        ("tools", 0, "description"): False,
        ("tools", 0, "parameters", "type"): False,  # a JSON schema is the app's own
        ("tools", 1, "require_approval"): False,
        ("metadata", "topic"): False,
        ("input", 0, "content", 0, "text"): False,
        ("input", 1, "arguments"): True,
        ("input", 2, "output"): False,
        ("input", 3, "input"): False,
        ("input", 4, "output"): False,
        ("input", 5, "summary", 0, "text"): False,
    }


def test_string_input_is_a_slot() -> None:
    assert slot_paths({"model": "m", "input": "I am Ann"}) == {("input",): False}


def test_conversation_object_id_is_structural() -> None:
    assert slot_paths({"model": "m", "conversation": {"id": "conv_1"}}) == {}


def test_referenced_objects_are_previous_response_and_conversation() -> None:
    assert CODEC.referenced_objects(REQUEST) == ["resp_1", "conv_1", "msg_9", "rs_1"]
    assert CODEC.referenced_objects({"conversation": {"id": "conv_2"}}) == ["conv_2"]
    assert CODEC.referenced_objects({"input": "hi"}) == []
    assert CODEC.referenced_objects(None) == []


def answer(**fields: Any) -> dict[str, Any]:
    return {"id": "resp_2", "object": "response", "output": [
        {"type": "message", "id": "msg_2"}, {"type": "function_call", "id": "fc_2"}], **fields}


def test_created_objects_record_stored_responses() -> None:
    stored = [ObjectRef("response", "resp_2"), ObjectRef("response_item", "msg_2", "resp_2"),
              ObjectRef("response_item", "fc_2", "resp_2")]
    assert CODEC.created_objects({"input": "x"}, answer(store=True)) == stored
    assert CODEC.created_objects({"input": "x"}, answer()) == stored
    assert CODEC.created_objects({"input": "x", "store": False}, answer()) == []
    assert CODEC.created_objects({"input": "x"}, answer(store=False)) == []


def test_created_objects_with_a_conversation_record_its_new_items() -> None:
    request = {"input": "x", "conversation": {"id": "conv_1"}}
    assert CODEC.created_objects(request, answer(store=True)) == [
        ObjectRef("response", "resp_2"),
        ObjectRef("conversation_item", "msg_2", "conv_1"),
        ObjectRef("conversation_item", "fc_2", "conv_1")]


def test_reads_and_other_answers_record_nothing() -> None:
    assert CODEC.created_objects(None, answer()) == [  # a read records only the items
        ObjectRef("response_item", "msg_2", "resp_2"),
        ObjectRef("response_item", "fc_2", "resp_2")]
    assert CODEC.created_objects({}, {"object": "response.deleted", "id": "resp_2"}) == []
    assert CODEC.created_objects({}, None) == []


def restore_body(request: Any, document: Any) -> Any:
    restorer = restorer_of(VALUES)
    raw = RawBody(json.dumps(document).encode(), "application/json")
    restored = CODEC.restore_body(request, raw, restorer)
    return json.loads(restored.content)


def test_restore_body_shifts_annotations_and_escapes_arguments() -> None:
    text = "You said: <PERSON_1>!"
    document = answer(output=[
        {"type": "message", "id": "msg_1", "content": [
            {"type": "output_text", "text": text, "annotations": [
                {"type": "url_citation", "start_index": 10, "end_index": len(text) - 1,
                 "url": "u", "title": "t"}]},
            {"type": "refusal", "refusal": "not <EMAIL_ADDRESS_1>"}]},
        {"type": "function_call", "id": "fc_1", "name": "lookup",
         "arguments": '{"q": "<EMAIL_ADDRESS_1>"}'},
        {"type": "reasoning", "id": "rs_1", "summary": [
            {"type": "summary_text", "text": "about <PERSON_1>"}]}],
        output_text=text, instructions="for <PERSON_1>")
    restored = restore_body({"input": "x"}, document)
    message, call, thought = restored["output"]
    part = message["content"][0]
    annotation = part["annotations"][0]
    assert part["text"] == "You said: John Smith!"
    assert part["text"][annotation["start_index"]:annotation["end_index"]] == "John Smith"
    assert message["content"][1]["refusal"] == 'not j"s@example.com'
    assert json.loads(call["arguments"]) == {"q": 'j"s@example.com'}
    assert thought["summary"][0]["text"] == "about John Smith"
    assert restored["output_text"] == "You said: John Smith!"
    assert restored["instructions"] == "for John Smith"


def test_restore_body_escapes_structured_output_text() -> None:
    text = json.dumps({"echo": "<EMAIL_ADDRESS_1>"})
    document = answer(output=[{"type": "message", "content": [
        {"type": "output_text", "text": text, "annotations": []}]}],
        text={"format": {"type": "json_schema"}})
    restored = restore_body(None, document)
    assert json.loads(restored["output"][0]["content"][0]["text"]) == {
        "echo": 'j"s@example.com'}


def test_restore_body_leaves_non_json_alone() -> None:
    restorer = restorer_of(VALUES)
    raw = RawBody(b"<PERSON_1> not json", "text/plain")
    assert CODEC.restore_body(None, raw, restorer) == raw
    assert CODEC.restore_body(None, RawBody(b"", ""), restorer) == RawBody(b"", "")


def test_routes_name_owned_objects() -> None:
    table = routes()
    create = match_route(table, "POST", "responses")
    assert create is not None and not create.route.owned
    for method, path in (("GET", "responses/resp_1"), ("DELETE", "responses/resp_1"),
                         ("GET", "responses/resp_1/input_items"),
                         ("POST", "responses/resp_1/cancel")):
        found = match_route(table, method, path)
        assert found is not None and found.route.owned and found.object_id == "resp_1"
    deleted = match_route(table, "DELETE", "responses/resp_1")
    assert deleted is not None and deleted.deleted_id == "resp_1"
    cancel = match_route(table, "POST", "responses/resp_1/cancel")
    assert cancel is not None and cancel.deleted_id is None
    assert match_route(table, "PUT", "responses/resp_1") is None


def test_lists_under_structural_keys_are_not_scanned() -> None:
    body = {"model": "m", "input": "hi", "include": [
        "file_search_call.results", "message.input_image.image_url"],
        "tools": [{"type": "file_search", "vector_store_ids": ["vs_1"]}],
        "metadata": {"tags": ["Ann"]}}
    assert slot_paths(body) == {("input",): False, ("metadata", "tags", 0): False}
