"""The Conversations codec: items scanned like Responses items, objects recorded."""

from __future__ import annotations

import json
from typing import Any

from gateway.codecs.base import ObjectRef, RawBody
from gateway.codecs.conversations import ConversationsCodec, routes
from gateway.routes import match_route
from gateway.slots import SlotKind

from .fakes import restorer_of

CODEC = ConversationsCodec()


def test_items_and_metadata_are_scanned_ids_and_names_are_not() -> None:
    body = {"metadata": {"customer": "Ann Lee"}, "items": [
        {"type": "message", "role": "user", "content": "I am Ann"},
        {"type": "function_call", "call_id": "c1", "name": "lookup", "arguments": '{"a": "Ann"}'},
        {"type": "function_call_output", "call_id": "c1", "output": "Ann's file"}]}
    slots = {(slot.path, slot.kind) for slot in CODEC.request_slots(body)}
    assert slots == {(("metadata", "customer"), SlotKind.KEY),
                     (("metadata", "customer"), SlotKind.STRING),
                     (("items", 0, "content"), SlotKind.STRING),
                     (("items", 1, "arguments"), SlotKind.JSON_TEXT),
                     (("items", 2, "output"), SlotKind.STRING)}


def test_created_objects() -> None:
    conversation = {"id": "conv_1", "object": "conversation", "metadata": {}}
    assert CODEC.created_objects({"items": []}, conversation) == [
        ObjectRef("conversation", "conv_1")]
    listing = {"object": "list", "data": [{"id": "msg_1"}, {"id": "fc_1"}]}
    assert CODEC.created_objects({"items": [{}, {}]}, listing) == [
        ObjectRef("conversation_item", "msg_1"), ObjectRef("conversation_item", "fc_1")]


def test_reads_and_deletes_record_nothing() -> None:
    assert CODEC.created_objects(None, {"id": "conv_1", "object": "conversation"}) == []
    assert CODEC.created_objects(None, {"object": "list", "data": [{"id": "msg_1"}]}) == [
        ObjectRef("conversation_item", "msg_1")]  # a listing records its items
    assert CODEC.created_objects({}, {"id": "conv_1", "object": "conversation.deleted"}) == []
    assert CODEC.created_objects({}, None) == []


def test_restore_body_shifts_item_annotations() -> None:
    text = "Hi <PERSON_1>."
    document: dict[str, Any] = {"object": "list", "data": [
        {"type": "message", "role": "assistant", "content": [
            {"type": "output_text", "text": text, "annotations": [
                {"type": "url_citation", "start_index": 3, "end_index": 13,
                 "url": "u", "title": "t"}]}]},
        {"type": "function_call", "arguments": '{"w": "<PERSON_1>"}'}]}
    restorer = restorer_of({"<PERSON_1>": 'Jo "J" Li'})
    raw = RawBody(json.dumps(document).encode(), "application/json")
    restored = json.loads(CODEC.restore_body(None, raw, restorer).content)
    part = restored["data"][0]["content"][0]
    assert part["text"] == 'Hi Jo "J" Li.'
    annotation = part["annotations"][0]
    assert part["text"][annotation["start_index"]:annotation["end_index"]] == 'Jo "J" Li'
    assert json.loads(restored["data"][1]["arguments"]) == {"w": 'Jo "J" Li'}


def test_routes() -> None:
    table = routes()
    create = match_route(table, "POST", "conversations")
    assert create is not None and not create.route.owned
    for method, path in (("GET", "conversations/conv_1"), ("POST", "conversations/conv_1"),
                         ("DELETE", "conversations/conv_1"),
                         ("GET", "conversations/conv_1/items"),
                         ("POST", "conversations/conv_1/items")):
        found = match_route(table, method, path)
        assert found is not None and found.object_id == "conv_1" and found.route.owned
    item = match_route(table, "DELETE", "conversations/conv_1/items/msg_1")
    assert item is not None and item.object_id == "conv_1" and item.deleted_id == "msg_1"
    read = match_route(table, "GET", "conversations/conv_1/items/msg_1")
    assert read is not None and read.child_id == "msg_1"
    deleted = match_route(table, "DELETE", "conversations/conv_1")
    assert deleted is not None and deleted.deleted_id == "conv_1"
