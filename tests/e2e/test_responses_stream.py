"""Streaming Responses end to end, with the provider cutting deltas and bytes small.

Tokens arrive split across deltas and across network chunks; the app must see
the original values in the deltas, the ``*.done`` events and the final
response, with sequence numbers that still only go up.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from gateway.simulator import SimulatorState
from tests.e2e.conftest import Gateway
from vault import Ledger

NAME, EMAIL = "John Smith", "john.smith@example.com"
PHONE, CARD = "+1 212 555 0199", "4111 1111 1111 1111"
TEXT = f"I am {NAME}, mail {EMAIL}, phone {PHONE}"
ECHO = "You said: "
TOOL = {"type": "function", "name": "lookup", "description": "Find a customer",
        "parameters": {"type": "object", "properties": {"query": {"type": "string"}}}}


@pytest.fixture
def choppy(provider: SimulatorState) -> SimulatorState:
    provider.stream_piece_chars = 3
    provider.byte_chunk_size = 7
    return provider


def assert_hidden(provider: SimulatorState) -> None:
    received = provider.bodies_text()
    for value in (NAME, EMAIL, PHONE, CARD):
        assert value not in received


def collect(events: Any) -> tuple[dict[str, str], list[Any]]:
    """Concatenated deltas by event type, and every event."""
    deltas: dict[str, str] = {}
    seen = []
    for event in events:
        seen.append(event)
        if event.type.endswith(".delta"):
            deltas[event.type] = deltas.get(event.type, "") + event.delta
    return deltas, seen


def assert_increasing(events: list[Any]) -> None:
    numbers = [event.sequence_number for event in events]
    assert numbers == sorted(set(numbers))


def test_stream_helper_restores_deltas_done_and_final_response(
        gateway: Gateway, choppy: SimulatorState) -> None:
    with gateway.client().responses.stream(model="gpt-4.1", input=TEXT) as stream:
        deltas, events = collect(stream)
        final = stream.get_final_response()
    assert deltas["response.output_text.delta"] == ECHO + TEXT
    done = next(event for event in events if event.type == "response.output_text.done")
    assert done.text == ECHO + TEXT
    assert final.output_text == ECHO + TEXT
    added = next(e for e in events if e.type == "response.output_text.annotation.added")
    final_annotation = final.output[0].content[0].annotations[0]
    for annotation in (added.annotation, final_annotation):
        assert (annotation.start_index, annotation.end_index) == (len(ECHO), len(ECHO + TEXT))
    assert_increasing(events)
    assert_hidden(choppy)


def test_raw_stream_restores_reasoning_and_function_arguments(
        gateway: Gateway, choppy: SimulatorState, ledger: Ledger) -> None:
    text = f'Look up "{NAME}" with card {CARD}'
    stream = gateway.client().responses.create(
        store=True, model="o4-mini", input=text, tools=[TOOL], stream=True,
        reasoning={"effort": "low", "summary": "auto"})
    deltas, events = collect(stream)
    assert deltas["response.reasoning_summary_text.delta"] == "The user said: " + text
    arguments = deltas["response.function_call_arguments.delta"]
    assert json.loads(arguments) == {"query": text}
    done = next(e for e in events if e.type == "response.function_call_arguments.done")
    assert done.arguments == arguments
    completed = events[-1]
    assert completed.type == "response.completed"
    assert json.loads(completed.response.output[1].arguments) == {"query": text}
    assert_increasing(events)
    assert_hidden(choppy)
    entry = asyncio.run(ledger.owner("acme", completed.response.id))
    assert entry is not None and entry.kind == "response"


def test_stream_refusal_and_structured_output(gateway: Gateway, choppy: SimulatorState) -> None:
    client = gateway.client()
    refusal, _ = collect(client.responses.create(
        store=True, model="gpt-4.1", input=f"[[refuse]] {NAME}", stream=True))
    assert refusal["response.refusal.delta"] == f"I can't help with that: {NAME}"
    deltas, events = collect(client.responses.create(
        store=True, model="gpt-4.1", input=f'{NAME} said "hi" at {EMAIL}', stream=True,
        text={"format": {"type": "json_object"}}))
    expected = {"echo": f'{NAME} said "hi" at {EMAIL}'}
    assert json.loads(deltas["response.output_text.delta"]) == expected
    assert json.loads(events[-1].response.output_text) == expected
    assert_hidden(choppy)


def test_stream_on_a_previous_response_and_whole_chunks(gateway: Gateway,
                                                        provider: SimulatorState) -> None:
    provider.stream_piece_chars = None  # one delta per text: tokens whole in each event
    client = gateway.client()
    first = client.responses.create(store=True, model="gpt-4.1", input=TEXT)
    deltas, events = collect(client.responses.create(
        store=True, model="gpt-4.1", previous_response_id=first.id, stream=True,
        input=[{"role": "assistant", "content": first.output_text}]))
    assert deltas["response.output_text.delta"] == ECHO + TEXT
    assert events[-1].response.previous_response_id == first.id
    assert_hidden(provider)


def test_stream_custom_tool_call_input(gateway: Gateway, choppy: SimulatorState) -> None:
    text = f"notes about {NAME}, card {CARD}"
    deltas, events = collect(gateway.client().responses.create(
        store=True, model="gpt-5", input=text, stream=True,
        tools=[{"type": "custom", "name": "grep", "description": "Search the notes"}]))
    assert deltas["response.custom_tool_call_input.delta"] == text
    done = next(e for e in events if e.type == "response.custom_tool_call_input.done")
    assert done.input == text
    assert events[-1].response.output[0].input == text
    assert_increasing(events)
    assert_hidden(choppy)
