"""Responses API end to end: real SDK -> gateway -> simulated provider, whole answers.

Each test checks both sides: the provider never saw a personal value, and the
app got the original values back (annotation offsets included).
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
TEXT = f"My name is {NAME}, my email is {EMAIL}"
ECHO = "You said: "


def assert_hidden(provider: SimulatorState, *values: str) -> None:
    received = provider.bodies_text()
    assert received, "the provider received nothing"
    for value in values or (NAME, EMAIL, PHONE, CARD):
        assert value not in received


def test_string_input_restored_with_annotation_offsets(gateway: Gateway,
                                                       provider: SimulatorState) -> None:
    text = f"{TEXT}, card {CARD}, phone {PHONE}"
    answer = gateway.client().responses.create(store=True, model="gpt-4.1", input=text)
    assert answer.output_text == ECHO + text
    part = answer.output[0].content[0]
    annotation = part.annotations[0]
    assert part.text[annotation.start_index:annotation.end_index] == text
    assert_hidden(provider)
    assert "<PERSON_" in provider.bodies_text()


def test_items_history_is_tokenized_and_input_items_come_back(
        gateway: Gateway, provider: SimulatorState) -> None:
    client = gateway.client()
    arguments = json.dumps({"email": EMAIL, "name": NAME})
    items: list[Any] = [
        {"role": "user", "content": [{"type": "input_text", "text": TEXT}]},
        {"type": "reasoning", "id": "rs_hist1", "encrypted_content": "gAAAAB-opaque==",
         "summary": [
            {"type": "summary_text", "text": f"{NAME} wants a lookup"}]},
        {"type": "function_call", "call_id": "call_1", "name": "lookup",
         "arguments": arguments},
        {"type": "custom_tool_call", "call_id": "call_2", "name": "grep",
         "input": f"grep '{PHONE}' contacts"},
        {"type": "custom_tool_call_output", "call_id": "call_2", "output": f"{NAME}: {PHONE}"},
        {"type": "function_call_output", "call_id": "call_1", "output": f"{NAME} pays with {CARD}"},
    ]
    answer = client.responses.create(
        store=True, model="gpt-4.1", input=items, instructions=f"Be kind to {NAME}",
        prompt={"id": "pmpt_1", "variables": {"customer": f"{NAME} <{EMAIL}>"}})
    assert answer.output_text == f"Tool result: {NAME} pays with {CARD}"
    assert answer.instructions == f"Be kind to {NAME}"
    assert answer.prompt is not None and answer.prompt.variables == {
        "customer": f"{NAME} <{EMAIL}>"}
    assert_hidden(provider)
    upstream = provider.requests[-1].json
    assert json.loads(upstream["input"][2]["arguments"])["email"].startswith("<EMAIL_ADDRESS_")
    assert upstream["input"][2]["name"] == "lookup"
    listed = {item.type: item for item in client.responses.input_items.list(answer.id)}
    assert json.loads(listed["function_call"].arguments) == {
        "email": EMAIL, "name": NAME}
    assert listed["custom_tool_call"].input == f"grep '{PHONE}' contacts"
    assert listed["custom_tool_call_output"].output == f"{NAME}: {PHONE}"
    assert listed["reasoning"].summary[0].text == f"{NAME} wants a lookup"
    assert listed["message"].content[0].text == TEXT


def test_function_call_arguments_come_back_json_escaped(gateway: Gateway,
                                                        provider: SimulatorState) -> None:
    text = f'Find "{NAME}" at {EMAIL}'
    answer = gateway.client().responses.create(
        store=True, model="gpt-4.1", input=text,
        tools=[{"type": "function", "name": "lookup", "description": "Find a customer",
                "parameters": {"type": "object", "properties": {"query": {"type": "string"}}}}])
    call = answer.output[0]
    assert call.type == "function_call" and call.name == "lookup"
    assert json.loads(call.arguments) == {"query": text}
    assert_hidden(provider)


def test_reasoning_summary_and_refusal_are_restored(gateway: Gateway,
                                                    provider: SimulatorState) -> None:
    client = gateway.client()
    answer = client.responses.create(store=True, model="o4-mini", input=TEXT,
                                     reasoning={"effort": "low", "summary": "auto"})
    reasoning = answer.output[0]
    assert reasoning.type == "reasoning"
    assert reasoning.summary[0].text == "The user said: " + TEXT
    refused = client.responses.create(store=True, model="gpt-4.1",
                                      input=f"[[refuse]] {NAME} {PHONE}")
    part = refused.output[0].content[0]
    assert part.type == "refusal"
    assert part.refusal == f"I can't help with that: {NAME} {PHONE}"
    assert_hidden(provider)


def test_structured_output_stays_valid_json(gateway: Gateway, provider: SimulatorState) -> None:
    schema = {"type": "object", "properties": {"echo": {"type": "string"}},
              "required": ["echo"], "additionalProperties": False}
    answer = gateway.client().responses.create(
        store=True, model="gpt-4.1", input=f"Card {CARD} for {NAME}",
        text={"format": {"type": "json_schema", "name": "echo", "schema": schema}})
    assert json.loads(answer.output_text) == {"echo": f"Card {CARD} for {NAME}"}
    assert_hidden(provider)


def test_multi_turn_with_previous_response_keeps_tokens_and_restores(
        gateway: Gateway, provider: SimulatorState) -> None:
    client = gateway.client()
    first = client.responses.create(store=True, model="gpt-4.1", input=TEXT)
    assert first.output_text == ECHO + TEXT
    # The app sends the restored answer back as history; the model reads the chain.
    second = client.responses.create(
        store=True, model="gpt-4.1", previous_response_id=first.id,
        input=[{"role": "assistant", "content": first.output_text}])
    assert second.output_text == ECHO + TEXT
    assert_hidden(provider)
    sent_first = provider.requests[0].json["input"]
    sent_history = provider.requests[1].json["input"][0]["content"]
    assert sent_history == ECHO + sent_first  # the same tokens, byte for byte
    assert client.responses.retrieve(first.id).output_text == ECHO + TEXT
    history = list(client.responses.input_items.list(second.id))
    assert history[0].content[0].text == ECHO + TEXT


def test_retrieve_cancel_delete_and_the_ledger(gateway: Gateway, provider: SimulatorState,
                                               ledger: Ledger) -> None:
    client = gateway.client()
    answer = client.responses.create(store=True, model="gpt-4.1", input=TEXT, background=True)
    entry = owner(ledger, answer.id)
    assert entry is not None and entry.kind == "response" and entry.parent_id is None
    assert entry.subject == "customer-42"
    assert client.responses.cancel(answer.id).output_text == ECHO + TEXT
    # Another subject of the tenant does not see it (subjects.reads: same-subject).
    with pytest.raises(openai.NotFoundError):
        gateway.client(subject="someone-else").responses.retrieve(answer.id)
    client.responses.delete(answer.id)
    assert owner(ledger, answer.id) is None
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(answer.id)
    assert_hidden(provider)


def test_unstored_response_is_not_recorded(gateway: Gateway, provider: SimulatorState,
                                           ledger: Ledger) -> None:
    client = gateway.client()
    answer = client.responses.create(model="gpt-4.1", input=TEXT, store=False)
    assert answer.output_text == ECHO + TEXT
    assert owner(ledger, answer.id) is None
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(answer.id)
    assert_hidden(provider)


def test_other_tenant_gets_404_for_every_route(gateway: Gateway,
                                               provider: SimulatorState) -> None:
    answer = gateway.client().responses.create(store=True, model="gpt-4.1", input=TEXT)
    upstream_calls = len(provider.requests)
    intruder = gateway.client(key=gateway.other_tenant_key)
    attempts = [
        lambda: intruder.responses.retrieve(answer.id),
        lambda: list(intruder.responses.input_items.list(answer.id)),
        lambda: intruder.responses.cancel(answer.id),
        lambda: intruder.responses.delete(answer.id),
        lambda: intruder.responses.create(store=True, model="gpt-4.1", input="and?",
                                          previous_response_id=answer.id),
    ]
    for attempt in attempts:
        with pytest.raises(openai.NotFoundError) as caught:
            attempt()
        assert NAME not in str(caught.value) and EMAIL not in str(caught.value)
    assert len(provider.requests) == upstream_calls  # nothing reached the provider
    assert gateway.client().responses.retrieve(answer.id).output_text == ECHO + TEXT


def test_include_list_reaches_the_provider_unchanged(gateway: Gateway,
                                                     provider: SimulatorState) -> None:
    include: Any = ["file_search_call.results", "message.input_image.image_url"]
    answer = gateway.client().responses.create(store=True, model="gpt-4.1", input=TEXT,
                                               include=include)
    assert answer.output_text == ECHO + TEXT
    assert provider.requests[-1].json["include"] == include
    assert_hidden(provider)


def test_custom_tool_call_input_is_restored(gateway: Gateway, provider: SimulatorState) -> None:
    text = f"grep for {NAME} and {PHONE}"
    answer = gateway.client().responses.create(
        store=True, model="gpt-5", input=text, tools=[{"type": "custom", "name": "grep",
                                           "description": "Search the notes"}])
    call = answer.output[0]
    assert call.type == "custom_tool_call" and call.name == "grep"
    assert call.input == text
    assert_hidden(provider)
