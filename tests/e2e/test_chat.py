"""Chat Completions end to end: real SDK -> real gateway -> simulated provider."""

from __future__ import annotations

import json
import logging
import re

import openai
import pytest

from gateway.simulator import SimulatorState
from tests.e2e.conftest import Gateway

NAME = "John Smith"
EMAIL = "john.smith@example.com"
PHONE = "+1 212 555 0199"
CARD = "4111 1111 1111 1111"
PERSONAL = [NAME, EMAIL, PHONE, CARD, "4111111111111111"]
TEXT = f"My name is {NAME}, email {EMAIL}, phone {PHONE}, card {CARD}."


def assert_nothing_personal_arrived(provider: SimulatorState, values: list[str] = PERSONAL
                                    ) -> None:
    received = provider.bodies_text()
    for value in values:
        assert value not in received


def test_plain_answer_is_restored(gateway: Gateway, provider: SimulatorState) -> None:
    answer = gateway.client().chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": TEXT}])
    assert answer.choices[0].message.content == "You said: " + TEXT
    assert_nothing_personal_arrived(provider)
    sent = provider.requests[-1].json["messages"][0]["content"]
    assert re.search(r"<PERSON_\d+>", sent) and re.search(r"<EMAIL_ADDRESS_\d+>", sent)


def test_text_parts_system_and_name_are_scanned(gateway: Gateway,
                                                provider: SimulatorState) -> None:
    answer = gateway.client().chat.completions.create(model="gpt-4o-mini", messages=[
        {"role": "system", "content": f"The customer is {NAME}."},
        {"role": "user", "name": "John", "content": [
            {"type": "text", "text": f"Write to {EMAIL}"}]}])
    assert answer.choices[0].message.content == f"You said: Write to {EMAIL}"
    assert_nothing_personal_arrived(provider, [NAME, EMAIL])


@pytest.mark.parametrize(("piece", "chunk"), [(1, None), (3, 7), (5, 1)])
def test_stream_is_restored_however_cut(gateway: Gateway, provider: SimulatorState,
                                        piece: int, chunk: int | None) -> None:
    provider.stream_piece_chars, provider.byte_chunk_size = piece, chunk
    stream = gateway.client().chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": TEXT}], stream=True,
        stream_options={"include_usage": True})
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "You said: " + TEXT
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens > 0
    assert_nothing_personal_arrived(provider)


def test_stream_without_usage_option(gateway: Gateway, provider: SimulatorState) -> None:
    stream = gateway.client().chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": TEXT}], stream=True)
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "You said: " + TEXT
    assert all(c.usage is None for c in chunks)


TOOLS = [{"type": "function", "function": {
    "name": "find_customer", "description": "Find a customer by what they said",
    "parameters": {"type": "object", "properties": {"query": {"type": "string"}}}}}]


@pytest.mark.parametrize("stream", [False, True])
def test_tool_calls_both_directions(gateway: Gateway, provider: SimulatorState,
                                    stream: bool) -> None:
    client = gateway.client()
    messages: list[dict[str, object]] = [{"role": "user", "content": TEXT}]
    if stream:
        provider.stream_piece_chars = 3
        chunks = list(client.chat.completions.create(
            model="gpt-4o-mini", messages=messages, tools=TOOLS, stream=True))  # type: ignore[arg-type]
        arguments = "".join(c.choices[0].delta.tool_calls[0].function.arguments or ""
                            for c in chunks if c.choices and c.choices[0].delta.tool_calls)
        call_id = next(c.choices[0].delta.tool_calls[0].id for c in chunks
                       if c.choices and c.choices[0].delta.tool_calls)
    else:
        answer = client.chat.completions.create(model="gpt-4o-mini", messages=messages,  # type: ignore[arg-type]
                                                tools=TOOLS)  # type: ignore[arg-type]
        call = answer.choices[0].message.tool_calls[0]  # type: ignore[index]
        arguments, call_id = call.function.arguments, call.id  # type: ignore[union-attr]
    assert json.loads(arguments) == {"query": TEXT}
    messages += [
        {"role": "assistant", "content": None, "tool_calls": [{
            "id": call_id, "type": "function",
            "function": {"name": "find_customer", "arguments": arguments}}]},
        {"role": "tool", "tool_call_id": call_id, "content": f"Found {NAME}, {EMAIL}"}]
    final = client.chat.completions.create(model="gpt-4o-mini", messages=messages)  # type: ignore[arg-type]
    assert final.choices[0].message.content == f"Tool result: Found {NAME}, {EMAIL}"
    assert_nothing_personal_arrived(provider)
    history = provider.requests[-1].json["messages"]
    assert history[1]["tool_calls"][0]["function"]["name"] == "find_customer"


def test_multi_turn_keeps_tokens_stable(gateway: Gateway, provider: SimulatorState) -> None:
    client = gateway.client(subject="stable-subject")
    first = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": TEXT}])
    reply = first.choices[0].message.content
    sent_first = provider.requests[-1].json["messages"][0]["content"]
    second = client.chat.completions.create(model="gpt-4o-mini", messages=[
        {"role": "user", "content": TEXT}, {"role": "assistant", "content": reply},
        {"role": "user", "content": f"Thanks. Again: {NAME}"}])
    sent = provider.requests[-1].json["messages"]
    assert sent[0]["content"] == sent_first             # history byte-stable: prompt cache hits
    assert sent[1]["content"] == "You said: " + sent_first  # restored answer maps back exactly
    token = re.search(r"<PERSON_\d+>", sent_first).group()  # type: ignore[union-attr]
    assert sent[2]["content"] == f"Thanks. Again: {token}"
    assert second.choices[0].message.content == f"You said: Thanks. Again: {NAME}"
    assert_nothing_personal_arrived(provider)


def test_subjects_never_see_each_other(gateway: Gateway, provider: SimulatorState) -> None:
    alice = gateway.client(subject="alice")
    alice.chat.completions.create(model="m", messages=[
        {"role": "user", "content": "I am Alice Johnson."}])
    token = re.search(r"<PERSON_\d+>", provider.requests[-1].json["messages"][0]["content"]
                      ).group()  # type: ignore[union-attr]
    mallory = gateway.client(subject="mallory")
    answer = mallory.chat.completions.create(model="m", messages=[
        {"role": "user", "content": f"Print {token} please"}])
    assert "Alice" not in (answer.choices[0].message.content or "")
    assert token in (answer.choices[0].message.content or "")
    other_tenant = gateway.client(subject="alice", key=gateway.other_tenant_key)
    answer = other_tenant.chat.completions.create(model="m", messages=[
        {"role": "user", "content": f"Print {token} please"}])
    assert "Alice" not in (answer.choices[0].message.content or "")


def test_subject_from_user_field_is_pseudonymised(gateway: Gateway,
                                                  provider: SimulatorState) -> None:
    client = gateway.client(subject=None)
    client.chat.completions.create(model="m", user="customer-77@example.com",
                                   safety_identifier="customer-77@example.com",
                                   messages=[{"role": "user", "content": "hello"}])
    body = provider.requests[-1].json
    assert body["user"].startswith("psn_") and body["user"] == body["safety_identifier"]
    assert "customer-77" not in provider.bodies_text()


def test_gateway_credentials_and_headers_stay_home(gateway: Gateway,
                                                   provider: SimulatorState) -> None:
    client = gateway.client(default_query=None)
    client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}],
                                   extra_headers={"X-Piigate-Debug": "1", "Cookie": "a=b"})
    headers = provider.requests[-1].headers
    assert headers["authorization"] == "Bearer sk-upstream-secret"
    assert not any(name.startswith("x-piigate") for name in headers)
    assert "cookie" not in headers
    assert gateway.app_key not in provider.bodies_text()


def test_structured_output_values_are_json_escaped(gateway: Gateway,
                                                   provider: SimulatorState) -> None:
    text = f'Customer {NAME} wrote "{EMAIL}"'
    answer = gateway.client().chat.completions.create(
        model="m", messages=[{"role": "user", "content": text}],
        response_format={"type": "json_object"})
    assert json.loads(answer.choices[0].message.content or "") == {"echo": text}
    assert_nothing_personal_arrived(provider, [NAME, EMAIL])


def test_refusal_is_restored(gateway: Gateway, provider: SimulatorState) -> None:
    answer = gateway.client().chat.completions.create(
        model="m", messages=[{"role": "user", "content": f"[[refuse]] call {NAME}"}])
    assert NAME in (answer.choices[0].message.refusal or "")
    assert_nothing_personal_arrived(provider, [NAME])


def test_no_personal_value_in_application_logs(gateway: Gateway, provider: SimulatorState,
                                               caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    client = gateway.client(subject="log-subject")
    client.chat.completions.create(model="m", messages=[{"role": "user", "content": TEXT}])
    list(client.chat.completions.create(model="m", stream=True,
                                        messages=[{"role": "user", "content": TEXT}]))
    provider.fail_next(400, {"error": {"message": "bad", "type": "x", "code": "y"}})
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": TEXT}])
    assert caplog.records  # the gateway and its libraries did log
    for value in [*PERSONAL, "log-subject"]:
        assert value not in caplog.text
