"""Ids inside request bodies, end to end with the real SDK: one tenant's, never another's.

Every tenant shares one provider account, so an id named in a body (an item
by reference, a file in an input part, a vector store in a tool...) would let
one tenant pull another's stored object into its model's context. Each test
shows the owner's request going through and the other tenant's refused with
404 ``object_not_found`` before anything reaches the provider.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import openai
import pytest

from gateway.simulator import SimulatorState
from tests.e2e.conftest import Gateway
from tests.e2e.conftest import ledger_owner as owner
from vault import Ledger

NAME, EMAIL = "John Smith", "john.smith@example.com"
TEXT = f"My name is {NAME}, my email is {EMAIL}"
ECHO = "You said: "
MODEL = "gpt-4.1"


def refused(provider: SimulatorState, attempt: Callable[[], object]) -> None:
    """404 object_not_found, and the provider never heard of the request."""
    before = len(provider.requests)
    with pytest.raises(openai.NotFoundError) as caught:
        attempt()
    assert caught.value.code == "object_not_found"
    assert len(provider.requests) == before


def assert_hidden(provider: SimulatorState) -> None:
    received = provider.bodies_text()
    assert NAME not in received and EMAIL not in received


def reference(item_id: str) -> list[Any]:
    return [{"type": "item_reference", "id": item_id},
            {"role": "user", "content": "and once more"}]


def test_item_reference_to_a_stored_responses_output_item(
        gateway: Gateway, provider: SimulatorState, ledger: Ledger) -> None:
    client, intruder = gateway.client(), gateway.client(key=gateway.other_tenant_key)
    first = client.responses.create(store=True, model=MODEL, input=TEXT)
    item_id = first.output[0].id
    entry = owner(ledger, item_id)
    assert entry is not None and (entry.kind, entry.parent_id) == ("response_item", first.id)
    answer = client.responses.create(store=True, model=MODEL, input=reference(item_id))
    assert answer.output_text == ECHO + "and once more"
    assert provider.requests[-1].json["input"][0] == {"type": "item_reference", "id": item_id}
    refused(provider, lambda: intruder.responses.create(store=True, model=MODEL,
                                                        input=reference(item_id)))
    refused(provider, lambda: list(intruder.responses.create(
        store=True, model=MODEL, input=reference(item_id), stream=True)))
    assert_hidden(provider)


def test_item_reference_to_an_item_a_conversation_was_created_with(
        gateway: Gateway, provider: SimulatorState, ledger: Ledger) -> None:
    """The provider names such items only when they are listed: the owner's listing records them."""
    client = gateway.client()
    conversation = client.conversations.create(
        items=[{"type": "message", "role": "user", "content": TEXT}])
    item = next(iter(client.conversations.items.list(conversation.id)))
    entry = owner(ledger, item.id)
    assert entry is not None and (entry.kind, entry.parent_id) == (
        "conversation_item", conversation.id)
    answer = client.responses.create(store=True, model=MODEL, input=[{"type": "item_reference",
                                                          "id": item.id}])
    assert answer.output_text == ECHO + TEXT  # the referenced item reached the model
    refused(provider,
            lambda: gateway.client(key=gateway.other_tenant_key).responses.create(
        store=True, model=MODEL, input=[{"type": "item_reference", "id": item.id}]))
    assert_hidden(provider)


def test_item_reference_to_a_stored_responses_input_item(
        gateway: Gateway, provider: SimulatorState, ledger: Ledger) -> None:
    """The provider names input items only in listings: the owner's listing records them."""
    client, intruder = gateway.client(), gateway.client(key=gateway.other_tenant_key)
    first = client.responses.create(
        store=True, model=MODEL, input=[{"type": "message", "role": "user", "content": TEXT}])
    [item] = list(client.responses.input_items.list(first.id))
    entry = owner(ledger, item.id)
    assert entry is not None and (entry.kind, entry.parent_id) == ("response_item", first.id)
    answer = client.responses.create(store=True, model=MODEL, input=[{"type": "item_reference",
                                                          "id": item.id}])
    assert answer.output_text == ECHO + TEXT  # the referenced item reached the model
    refused(provider, lambda: intruder.responses.create(store=True, model=MODEL,
                                                        input=reference(item.id)))
    client.responses.delete(first.id)
    assert owner(ledger, item.id) is None
    assert_hidden(provider)


def test_streamed_and_background_output_items_can_be_referenced_by_their_owner_only(
        gateway: Gateway, provider: SimulatorState, ledger: Ledger) -> None:
    client, intruder = gateway.client(), gateway.client(key=gateway.other_tenant_key)
    events = list(client.responses.create(store=True, model=MODEL, input=TEXT, stream=True))
    streamed = next(event for event in events if event.type == "response.completed").response
    queued = client.responses.create(store=True, model=MODEL, input=TEXT, background=True)
    assert queued.output == []
    finished = client.responses.retrieve(queued.id)  # the read records the finished items
    for item_id in (streamed.output[0].id, finished.output[0].id):
        assert owner(ledger, item_id) is not None
        assert client.responses.create(store=True, model=MODEL,
                                       input=reference(item_id)).output_text
        refused(provider, lambda item_id=item_id: intruder.responses.create(
            store=True, model=MODEL, input=reference(item_id)))
    assert_hidden(provider)


def test_a_reasoning_item_passed_back_by_id_alone(gateway: Gateway,
                                                  provider: SimulatorState) -> None:
    """Without ``encrypted_content`` the provider looks the reasoning up by its id."""
    client = gateway.client()
    first = client.responses.create(store=True, model=MODEL, input=TEXT,
                                    reasoning={"effort": "low"})
    reasoning = first.output[0]
    assert reasoning.type == "reasoning"
    passed_back: list[Any] = [{"type": "reasoning", "id": reasoning.id, "summary": []},
                              {"role": "user", "content": "go on"}]
    assert client.responses.create(store=True, model=MODEL,
                                   input=passed_back).output_text == ECHO + "go on"
    refused(provider,
            lambda: gateway.client(key=gateway.other_tenant_key).responses.create(
        store=True, model=MODEL, input=passed_back))


def test_a_file_in_a_responses_or_chat_input_part(gateway: Gateway,
                                                  provider: SimulatorState) -> None:
    client = gateway.client()
    file_id = client.files.create(file=("notes.txt", b"Quarterly numbers", "text/plain"),
                                  purpose="user_data").id
    responses_input: list[Any] = [{"role": "user", "content": [
        {"type": "input_text", "text": "summarise"},
        {"type": "input_file", "file_id": file_id}]}]
    chat_messages: list[Any] = [{"role": "user", "content": [
        {"type": "text", "text": "summarise"}, {"type": "file", "file": {"file_id": file_id}}]}]
    assert client.responses.create(store=True, model=MODEL, input=responses_input).output_text
    assert client.chat.completions.create(model=MODEL, messages=chat_messages).choices
    intruder = gateway.client(key=gateway.other_tenant_key)
    refused(provider, lambda: intruder.responses.create(store=True, model=MODEL,
                                                        input=responses_input))
    refused(provider, lambda: intruder.chat.completions.create(model=MODEL,
                                                               messages=chat_messages))


def test_a_vector_store_in_a_file_search_tool(gateway: Gateway,
                                              provider: SimulatorState) -> None:
    client = gateway.client()
    store = client.vector_stores.create(name="handbook")
    tools: list[Any] = [{"type": "file_search", "vector_store_ids": [store.id]}]
    assert client.responses.create(store=True, model=MODEL, input="search", tools=tools).output_text
    refused(provider,
            lambda: gateway.client(key=gateway.other_tenant_key).responses.create(
        store=True, model=MODEL, input="search", tools=tools))


def test_items_put_into_a_conversation_must_carry_the_tenants_own_ids(
        gateway: Gateway, provider: SimulatorState) -> None:
    """Otherwise listing its own conversation would hand a tenant another's item id."""
    client, intruder = gateway.client(), gateway.client(key=gateway.other_tenant_key)
    theirs = client.responses.create(store=True, model=MODEL, input=TEXT).output[0].id
    own_conversation = intruder.conversations.create()
    smuggled: list[Any] = [{"type": "message", "id": theirs, "role": "user", "content": "hi"}]
    refused(provider, lambda: intruder.conversations.create(items=smuggled))
    refused(provider, lambda: intruder.conversations.items.create(own_conversation.id,
                                                                  items=smuggled))
    refused(provider, lambda: intruder.responses.create(
        store=True, model=MODEL, conversation=own_conversation.id, input=smuggled))
    assert client.conversations.create(items=smuggled).id  # the owner may


def test_a_code_interpreter_container_it_ran_in(gateway: Gateway,
                                                provider: SimulatorState) -> None:
    client = gateway.client()
    container_id = f"cntr_{uuid.uuid4().hex}"
    provider.fail_next(200, {  # the simulator has no code interpreter: script its answer
        "id": f"resp_{uuid.uuid4().hex}", "object": "response", "status": "completed",
        "model": MODEL, "store": True, "created_at": 1, "output": [
            {"type": "code_interpreter_call", "id": f"ci_{uuid.uuid4().hex}",
             "container_id": container_id, "code": "print(1)", "status": "completed",
             "outputs": []}]})
    client.responses.create(store=True, model=MODEL, input="compute", tools=[
        {"type": "code_interpreter", "container": {"type": "auto"}}])
    tools: list[Any] = [{"type": "code_interpreter", "container": container_id}]
    assert client.responses.create(store=True, model=MODEL, input="again", tools=tools).output_text
    refused(provider,
            lambda: gateway.client(key=gateway.other_tenant_key).responses.create(
        store=True, model=MODEL, input="again", tools=tools))


def test_the_audio_of_an_earlier_chat_answer(gateway: Gateway, provider: SimulatorState) -> None:
    client = gateway.client()
    audio_id = f"audio_{uuid.uuid4().hex}"
    provider.fail_next(200, {  # the simulator speaks no audio: script its answer
        "id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion", "created": 1,
        "model": MODEL, "choices": [{"index": 0, "finish_reason": "stop", "message": {
            "role": "assistant", "content": None, "audio": {
                "id": audio_id, "data": "", "expires_at": 2, "transcript": "Hello"}}}]})
    first = client.chat.completions.create(
        model=MODEL, modalities=["text", "audio"], audio={"voice": "alloy", "format": "wav"},
        messages=[{"role": "user", "content": "say hello"}])
    message = first.choices[0].message
    assert message.audio is not None and message.audio.id == audio_id
    follow_up: list[Any] = [{"role": "user", "content": "say hello"},
                            {"role": "assistant", "audio": {"id": audio_id}},
                            {"role": "user", "content": "again"}]
    assert client.chat.completions.create(model=MODEL, messages=follow_up).choices
    refused(provider, lambda: gateway.client(key=gateway.other_tenant_key)
            .chat.completions.create(model=MODEL, messages=follow_up))


def test_deleting_a_parent_forgets_its_children(gateway: Gateway, provider: SimulatorState,
                                                ledger: Ledger) -> None:
    client = gateway.client()
    stored = client.responses.create(store=True, model=MODEL, input=TEXT,
                                     reasoning={"effort": "low"})
    item_ids = [item.id for item in stored.output]
    assert all(owner(ledger, item_id) is not None for item_id in item_ids)
    client.responses.delete(stored.id)
    assert [owner(ledger, item_id) for item_id in [stored.id, *item_ids]] == [None] * 3
    refused(provider, lambda: client.responses.create(store=True, model=MODEL,
                                                      input=reference(item_ids[1])))

    conversation = client.conversations.create(
        items=[{"type": "message", "role": "user", "content": TEXT}])
    answer = client.responses.create(store=True, model=MODEL, conversation=conversation.id,
                                     input="hi")
    listed = [item.id for item in client.conversations.items.list(conversation.id)]
    assert len(listed) == 3 and all(owner(ledger, item_id) for item_id in listed)
    client.conversations.delete(conversation.id)
    assert [owner(ledger, item_id) for item_id in [conversation.id, *listed]] == [None] * 4
    kept = owner(ledger, answer.id)  # a response outlives its conversation upstream
    assert kept is not None and kept.parent_id is None
