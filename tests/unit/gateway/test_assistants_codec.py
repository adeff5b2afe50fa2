"""The Assistants codec: what is scanned, what must be owned, what the ledger records."""

from __future__ import annotations

import json

from gateway.codecs.assistants import AssistantsCodec
from gateway.codecs.base import ObjectRef, RawBody
from gateway.routes import build_routes, match_route
from gateway.slots import SlotKind
from policies import load_policy
from tests.unit.gateway.fakes import restorer_of

CODEC = AssistantsCodec()


def scanned(body: object) -> set[str]:
    return {slot.text for slot in CODEC.request_slots(body)}


def test_assistant_texts_are_scanned_and_identifiers_are_not() -> None:
    body = {
        "model": "gpt-4o", "name": "Helper for John Smith", "description": "desc",
        "instructions": "Call +1 212 555 0199", "tool_choice": "auto",
        "response_format": "auto", "metadata": {"owner": "jane@example.com"},
        "tools": [{"type": "function", "function": {
            "name": "lookup_customer", "description": "Find a customer",
            "parameters": {"type": "object", "properties": {}}}}],
        "tool_resources": {"file_search": {"vector_store_ids": ["vs_1"]}},
    }
    # Inside the free-form metadata and JSON schema, keys and values are all scanned.
    assert scanned(body) == {"Helper for John Smith", "desc", "Call +1 212 555 0199",
                             "jane@example.com", "Find a customer", "owner", "type", "object",
                             "properties"}


def test_message_and_run_texts_are_scanned() -> None:
    body = {
        "assistant_id": "asst_1", "instructions": "be brief",
        "additional_instructions": "the user is John", "stream": True,
        "additional_messages": [{"role": "user", "content": [
            {"type": "text", "text": "hi, I am Ann"},
            {"type": "image_file", "image_file": {"file_id": "file_1", "detail": "low"}}],
            "attachments": [{"file_id": "file_2", "tools": [{"type": "file_search"}]}]}],
        "truncation_strategy": {"type": "last_messages", "last_messages": 3},
    }
    assert scanned(body) == {"be brief", "the user is John", "hi, I am Ann"}


def test_tool_outputs_are_plain_text_slots() -> None:
    body = {"tool_outputs": [{"tool_call_id": "call_1",
                              "output": '{"john@example.com": "vip"}'}]}
    slots = CODEC.request_slots(body)
    assert [(slot.text, slot.kind) for slot in slots] == [
        ('{"john@example.com": "vip"}', SlotKind.STRING)]


def test_referenced_objects_are_assistants_files_and_vector_stores() -> None:
    body = {
        "assistant_id": "asst_1",
        "thread": {"messages": [{"role": "user", "content": "x",
                                 "attachments": [{"file_id": "file_1"}]}],
                   "tool_resources": {"code_interpreter": {"file_ids": ["file_2", "file_1"]},
                                      "file_search": {"vector_store_ids": ["vs_1"]}},
                   "metadata": {"assistant_id": "not-an-object"}},
    }
    assert CODEC.referenced_objects(body) == ["asst_1", "file_1", "file_2", "vs_1"]
    assert CODEC.referenced_objects(None) == []


def test_created_objects_from_whole_answers() -> None:
    assert CODEC.created_objects({}, {"id": "asst_1", "object": "assistant"}) == [
        ObjectRef("assistant", "asst_1")]
    assert CODEC.created_objects({}, {"id": "thread_1", "object": "thread"}) == [
        ObjectRef("thread", "thread_1")]
    message = {"id": "msg_1", "object": "thread.message", "thread_id": "thread_1"}
    assert CODEC.created_objects({}, message) == [ObjectRef("message", "msg_1", "thread_1")]
    run = {"id": "run_1", "object": "thread.run", "thread_id": "thread_9"}
    assert CODEC.created_objects({"assistant_id": "asst_1"}, run) == [
        ObjectRef("thread", "thread_9"), ObjectRef("run", "run_1", "thread_9")]


def test_reads_lists_deletions_and_steps_are_never_recorded() -> None:
    listing = {"object": "list", "data": [{"id": "asst_x", "object": "assistant"}]}
    assert CODEC.created_objects({}, listing) == []
    gone = {"id": "thread_1", "object": "thread.deleted", "deleted": True}
    assert CODEC.created_objects({}, gone) == []
    step = {"id": "step_1", "object": "thread.run.step", "thread_id": "thread_1"}
    assert CODEC.created_objects({}, step) == []
    assert CODEC.created_objects(None, None) == []
    assert CODEC.created_objects(None, {"id": "asst_1", "object": "assistant"}) == []


def test_created_objects_from_a_stream_result() -> None:
    result = [{"object": "thread", "id": "thread_1"},
              {"object": "thread.run", "id": "run_1", "thread_id": "thread_1"},
              {"object": "thread.message", "id": "msg_1", "thread_id": "thread_1"}]
    assert CODEC.created_objects({"stream": True}, result) == [
        ObjectRef("thread", "thread_1"), ObjectRef("thread", "thread_1"),
        ObjectRef("run", "run_1", "thread_1"), ObjectRef("message", "msg_1", "thread_1")]


def test_inline_vector_stores_are_recorded() -> None:
    request = {"tool_resources": {"file_search": {"vector_stores": [{"file_ids": []}]}}}
    answer = {"id": "asst_1", "object": "assistant",
              "tool_resources": {"file_search": {"vector_store_ids": ["vs_new"]}}}
    assert CODEC.created_objects(request, answer) == [
        ObjectRef("assistant", "asst_1"), ObjectRef("vector_store", "vs_new")]
    assert CODEC.created_objects({}, answer) == [ObjectRef("assistant", "asst_1")]


def test_whole_answer_restores_arguments_json_escaped() -> None:
    run = {"id": "run_1", "object": "thread.run", "required_action": {
        "type": "submit_tool_outputs", "submit_tool_outputs": {"tool_calls": [
            {"id": "call_1", "type": "function",
             "function": {"name": "lookup", "arguments": '{"q":"<PERSON_1>"}'}}]}},
        "instructions": "about <PERSON_1>"}
    restorer = restorer_of({"<PERSON_1>": 'Jo "Jo" Smith'})
    raw = RawBody(json.dumps(run).encode(), "application/json")
    restored = json.loads(CODEC.restore_body({}, raw, restorer).content)
    call = restored["required_action"]["submit_tool_outputs"]["tool_calls"][0]
    assert json.loads(call["function"]["arguments"]) == {"q": 'Jo "Jo" Smith'}
    assert restored["instructions"] == 'about Jo "Jo" Smith'


def test_routes_send_every_assistants_path_to_the_codec() -> None:
    routes = build_routes(load_policy(None))
    cases = {
        ("POST", "assistants"): (None, None), ("GET", "assistants"): (None, None),
        ("DELETE", "assistants/asst_1"): ("asst_1", None),
        ("POST", "threads"): (None, None), ("POST", "threads/runs"): (None, None),
        ("GET", "threads/thread_1"): ("thread_1", None),
        ("POST", "threads/thread_1/messages"): ("thread_1", None),
        ("DELETE", "threads/thread_1/messages/msg_1"): ("thread_1", "msg_1"),
        ("POST", "threads/thread_1/runs"): ("thread_1", None),
        ("GET", "threads/thread_1/runs/run_1"): ("thread_1", "run_1"),
        ("POST", "threads/thread_1/runs/run_1/cancel"): ("thread_1", "run_1"),
        ("POST", "threads/thread_1/runs/run_1/submit_tool_outputs"): ("thread_1", "run_1"),
        ("GET", "threads/thread_1/runs/run_1/steps"): ("thread_1", "run_1"),
        ("GET", "threads/thread_1/runs/run_1/steps/step_1"): ("thread_1", "run_1"),
    }
    for (method, path), ids in cases.items():
        matched = match_route(routes, method, path)
        assert matched is not None, path
        assert isinstance(matched.route.codec, AssistantsCodec), path
        assert (matched.object_id, matched.child_id) == ids, path
    deleted = match_route(routes, "DELETE", "threads/thread_1/messages/msg_1")
    assert deleted is not None and deleted.deleted_id == "msg_1"
