"""One subject, many people: the way a CRM assistant talks to the gateway.

Twenty-five rounds in ONE scope, each about a new person (Faker), each a chat
round trip as JSON, as a stream cut into small pieces, and through a tool
call with the model's arguments and the tool's output. After every round:
the provider received no value of any person seen so far (no name, no word
of a name, no address, no phone number in clear) and the app got its own text
back byte for byte. Fresh-scope tests cannot see what goes wrong here: a
scope that already knows a surname, a lower-case spelling or a given name.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

import pytest
from faker import Faker

from gateway.simulator import SimulatorState
from tests.e2e.conftest import Gateway
from vault.tokens import TOKEN_RE

ROUNDS = 25
TOOLS = [{"type": "function", "function": {
    "name": "find_customer", "description": "Find a customer",
    "parameters": {"type": "object", "properties": {"query": {"type": "string"}}}}}]


def people(count: int) -> list[tuple[str, str]]:
    seed = int(os.environ.get("PIIGATE_TEST_SEED", "20261207"))
    fake = Faker(["en_US", "en_GB", "de_DE", "fr_FR", "it_IT", "nl_NL"])
    fake.seed_instance(seed)
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    while len(out) < count:
        first, last = fake.first_name(), fake.last_name()
        if " " in first or " " in last or first.lower() in seen or last.lower() in seen:
            continue
        seen |= {first.lower(), last.lower()}
        out.append((first, last))
    return out


def in_clear(received: str, values: set[str]) -> list[str]:
    text = TOKEN_RE.sub(" ", received)
    return [value for value in values if re.search(
        r"(?<![\w@.])" + re.escape(value) + r"(?![\w@])", text, re.IGNORECASE)]


def message_about(first: str, last: str, round_number: int) -> tuple[str, set[str]]:
    email = f"{first}.{last}@mailbox.test".lower()
    phone = f"+44 20 7946 {round_number:04d}"
    text = (f"Customer {first} {last} called about invoice {round_number}. "
            f"Reply to {email} or call {phone}. {last.upper()} wants a refund; "
            f"{first} said {last} will wait.")
    return text, {f"{first} {last}", email, phone, last}


@pytest.mark.slow
def test_twenty_five_people_in_one_scope(gateway: Gateway, provider: SimulatorState) -> None:
    client = gateway.client(subject=f"crm-desk-{os.getpid()}")
    values: set[str] = set()
    failures: list[str] = []
    for number, (first, last) in enumerate(people(ROUNDS), start=1):
        text, new_values = message_about(first, last, number)
        values |= new_values
        before = len(provider.requests)
        messages: list[dict[str, Any]] = [{"role": "user", "content": text}]
        answer = client.chat.completions.create(model="gpt-4o-mini", messages=messages)  # type: ignore[arg-type]
        if answer.choices[0].message.content != "You said: " + text:
            failures.append(f"round {number} JSON echo: {answer.choices[0].message.content!r}")
        provider.stream_piece_chars = 3
        chunks = list(client.chat.completions.create(model="gpt-4o-mini", messages=messages,  # type: ignore[arg-type]
                                                     stream=True))
        provider.stream_piece_chars = 4
        streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        if streamed != "You said: " + text:
            failures.append(f"round {number} stream echo: {streamed!r}")
        called = client.chat.completions.create(model="gpt-4o-mini", messages=messages,  # type: ignore[arg-type]
                                                tools=TOOLS)  # type: ignore[arg-type]
        call = called.choices[0].message.tool_calls[0]  # type: ignore[index]
        if json.loads(call.function.arguments) != {"query": text}:  # type: ignore[union-attr]
            failures.append(f"round {number} tool arguments: {call.function.arguments!r}")  # type: ignore[union-attr]
        messages += [
            {"role": "assistant", "content": None, "tool_calls": [{
                "id": call.id, "type": "function",
                "function": {"name": "find_customer", "arguments": call.function.arguments}}]},  # type: ignore[union-attr]
            {"role": "tool", "tool_call_id": call.id, "content": f"Found {first} {last}"}]
        final = client.chat.completions.create(model="gpt-4o-mini", messages=messages)  # type: ignore[arg-type]
        if final.choices[0].message.content != f"Tool result: Found {first} {last}":
            failures.append(f"round {number} tool result: {final.choices[0].message.content!r}")
        received = "\n".join(r.text() for r in provider.requests[before:])
        leaked = in_clear(received, values)
        if leaked:
            failures.append(f"round {number} reached the provider in clear: {leaked}")
    assert failures == [], "\n".join(failures)
