"""Batches end to end: input lines tokenized through their codec, output files restored."""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest

from gateway.simulator import SimulatorState
from tests.e2e.conftest import Gateway
from tests.e2e.test_misc_routes import (
    EMAIL,
    NAME,
    PHONE,
    TEXT,
    assert_nothing_personal_arrived,
)

# A subject of these tests' own: what they store stays out of other tests' scope.
SUBJECT = "batches-e2e"


def request_line(custom_id: str, content: str, arguments: dict[str, Any] | None = None,
                 url: str = "/v1/chat/completions") -> str:
    messages: list[dict[str, Any]] = [{"role": "user", "content": content}]
    if arguments is not None:
        messages.append({"role": "assistant", "tool_calls": [{
            "id": "call_1", "type": "function",
            "function": {"name": "lookup", "arguments": json.dumps(arguments)}}]})
        messages.append({"role": "tool", "tool_call_id": "call_1", "content": "done"})
    return json.dumps({"custom_id": custom_id, "method": "POST", "url": url,
                       "body": {"model": "gpt-4o-mini", "messages": messages,
                                "user": EMAIL}}) + "\n"


BATCH_INPUT = (request_line("r1", TEXT) +
               request_line("r2", "Look them up", {"name": NAME, "phone": PHONE}) +
               json.dumps({"custom_id": "r3", "method": "POST", "url": "/v1/embeddings",
                           "body": {"model": "text-embedding-3-small",
                                    "input": [f"{NAME} lives here"]}}) + "\n")


def upload_batch_input(client: openai.OpenAI, text: str = BATCH_INPUT) -> str:
    return client.files.create(file=("requests.jsonl", text.encode(), "application/jsonl"),
                               purpose="batch").id


def finish_batch(provider: SimulatorState, batch_id: str) -> None:
    """Play the provider's batch worker: answer each stored (tokenized) line."""
    with provider.lock:
        batch = provider.store.batches[batch_id]
        lines = provider.store.file_bytes[batch["input_file_id"]].decode().splitlines()
        output = "".join(json.dumps(_answer(json.loads(line))) + "\n" for line in lines)
        file_id = "file-batchoutput0001"
        provider.store.files[file_id] = {"id": file_id, "object": "file", "purpose":
                                         "batch_output", "filename": "out.jsonl",
                                         "bytes": len(output), "created_at": 1,
                                         "status": "processed"}
        provider.store.file_bytes[file_id] = output.encode()
        batch.update(status="completed", output_file_id=file_id)


def _answer(line: dict[str, Any]) -> dict[str, Any]:
    body = line["body"]
    message: dict[str, Any] = {"role": "assistant", "content": None}
    if "messages" in body:
        message["content"] = "You said: " + body["messages"][0]["content"]
        for earlier in body["messages"]:
            if earlier.get("tool_calls"):
                message["tool_calls"] = earlier["tool_calls"]
    return {"id": f"batch_req_{line['custom_id']}", "custom_id": line["custom_id"],
            "response": {"status_code": 200, "request_id": "req_1",
                         "body": {"object": "chat.completion", "choices": [
                             {"index": 0, "message": message, "finish_reason": "stop"}]}},
            "error": None}


def test_batch_input_is_tokenized_line_by_line(gateway: Gateway,
                                               provider: SimulatorState) -> None:
    client = gateway.client(SUBJECT)
    file_id = upload_batch_input(client)
    assert_nothing_personal_arrived(provider)
    stored = [json.loads(line) for line in
              provider.store.file_bytes[file_id].decode().splitlines()]
    # custom_id is free text to the gateway (apps put names in it): it may be
    # tokenized too, and comes back restored with the output.
    assert [line["url"] for line in stored] == ["/v1/chat/completions"] * 2 + ["/v1/embeddings"]
    call = stored[1]["body"]["messages"][1]["tool_calls"][0]["function"]
    assert call["name"] == "lookup"
    arguments = json.loads(call["arguments"])
    assert arguments["name"].startswith("<PERSON_")
    assert arguments["phone"].startswith("<PHONE_NUMBER_")
    assert stored[0]["body"]["user"].startswith("<EMAIL_ADDRESS_")
    # Lines that held values are re-serialised (same JSON, compact layout), and
    # so are tool-call arguments, as in a direct call.
    assert [_normalised(line) for line in client.files.content(file_id).text.splitlines()
            ] == [_normalised(line) for line in BATCH_INPUT.splitlines()]


def _normalised(line: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(line)
    for message in document["body"].get("messages", []):
        for call in message.get("tool_calls", []):
            call["function"]["arguments"] = json.loads(call["function"]["arguments"])
    return document


def test_batch_lifecycle_and_restored_output(gateway: Gateway,
                                             provider: SimulatorState) -> None:
    client = gateway.client(SUBJECT)
    batch = client.batches.create(input_file_id=upload_batch_input(client),
                                  endpoint="/v1/chat/completions", completion_window="24h",
                                  metadata={"owner": NAME})
    assert batch.metadata == {"owner": NAME}
    assert batch.id in [item.id for item in client.batches.list()]
    finish_batch(provider, batch.id)
    done = client.batches.retrieve(batch.id)
    assert done.status == "completed" and done.output_file_id
    lines = [json.loads(line) for line in
             client.files.content(done.output_file_id).text.splitlines()]
    assert [line["custom_id"] for line in lines] == ["r1", "r2", "r3"]
    first = lines[0]["response"]["body"]["choices"][0]["message"]
    assert first["content"] == "You said: " + TEXT
    second = lines[1]["response"]["body"]["choices"][0]["message"]
    assert json.loads(second["tool_calls"][0]["function"]["arguments"]) == {
        "name": NAME, "phone": PHONE}
    assert_nothing_personal_arrived(provider)


def test_cancel_and_other_tenant(gateway: Gateway, provider: SimulatorState) -> None:
    client = gateway.client(SUBJECT)
    file_id = upload_batch_input(client)
    batch = client.batches.create(input_file_id=file_id, endpoint="/v1/chat/completions",
                                  completion_window="24h")
    other = gateway.client(key=gateway.other_tenant_key)
    with pytest.raises(openai.NotFoundError):
        other.batches.retrieve(batch.id)
    with pytest.raises(openai.NotFoundError):
        other.batches.cancel(batch.id)
    with pytest.raises(openai.NotFoundError):
        other.batches.create(input_file_id=file_id, endpoint="/v1/chat/completions",
                             completion_window="24h")
    assert client.batches.cancel(batch.id).status == "cancelled"


def test_batch_lines_that_cannot_be_protected_are_refused(gateway: Gateway,
                                                          provider: SimulatorState) -> None:
    client = gateway.client(SUBJECT)
    for text in ("not json\n", request_line("x", NAME, url="/v1/images/generations")):
        with pytest.raises(openai.BadRequestError):
            upload_batch_input(client, text)
    assert provider.requests == []


def test_batch_lines_may_build_on_the_tenants_own_stored_objects(
        gateway: Gateway, provider: SimulatorState) -> None:
    client, intruder = gateway.client(SUBJECT), gateway.client(key=gateway.other_tenant_key)
    stored = client.responses.create(store=True, model="gpt-4.1", input=f"I am {NAME}")
    text = json.dumps({"custom_id": "x", "method": "POST", "url": "/v1/responses",
                       "body": {"model": "gpt-4.1", "input": f"Still {NAME}?",
                                "previous_response_id": stored.id}}) + "\n"
    before = len(provider.requests)
    with pytest.raises(openai.NotFoundError) as caught:
        upload_batch_input(intruder, text)
    assert caught.value.code == "object_not_found"
    assert len(provider.requests) == before
    file_id = upload_batch_input(client, text)
    sent = json.loads(provider.store.file_bytes[file_id].decode())["body"]
    assert sent["previous_response_id"] == stored.id
    assert NAME not in sent["input"]
    assert NAME not in provider.bodies_text()
