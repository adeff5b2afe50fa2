"""Conversations end to end: create, read, update, delete, items, and Responses on them.

A conversation is owned by the tenant and subject that created it (ledger);
its items are restored in that scope, and another tenant gets 404 on every
path below it.
"""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest

from gateway.simulator import SimulatorState
from tests.e2e.conftest import Gateway
from tests.e2e.conftest import ledger_owner as owner
from vault import Ledger

NAME, EMAIL = "John Smith", "john.smith@example.com"
PHONE, CARD = "+1 212 555 0199", "4111 1111 1111 1111"
TEXT = f"I am {NAME}, reach me at {EMAIL}"


def assert_hidden(provider: SimulatorState) -> None:
    received = provider.bodies_text()
    assert received
    for value in (NAME, EMAIL, PHONE, CARD):
        assert value not in received


def user(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "user", "content": text}


def test_create_retrieve_update_delete(gateway: Gateway, provider: SimulatorState,
                                       ledger: Ledger) -> None:
    client = gateway.client()
    created = client.conversations.create(items=[user(TEXT)], metadata={"customer": NAME})
    assert created.metadata == {"customer": NAME}
    entry = owner(ledger, created.id)
    assert entry is not None and entry.kind == "conversation"
    assert client.conversations.retrieve(created.id).metadata == {"customer": NAME}
    updated = client.conversations.update(created.id, metadata={"phone": PHONE})
    assert updated.metadata == {"phone": PHONE}
    items = list(client.conversations.items.list(created.id))
    assert items[0].content[0].text == TEXT
    client.conversations.delete(created.id)
    assert owner(ledger, created.id) is None
    with pytest.raises(openai.NotFoundError):
        client.conversations.retrieve(created.id)
    assert_hidden(provider)


def test_items_create_list_retrieve_delete(gateway: Gateway, provider: SimulatorState,
                                           ledger: Ledger) -> None:
    client = gateway.client()
    conversation = client.conversations.create()
    added = client.conversations.items.create(conversation.id, items=[
        user(f"My card is {CARD}"),
        {"type": "function_call", "call_id": "call_1", "name": "lookup",
         "arguments": json.dumps({"phone": PHONE})},
        {"type": "function_call_output", "call_id": "call_1", "output": f"{NAME} found"}])
    message, call, output = added.data
    assert message.content[0].text == f"My card is {CARD}"
    assert json.loads(call.arguments) == {"phone": PHONE}
    assert call.name == "lookup"
    assert output.output == f"{NAME} found"
    for item in added.data:
        entry = owner(ledger, item.id)
        assert entry is not None and entry.kind == "conversation_item"
    listed = list(client.conversations.items.list(conversation.id, order="asc"))
    assert [item.id for item in listed] == [item.id for item in added.data]
    fetched = client.conversations.items.retrieve(call.id, conversation_id=conversation.id)
    assert json.loads(fetched.arguments) == {"phone": PHONE}
    client.conversations.items.delete(call.id, conversation_id=conversation.id)
    assert owner(ledger, call.id) is None
    assert len(list(client.conversations.items.list(conversation.id))) == 2
    assert_hidden(provider)


def test_added_items_are_children_of_their_conversation(gateway: Gateway,
                                                        provider: SimulatorState,
                                                        ledger: Ledger) -> None:
    """The answer does not name the conversation, only the path does (pipeline fills it)."""
    client = gateway.client()
    conversation = client.conversations.create()
    added = client.conversations.items.create(conversation.id, items=[user(TEXT)])
    entry = owner(ledger, added.data[0].id)
    assert entry is not None and entry.parent_id == conversation.id
    assert_hidden(provider)


def test_responses_in_a_conversation(gateway: Gateway, provider: SimulatorState,
                                     ledger: Ledger) -> None:
    client = gateway.client()
    conversation = client.conversations.create(items=[user(f"Remember {PHONE}")])
    answer = client.responses.create(store=True, model="gpt-4.1", conversation=conversation.id,
                                     input=TEXT)
    assert answer.output_text == "You said: " + TEXT
    entry = owner(ledger, answer.id)
    assert entry is not None and entry.kind == "response" and entry.parent_id is None
    item = owner(ledger, answer.output[0].id)
    assert item is not None and item.kind == "conversation_item"
    assert item.parent_id == conversation.id
    texts = [item.content[0].text
             for item in client.conversations.items.list(conversation.id, order="asc")]
    assert texts == [f"Remember {PHONE}", TEXT, "You said: " + TEXT]
    streamed = client.responses.create(store=True, model="gpt-4.1",
                                       conversation={"id": conversation.id},
                                       input=f"and {NAME}", stream=True)
    events = list(streamed)  # read to the end: the ledger is written as the stream closes
    final = next(event for event in events if event.type == "response.completed")
    assert final.response.output_text == f"You said: and {NAME}"
    assert owner(ledger, final.response.output[0].id) is not None
    assert_hidden(provider)


def test_other_tenant_gets_404_everywhere(gateway: Gateway, provider: SimulatorState) -> None:
    client = gateway.client()
    conversation = client.conversations.create(items=[user(TEXT)], metadata={"who": NAME})
    item = next(iter(client.conversations.items.list(conversation.id)))
    upstream_calls = len(provider.requests)
    intruder = gateway.client(key=gateway.other_tenant_key)
    cid = conversation.id
    attempts = [
        lambda: intruder.conversations.retrieve(cid),
        lambda: intruder.conversations.update(cid, metadata={"x": "y"}),
        lambda: intruder.conversations.delete(cid),
        lambda: list(intruder.conversations.items.list(cid)),
        lambda: intruder.conversations.items.create(cid, items=[user("hello")]),
        lambda: intruder.conversations.items.retrieve(item.id, conversation_id=cid),
        lambda: intruder.conversations.items.delete(item.id, conversation_id=cid),
        lambda: intruder.responses.create(store=True, model="gpt-4.1", conversation=cid,
                                          input="hi"),
    ]
    for attempt in attempts:
        with pytest.raises(openai.NotFoundError) as caught:
            attempt()
        assert NAME not in str(caught.value)
    assert len(provider.requests) == upstream_calls
    assert client.conversations.retrieve(cid).metadata == {"who": NAME}
    assert_hidden(provider)
