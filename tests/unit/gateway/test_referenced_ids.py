"""Ids named inside request bodies (checked against the tenant's ledger), and the ids
recorded so that a tenant may name its own objects later."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.codecs.assistants import AssistantsCodec
from gateway.codecs.base import ObjectRef
from gateway.codecs.batches import BatchesCodec, protect_batch_jsonl
from gateway.codecs.chat import ChatCodec, ChatStreamRestorer
from gateway.codecs.conversations import ConversationsCodec
from gateway.codecs.items import referenced_ids
from gateway.codecs.responses import ResponsesCodec
from gateway.codecs.vector_stores import VectorStoresCodec
from gateway.errors import NotFound
from gateway.sse import SSEEvent

from .fakes import restorer_of
from .files_fakes import FakeProtector, Owned

RESPONSES = ResponsesCodec()
CONVERSATIONS = ConversationsCodec()
CHAT = ChatCodec()


def user(*parts: dict[str, Any]) -> dict[str, Any]:
    return {"type": "message", "role": "user", "content": list(parts)}


# Responses: items, files, stores and containers a request makes the provider load.

def test_item_references_are_checked() -> None:
    body = {"model": "m", "input": [user({"type": "input_text", "text": "hi"}),
                                    {"type": "item_reference", "id": "msg_a"},
                                    {"type": "item_reference", "id": "fc_b"}]}
    assert RESPONSES.referenced_objects(body) == ["msg_a", "fc_b"]


def test_a_reasoning_item_is_checked_only_when_the_provider_must_look_it_up() -> None:
    by_id = {"type": "reasoning", "id": "rs_stored", "summary": []}
    carried = {"type": "reasoning", "id": "rs_stateless", "summary": [],
               "encrypted_content": "gAAAA=="}
    assert RESPONSES.referenced_objects({"input": [by_id, carried]}) == ["rs_stored"]


def test_files_in_input_parts_tool_outputs_screenshots_and_prompt_variables() -> None:
    body = {
        "prompt": {"id": "pmpt_1", "variables": {
            "doc": {"type": "input_file", "file_id": "file-var"}, "name": "Ann"}},
        "input": [
            user({"type": "input_text", "text": "read"},
                 {"type": "input_file", "file_id": "file-doc"},
                 {"type": "input_image", "file_id": "file-img", "detail": "auto"},
                 {"type": "input_image", "image_url": "https://example.com/a.png"}),
            {"type": "function_call_output", "call_id": "c1",
             "output": [{"type": "input_file", "file_id": "file-tool"}]},
            {"type": "computer_call_output", "call_id": "c2",
             "output": {"type": "computer_screenshot", "file_id": "file-shot"}},
        ]}
    assert RESPONSES.referenced_objects(body) == [
        "file-var", "file-doc", "file-img", "file-tool", "file-shot"]


def test_citations_and_search_results_are_not_loads() -> None:
    """A passed-back answer cites files (a container's file too, never recorded)."""
    answer = {"type": "message", "role": "assistant", "id": "msg_1", "content": [
        {"type": "output_text", "text": "see", "annotations": [
            {"type": "file_citation", "file_id": "file-cited", "index": 0},
            {"type": "container_file_citation", "container_id": "cntr_1",
             "file_id": "cfile_1", "start_index": 0, "end_index": 1}]}]}
    search = {"type": "file_search_call", "id": "fs_1", "status": "completed", "queries": [],
              "results": [{"file_id": "file-found", "text": "x"}]}
    assert RESPONSES.referenced_objects({"input": [answer, search]}) == []


def test_tools_name_vector_stores_containers_their_files_and_masks() -> None:
    body = {"input": "hi", "tools": [
        {"type": "file_search", "vector_store_ids": ["vs_1", "vs_2"]},
        {"type": "code_interpreter", "container": "cntr_reuse"},
        {"type": "code_interpreter", "container": {"type": "auto", "file_ids": ["file-ci"]}},
        {"type": "shell", "environment": {"type": "container_reference",
                                          "container_id": "cntr_shell"}},
        {"type": "shell", "environment": {"type": "container_auto", "file_ids": ["file-sh"]}},
        {"type": "image_generation", "input_image_mask": {"file_id": "file-mask"}},
        {"type": "function", "name": "f", "parameters": {
            "type": "object", "properties": {"x": {"type": "input_file", "file_id": "no"}}}},
    ]}
    assert RESPONSES.referenced_objects(body) == [
        "vs_1", "vs_2", "cntr_reuse", "file-ci", "cntr_shell", "file-sh", "file-mask"]


def test_items_going_into_a_conversation_must_carry_the_tenants_ids() -> None:
    given_ids = [{"type": "message", "id": "msg_given", "role": "user", "content": "hi"},
                 {"type": "reasoning", "id": "rs_given", "encrypted_content": "x",
                  "summary": []},
                 {"type": "function_call_output", "call_id": "c1", "output": "ok"}]
    assert RESPONSES.referenced_objects({"conversation": "conv_1", "input": given_ids}) == [
        "conv_1", "msg_given", "rs_given"]
    assert RESPONSES.referenced_objects({"input": given_ids}) == []
    assert RESPONSES.referenced_objects({"previous_response_id": "resp_1",
                                         "input": given_ids}) == ["resp_1"]


def test_metadata_and_schemas_hold_no_references_and_ids_come_once() -> None:
    body = {"metadata": {"file_id": "file-meta"},
            "text": {"format": {"type": "json_schema", "name": "s", "schema": {
                "examples": [{"type": "item_reference", "id": "msg_example"}]}}},
            "input": [{"type": "item_reference", "id": "msg_1"},
                      {"type": "item_reference", "id": "msg_1"}, "stray", 3]}
    assert RESPONSES.referenced_objects(body) == ["msg_1"]
    assert RESPONSES.referenced_objects([body]) == []


item_lists = st.lists(st.one_of(
    st.builds(lambda n: {"type": "item_reference", "id": f"msg_{n}"}, st.integers(0, 5)),
    st.builds(lambda t: user({"type": "input_text", "text": t}), st.text(max_size=5)),
    st.builds(lambda n: {"type": "function_call_output", "call_id": f"call_{n}",
                         "output": [{"type": "input_text", "text": "x"}]}, st.integers(0, 5)),
), max_size=8)


@given(items=item_lists)
def test_every_reference_is_found_once_in_order(items: list[dict[str, Any]]) -> None:
    expected = list(dict.fromkeys(item["id"] for item in items
                                  if item.get("type") == "item_reference"))
    assert referenced_ids({"input": items}) == expected
    assert referenced_ids({"input": [{"type": "message", "content": items}]}) == expected


# Responses: what is recorded so that the tenant may reference it later.

def response(**fields: Any) -> dict[str, Any]:
    return {"id": "resp_1", "object": "response", "store": True, "output": [
        {"type": "reasoning", "id": "rs_1", "summary": []},
        {"type": "message", "id": "msg_1", "role": "assistant", "content": []},
        {"type": "code_interpreter_call", "id": "ci_1", "container_id": "cntr_1"},
        {"type": "message", "role": "assistant", "content": []},  # no id: nothing to record
    ], **fields}


def test_a_stored_response_records_its_output_items_and_containers() -> None:
    assert RESPONSES.created_objects({"input": "x"}, response()) == [
        ObjectRef("response", "resp_1"),
        ObjectRef("response_item", "rs_1", "resp_1"),
        ObjectRef("response_item", "msg_1", "resp_1"),
        ObjectRef("response_item", "ci_1", "resp_1"),
        ObjectRef("container", "cntr_1", "resp_1")]


def test_in_a_conversation_items_are_the_conversations_and_the_response_stands_alone() -> None:
    request = {"input": "x", "conversation": {"id": "conv_1"}}
    assert RESPONSES.created_objects(request, response()) == [
        ObjectRef("response", "resp_1"),
        ObjectRef("conversation_item", "rs_1", "conv_1"),
        ObjectRef("conversation_item", "msg_1", "conv_1"),
        ObjectRef("conversation_item", "ci_1", "conv_1"),
        ObjectRef("container", "cntr_1", "resp_1")]
    assert RESPONSES.created_objects(request, response(store=False)) == [
        ObjectRef("conversation_item", "rs_1", "conv_1"),
        ObjectRef("conversation_item", "msg_1", "conv_1"),
        ObjectRef("conversation_item", "ci_1", "conv_1"),
        ObjectRef("container", "cntr_1")]


def test_an_unstored_response_records_only_the_containers_it_made() -> None:
    assert RESPONSES.created_objects({"input": "x", "store": False}, response(store=None)) == [
        ObjectRef("container", "cntr_1")]


def test_a_read_records_the_items_of_a_finished_background_response() -> None:
    assert RESPONSES.created_objects(None, response())[:2] == [
        ObjectRef("response_item", "rs_1", "resp_1"),
        ObjectRef("response_item", "msg_1", "resp_1")]
    assert ObjectRef("response", "resp_1") not in RESPONSES.created_objects(None, response())
    queued = {"id": "resp_1", "object": "response", "store": True, "output": []}
    assert RESPONSES.created_objects(None, queued) == []


# Conversations.

def test_conversation_items_name_files_references_and_their_given_ids() -> None:
    body = {"items": [
        user({"type": "input_file", "file_id": "file-1"}),
        {"type": "item_reference", "id": "msg_ref"},
        {"type": "message", "id": "msg_given", "role": "user", "content": "hi"},
    ], "metadata": {"topic": "x"}}
    assert CONVERSATIONS.referenced_objects(body) == ["file-1", "msg_ref", "msg_given"]
    assert CONVERSATIONS.referenced_objects({"metadata": {"a": "b"}}) == []
    assert CONVERSATIONS.referenced_objects(None) == []


def test_listing_and_reading_items_record_them_once_given_ids_excepted() -> None:
    listing = {"object": "list", "data": [
        {"type": "message", "id": "msg_1"}, {"type": "item_reference", "id": "msg_x"},
        {"type": "function_call", "id": "fc_1"}]}
    assert CONVERSATIONS.created_objects(None, listing) == [
        ObjectRef("conversation_item", "msg_1"), ObjectRef("conversation_item", "fc_1")]
    added = {"items": [{"type": "message", "id": "msg_1", "role": "user", "content": "x"},
                       {"type": "message", "role": "user", "content": "y"}]}
    assert CONVERSATIONS.created_objects(added, listing) == [
        ObjectRef("conversation_item", "fc_1")]
    assert CONVERSATIONS.created_objects(None, {"type": "message", "id": "msg_2"}) == [
        ObjectRef("conversation_item", "msg_2")]


def test_a_deleted_items_answer_and_other_objects_record_nothing() -> None:
    conversation = {"id": "conv_1", "object": "conversation", "metadata": {}}
    assert CONVERSATIONS.created_objects(None, conversation) == []  # DELETE of an item
    assert CONVERSATIONS.created_objects({"metadata": {}}, conversation) == [
        ObjectRef("conversation", "conv_1")]
    assert CONVERSATIONS.created_objects({}, {"id": "conv_1", "deleted": True,
                                              "object": "conversation.deleted"}) == []
    assert CONVERSATIONS.created_objects(None, None) == []


# Chat Completions: file parts and earlier audio answers.

def test_chat_file_parts_and_audio_of_earlier_answers_are_checked() -> None:
    body = {"model": "m", "messages": [
        {"role": "user", "content": [
            {"type": "text", "text": "read this"},
            {"type": "file", "file": {"file_id": "file-1"}},
            {"type": "file", "file": {"file_data": "data:...", "filename": "a.pdf"}},
            {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]},
        {"role": "assistant", "audio": {"id": "audio_1"}},
        {"role": "user", "content": "and?"}, "stray"]}
    assert CHAT.referenced_objects(body) == ["file-1", "audio_1"]
    assert CHAT.referenced_objects({"messages": "x"}) == []
    assert CHAT.referenced_objects(None) == []


def audio_answer() -> dict[str, Any]:
    return {"id": "chatcmpl-1", "object": "chat.completion", "choices": [
        {"index": 0, "message": {"role": "assistant", "content": None, "audio": {
            "id": "audio_1", "data": "", "expires_at": 1, "transcript": "hi"}}},
        {"index": 1, "message": {"role": "assistant", "content": "text only"}}]}


def test_chat_answers_record_their_audio() -> None:
    assert CHAT.created_objects({"messages": []}, audio_answer()) == [
        ObjectRef("chat_audio", "audio_1")]
    assert CHAT.created_objects({"store": True}, audio_answer()) == [
        ObjectRef("chat_completion", "chatcmpl-1"),
        ObjectRef("chat_audio", "audio_1", "chatcmpl-1")]
    assert CHAT.created_objects({"messages": []}, {"id": "chatcmpl-2", "choices": []}) == []


def test_a_chat_stream_reveals_its_audio_id_for_the_ledger() -> None:
    def chunk(delta: dict[str, Any]) -> SSEEvent:
        return SSEEvent(data=json.dumps({"id": "chatcmpl-1", "object": "chat.completion.chunk",
                                         "choices": [{"index": 0, "delta": delta,
                                                      "finish_reason": None}]}))

    def run() -> Any:
        stream = ChatStreamRestorer(restorer_of({}), json_content=False)
        assert stream.result is None
        stream.on_event(chunk({"role": "assistant"}))
        assert CHAT.created_objects({}, stream.result) == []
        stream.on_event(chunk({"audio": {"id": "audio_9", "data": "AAAA"}}))
        stream.on_event(chunk({"audio": {"transcript": "hi"}}))
        return stream.result

    assert CHAT.created_objects({}, run()) == [ObjectRef("chat_audio", "audio_9")]


# Families whose references were already checked: kept that way.

def test_assistants_vector_stores_and_batches_name_their_objects() -> None:
    run = {"assistant_id": "asst_1", "thread": {"messages": [{
        "role": "user", "content": [{"type": "image_file", "image_file": {"file_id": "file-i"}}],
        "attachments": [{"file_id": "file-a", "tools": [{"type": "file_search"}]}]}]},
        "tool_resources": {"code_interpreter": {"file_ids": ["file-c"]},
                           "file_search": {"vector_store_ids": ["vs_1"]}}}
    assert AssistantsCodec().referenced_objects(run) == [
        "asst_1", "file-i", "file-a", "file-c", "vs_1"]
    stores = VectorStoresCodec()
    assert stores.referenced_objects({"file_ids": ["file-1"], "name": "n"}) == ["file-1"]
    assert stores.referenced_objects({"files": [{"file_id": "file-2"}]}) == ["file-2"]
    assert stores.referenced_objects({"file_id": "file-3"}) == ["file-3"]
    assert BatchesCodec().referenced_objects({"input_file_id": "file-4"}) == ["file-4"]


@pytest.mark.parametrize(("url", "body"), [
    ("/v1/responses", {"model": "m", "input": [user({"type": "input_file", "file_id": "f"})]}),
    ("/v1/responses", {"model": "m", "input": [{"type": "item_reference", "id": "msg_1"}]}),
    ("/v1/chat/completions", {"model": "m", "messages": [
        {"role": "user", "content": [{"type": "file", "file": {"file_id": "f"}}]}]}),
])
def test_batch_lines_may_name_only_the_tenants_stored_objects(
        url: str, body: dict[str, Any]) -> None:
    codecs = {"/v1/responses": RESPONSES, "/v1/chat/completions": CHAT}
    text = json.dumps({"custom_id": "r1", "method": "POST", "url": url, "body": body})
    protector = FakeProtector()
    with pytest.raises(NotFound, match=r"line 1 .* no object of this key's tenant"):
        asyncio.run(protect_batch_jsonl(text, codecs.get, protector))
    assert protector.calls == []  # refused before anything was scanned
    owned = protector.with_owned(Owned("f", "msg_1"))
    assert asyncio.run(protect_batch_jsonl(text, codecs.get, owned))
