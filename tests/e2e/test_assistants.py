"""Assistants v2 through the gateway with the real SDK: objects, runs, tool calls, tenants.

Each test checks both directions: the simulated provider received no personal
value, and the app got the original values back.
"""

from __future__ import annotations

import json

import openai
import pytest

from gateway.simulator import SimulatorState
from tests.e2e.conftest import Gateway

NAME = "John Smith"
EMAIL = "john.smith@example.com"
PHONE = "+1 212 555 0199"
CARD = "4111 1111 1111 1111"
PERSONAL = (NAME, EMAIL, PHONE, CARD)
LOOKUP_TOOL = {"type": "function", "function": {
    "name": "lookup_customer", "description": "Find a customer record",
    "parameters": {"type": "object", "properties": {"query": {"type": "string"}}}}}


def assert_provider_clean(provider: SimulatorState, *values: str) -> None:
    received = provider.bodies_text()
    for value in values or PERSONAL:
        assert value not in received, f"the provider received {value!r}"


def message_text(message: object) -> str:
    return "".join(part.text.value for part in message.content  # type: ignore[attr-defined]
                   if part.type == "text")


def make_assistant(client: openai.OpenAI, **extra: object) -> str:
    assistant = client.beta.assistants.create(
        model="gpt-4o-mini", name="Support desk", instructions="Be kind.",
        **extra)  # type: ignore[arg-type]
    return assistant.id


def test_assistant_create_retrieve_update_list_delete(gateway: Gateway,
                                                      provider: SimulatorState) -> None:
    client = gateway.client()
    created = client.beta.assistants.create(
        model="gpt-4o-mini", name=f"Desk of {NAME}",
        description=f"Helps {NAME} whose email is {EMAIL}",
        instructions=f"My name is {NAME}. Call me on {PHONE}.",
        tools=[LOOKUP_TOOL], metadata={"owner": EMAIL})
    assert created.name == f"Desk of {NAME}"
    assert created.instructions == f"My name is {NAME}. Call me on {PHONE}."
    assert created.metadata == {"owner": EMAIL}
    assert created.tools[0].function.name == "lookup_customer"  # type: ignore[union-attr]
    fetched = client.beta.assistants.retrieve(created.id)
    assert fetched.description == f"Helps {NAME} whose email is {EMAIL}"
    updated = client.beta.assistants.update(
        created.id, instructions=f"Charge the card {CARD} of {NAME}.")
    assert updated.instructions == f"Charge the card {CARD} of {NAME}."
    listed = {a.id: a for a in client.beta.assistants.list()}
    assert listed[created.id].instructions == f"Charge the card {CARD} of {NAME}."
    assert client.beta.assistants.delete(created.id).deleted
    with pytest.raises(openai.NotFoundError):
        client.beta.assistants.retrieve(created.id)
    assert_provider_clean(provider)
    assert provider.requests[0].headers.get("openai-beta") == "assistants=v2"


def test_thread_messages_and_a_polled_run(gateway: Gateway, provider: SimulatorState) -> None:
    client = gateway.client()
    assistant_id = make_assistant(client)
    thread = client.beta.threads.create(
        messages=[{"role": "user", "content": f"Hello, my name is {NAME}."}],
        metadata={"contact": EMAIL})
    assert thread.metadata == {"contact": EMAIL}
    asked = client.beta.threads.messages.create(
        thread.id, role="user",
        content=[{"type": "text", "text": f"Please call me on {PHONE} or mail {EMAIL}."}])
    assert message_text(asked) == f"Please call me on {PHONE} or mail {EMAIL}."
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id,
                                                   assistant_id=assistant_id)
    assert run.status == "completed"
    messages = client.beta.threads.messages.list(thread.id, order="asc").data
    assert [message_text(m) for m in messages] == [
        f"Hello, my name is {NAME}.", f"Please call me on {PHONE} or mail {EMAIL}.",
        f"You said: Please call me on {PHONE} or mail {EMAIL}."]
    reply = client.beta.threads.messages.retrieve(messages[-1].id, thread_id=thread.id)
    assert message_text(reply) == f"You said: Please call me on {PHONE} or mail {EMAIL}."
    assert client.beta.threads.runs.retrieve(run.id, thread_id=thread.id).status == "completed"
    assert [r.id for r in client.beta.threads.runs.list(thread.id)] == [run.id]
    steps = client.beta.threads.runs.steps.list(run.id, thread_id=thread.id).data
    step = client.beta.threads.runs.steps.retrieve(steps[0].id, thread_id=thread.id,
                                                   run_id=run.id)
    assert step.type == "message_creation"
    assert_provider_clean(provider)


def test_thread_update_and_message_delete(gateway: Gateway, provider: SimulatorState) -> None:
    client = gateway.client()
    thread = client.beta.threads.create()
    updated = client.beta.threads.update(thread.id, metadata={"who": NAME})
    assert updated.metadata == {"who": NAME}
    assert client.beta.threads.retrieve(thread.id).metadata == {"who": NAME}
    note = client.beta.threads.messages.create(thread.id, role="user", content=f"I am {NAME}")
    assert client.beta.threads.messages.delete(note.id, thread_id=thread.id).deleted
    with pytest.raises(openai.NotFoundError):
        client.beta.threads.messages.retrieve(note.id, thread_id=thread.id)
    assert client.beta.threads.delete(thread.id).deleted
    with pytest.raises(openai.NotFoundError):
        client.beta.threads.retrieve(thread.id)
    assert_provider_clean(provider, NAME)


def test_create_and_run_records_the_new_thread(gateway: Gateway,
                                              provider: SimulatorState) -> None:
    client = gateway.client()
    assistant_id = make_assistant(client)
    run = client.beta.threads.create_and_run(
        assistant_id=assistant_id, instructions=f"Address the user as {NAME}.",
        thread={"messages": [{"role": "user", "content": f"My card is {CARD}."}]})
    assert run.instructions == f"Address the user as {NAME}."
    messages = client.beta.threads.messages.list(run.thread_id, order="asc").data
    assert message_text(messages[-1]) == f"You said: My card is {CARD}."
    other = gateway.client(key=gateway.other_tenant_key)
    with pytest.raises(openai.NotFoundError):
        other.beta.threads.retrieve(run.thread_id)
    assert_provider_clean(provider, NAME, CARD)


def test_tool_call_round_trip(gateway: Gateway, provider: SimulatorState) -> None:
    client = gateway.client()
    assistant_id = make_assistant(client, tools=[LOOKUP_TOOL])
    thread = client.beta.threads.create(
        messages=[{"role": "user", "content": f"Find the customer {NAME}, {EMAIL}."}])
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id,
                                                   assistant_id=assistant_id)
    assert run.status == "requires_action" and run.required_action is not None
    call = run.required_action.submit_tool_outputs.tool_calls[0]
    assert json.loads(call.function.arguments) == {"query": f"Find the customer {NAME}, {EMAIL}."}
    output = json.dumps({"name": "Jane Doe", "phone": PHONE, "card": CARD})
    done = client.beta.threads.runs.submit_tool_outputs_and_poll(
        run_id=run.id, thread_id=thread.id,
        tool_outputs=[{"tool_call_id": call.id, "output": output}])
    assert done.status == "completed"
    answer = client.beta.threads.messages.list(thread.id).data[0]
    assert message_text(answer) == "Tool result: " + output
    steps = client.beta.threads.runs.steps.list(run.id, thread_id=thread.id, order="asc").data
    function = steps[0].step_details.tool_calls[0].function  # type: ignore[union-attr]
    assert (function.output, json.loads(function.arguments)["query"]) == (
        output, f"Find the customer {NAME}, {EMAIL}.")
    assert_provider_clean(provider, NAME, EMAIL, PHONE, CARD, "Jane Doe")


def test_run_update_and_cancel(gateway: Gateway, provider: SimulatorState) -> None:
    client = gateway.client()
    assistant_id = make_assistant(client, tools=[LOOKUP_TOOL])
    thread = client.beta.threads.create(messages=[{"role": "user", "content": f"I am {NAME}"}])
    run = client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant_id,
                                          metadata={"note": f"for {EMAIL}"})
    assert run.metadata == {"note": f"for {EMAIL}"}
    updated = client.beta.threads.runs.update(run.id, thread_id=thread.id,
                                              metadata={"note": f"call {PHONE}"})
    assert updated.metadata == {"note": f"call {PHONE}"}
    cancelled = client.beta.threads.runs.cancel(run.id, thread_id=thread.id)
    assert cancelled.status == "cancelled"
    assert_provider_clean(provider, NAME, EMAIL, PHONE)


def test_attachments_must_be_the_tenants_files(gateway: Gateway,
                                               provider: SimulatorState) -> None:
    client = gateway.client()
    uploaded = client.files.create(file=("notes.txt", f"Notes about {NAME}".encode()),
                                   purpose="assistants")
    thread = client.beta.threads.create()
    attached = client.beta.threads.messages.create(
        thread.id, role="user", content=f"See my notes, {NAME}",
        attachments=[{"file_id": uploaded.id, "tools": [{"type": "file_search"}]}])
    assert attached.attachments[0].file_id == uploaded.id  # type: ignore[index]
    assert message_text(attached) == f"See my notes, {NAME}"
    other = gateway.client(key=gateway.other_tenant_key)
    with pytest.raises(openai.NotFoundError):
        other.beta.threads.create(messages=[{"role": "user", "content": "hi",
                                             "attachments": [{"file_id": uploaded.id}]}])
    assert_provider_clean(provider, NAME)


def test_other_tenant_gets_404_on_every_object(gateway: Gateway,
                                               provider: SimulatorState) -> None:
    client = gateway.client()
    assistant_id = make_assistant(client)
    thread = client.beta.threads.create(messages=[{"role": "user", "content": f"I am {NAME}"}])
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id,
                                                   assistant_id=assistant_id)
    message_id = client.beta.threads.messages.list(thread.id).data[0].id
    other = gateway.client(key=gateway.other_tenant_key)
    reads = [
        lambda: other.beta.assistants.retrieve(assistant_id),
        lambda: other.beta.threads.retrieve(thread.id),
        lambda: other.beta.threads.messages.list(thread.id),
        lambda: other.beta.threads.messages.retrieve(message_id, thread_id=thread.id),
        lambda: other.beta.threads.runs.retrieve(run.id, thread_id=thread.id),
        lambda: other.beta.threads.runs.steps.list(run.id, thread_id=thread.id),
        lambda: other.beta.threads.messages.create(thread.id, role="user", content="hi"),
    ]
    before = len(provider.requests)
    for read in reads:
        with pytest.raises(openai.NotFoundError):
            read()
    own_thread = other.beta.threads.create()
    with pytest.raises(openai.NotFoundError):
        other.beta.threads.runs.create(thread_id=own_thread.id, assistant_id=assistant_id)
    with pytest.raises(openai.NotFoundError):
        other.beta.threads.create_and_run(assistant_id=assistant_id)
    assert [r.path for r in provider.requests[before:]] == ["/v1/threads"]


def test_subject_can_run_a_shared_assistant(gateway: Gateway, provider: SimulatorState) -> None:
    """An assistant made in the key's default scope serves every subject of the tenant."""
    shared = make_assistant(gateway.client(subject=None))
    client = gateway.client(subject="customer-77")
    thread = client.beta.threads.create(messages=[{"role": "user", "content": f"I am {NAME}"}])
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=shared)
    assert run.status == "completed"
    assert message_text(client.beta.threads.messages.list(thread.id).data[0]) == (
        f"You said: I am {NAME}")
    assert_provider_clean(provider, NAME)
