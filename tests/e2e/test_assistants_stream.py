"""Streamed Assistants runs through the gateway with the real SDK and its event handlers.

The provider cuts text into small deltas and the SSE bytes into small chunks,
so tokens arrive split across events and across reads.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import openai
import pytest
from openai.lib.streaming import AssistantEventHandler
from openai.types.beta.threads import Message, Text, TextDelta
from openai.types.beta.threads.runs import ToolCall, ToolCallDelta

from gateway.simulator import SimulatorState
from tests.e2e.conftest import Gateway
from tests.e2e.test_assistants import (
    CARD,
    EMAIL,
    LOOKUP_TOOL,
    NAME,
    PHONE,
    assert_provider_clean,
    make_assistant,
    message_text,
)


class Collector(AssistantEventHandler):
    """Keeps what an app would see: text as it streams, tool-call arguments, events."""

    def __init__(self) -> None:
        super().__init__()
        self.text = ""
        self.arguments = ""
        self.names: list[str] = []
        self.done_texts: list[str] = []

    def on_event(self, event: object) -> None:
        self.names.append(event.event)  # type: ignore[attr-defined]

    def on_text_delta(self, delta: TextDelta, snapshot: Text) -> None:
        self.text += delta.value or ""

    def on_text_done(self, text: Text) -> None:
        self.done_texts.append(text.value)

    def on_tool_call_delta(self, delta: ToolCallDelta, snapshot: ToolCall) -> None:
        if delta.type == "function" and delta.function is not None:
            self.arguments += delta.function.arguments or ""


@pytest.fixture
def choppy(provider: SimulatorState) -> Iterator[SimulatorState]:
    """Three characters per delta, seven bytes per network read."""
    provider.configure({"stream_piece_chars": 3, "byte_chunk_size": 7})
    yield provider


def test_runs_stream_with_an_event_handler(gateway: Gateway, choppy: SimulatorState) -> None:
    client = gateway.client()
    assistant_id = make_assistant(client)
    question = f"I am {NAME}, mail {EMAIL} or call {PHONE}."
    thread = client.beta.threads.create(messages=[{"role": "user", "content": question}])
    handler = Collector()
    with client.beta.threads.runs.stream(thread_id=thread.id, assistant_id=assistant_id,
                                         event_handler=handler) as stream:
        stream.until_done()
        final: list[Message] = stream.get_final_messages()
        run = stream.get_final_run()
    assert handler.text == f"You said: {question}"
    assert handler.done_texts == [f"You said: {question}"]
    assert [message_text(m) for m in final] == [f"You said: {question}"]
    assert run.status == "completed" and run.usage is not None
    assert handler.names[0] == "thread.run.created"
    assert handler.names[-1] == "thread.run.completed"
    stored = client.beta.threads.messages.retrieve(final[0].id, thread_id=thread.id)
    assert message_text(stored) == f"You said: {question}"
    assert_provider_clean(choppy, NAME, EMAIL, PHONE)


def test_runs_create_with_stream_true(gateway: Gateway, choppy: SimulatorState) -> None:
    client = gateway.client()
    assistant_id = make_assistant(client)
    thread = client.beta.threads.create()
    events = client.beta.threads.runs.create(
        thread_id=thread.id, assistant_id=assistant_id, stream=True,
        additional_messages=[{"role": "user", "content": f"My card is {CARD}"}],
        additional_instructions=f"The user is {NAME}.")
    text, completed, run_id = "", "", None
    for event in events:
        if event.event == "thread.message.delta":
            text += "".join(part.text.value or "" for part in event.data.delta.content or []
                            if part.type == "text" and part.text is not None)
        elif event.event == "thread.message.completed":
            completed = message_text(event.data)
        elif event.event == "thread.run.created":
            run_id = event.data.id
            assert event.data.instructions == f"Be kind.\nThe user is {NAME}."
    assert text == completed == f"You said: My card is {CARD}"
    assert run_id is not None
    assert client.beta.threads.runs.retrieve(run_id, thread_id=thread.id).status == "completed"
    assert_provider_clean(choppy, NAME, CARD)


def test_create_and_run_stream_records_thread_and_run(gateway: Gateway,
                                                      choppy: SimulatorState) -> None:
    client = gateway.client()
    assistant_id = make_assistant(client)
    handler = Collector()
    with client.beta.threads.create_and_run_stream(
            assistant_id=assistant_id, event_handler=handler,
            thread={"messages": [{"role": "user", "content": f"Hi, I am {NAME}."}]}) as stream:
        stream.until_done()
        run = stream.get_final_run()
    assert handler.names[0] == "thread.created"
    assert handler.text == f"You said: Hi, I am {NAME}."
    assert client.beta.threads.retrieve(run.thread_id).id == run.thread_id
    assert client.beta.threads.runs.retrieve(run.id, thread_id=run.thread_id).id == run.id
    message_id = client.beta.threads.messages.list(run.thread_id).data[0].id
    other = gateway.client(key=gateway.other_tenant_key)
    for read in (lambda: other.beta.threads.retrieve(run.thread_id),
                 lambda: other.beta.threads.runs.retrieve(run.id, thread_id=run.thread_id),
                 lambda: other.beta.threads.messages.retrieve(message_id,
                                                              thread_id=run.thread_id)):
        with pytest.raises(openai.NotFoundError):
            read()
    assert_provider_clean(choppy, NAME)


class ThreadToucher(Collector):
    """An app that uses the new thread the moment the stream announces it."""

    def __init__(self, client: openai.OpenAI) -> None:
        super().__init__()
        self.client = client
        self.metadata: dict[str, str] | None = None

    def on_event(self, event: object) -> None:
        super().on_event(event)
        if event.event == "thread.created":  # type: ignore[attr-defined]
            thread = self.client.beta.threads.update(
                event.data.id, metadata={"contact": EMAIL})  # type: ignore[attr-defined]
            self.metadata = thread.metadata  # type: ignore[assignment]


def test_a_streamed_thread_is_usable_while_the_run_streams(gateway: Gateway,
                                                           provider: SimulatorState) -> None:
    provider.configure({"stream_delay_seconds": 0.05})  # the run streams on for a while
    client = gateway.client()
    assistant_id = make_assistant(client)
    handler = ThreadToucher(client)
    with client.beta.threads.create_and_run_stream(
            assistant_id=assistant_id, event_handler=handler,
            thread={"messages": [{"role": "user", "content": f"I am {NAME}."}]}) as stream:
        stream.until_done()
    assert handler.metadata == {"contact": EMAIL}
    assert handler.text == f"You said: I am {NAME}."
    assert_provider_clean(provider, NAME, EMAIL)


def test_streamed_tool_call_round_trip(gateway: Gateway, choppy: SimulatorState) -> None:
    client = gateway.client()
    assistant_id = make_assistant(client, tools=[LOOKUP_TOOL])
    question = f"Look up {NAME} at {EMAIL}"
    thread = client.beta.threads.create(messages=[{"role": "user", "content": question}])
    handler = Collector()
    with client.beta.threads.runs.stream(thread_id=thread.id, assistant_id=assistant_id,
                                         event_handler=handler) as stream:
        stream.until_done()
        run = stream.get_final_run()
    assert run.status == "requires_action" and run.required_action is not None
    call = run.required_action.submit_tool_outputs.tool_calls[0]
    assert json.loads(call.function.arguments) == {"query": question}
    assert json.loads(handler.arguments) == {"query": question}
    output = f"Customer {NAME}, card {CARD}, phone {PHONE}"
    after = Collector()
    with client.beta.threads.runs.submit_tool_outputs_stream(
            thread_id=thread.id, run_id=run.id, event_handler=after,
            tool_outputs=[{"tool_call_id": call.id, "output": output}]) as stream:
        stream.until_done()
    assert after.text == f"Tool result: {output}"
    assert after.names[0] == "thread.run.step.completed"
    answer = client.beta.threads.messages.list(thread.id).data[0]
    assert message_text(answer) == f"Tool result: {output}"
    assert_provider_clean(choppy, NAME, EMAIL, CARD, PHONE)
