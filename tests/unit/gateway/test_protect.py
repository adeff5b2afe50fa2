"""Request protection with fake detection and a fake vault: what gets swapped, and how."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence

import pytest

from gateway.codecs.chat import ChatCodec
from gateway.errors import PolicyBlocked
from gateway.protect import protect
from policies import Action, Finding
from vault import Scope

SCOPE = Scope("acme", "s1")


class FakeKnown:
    def __init__(self, known: dict[str, str]) -> None:
        self.known = known

    def find(self, text: str) -> list[tuple[int, int, str, str]]:
        found = []
        for value, token in self.known.items():
            start = text.find(value)
            if start >= 0:
                found.append((start, start + len(value), "PERSON", token))
        return sorted(found)


class FakeVault:
    def __init__(self, known: dict[str, str] | None = None) -> None:
        self.known = known or {}
        self.tokens: dict[str, str] = {}

    async def tokenize(self, scope: Scope, values: Sequence[tuple[str, str]]) -> list[str]:
        out = []
        for entity_type, value in values:
            if value not in self.tokens:
                self.tokens[value] = f"<{entity_type}_{len(self.tokens) + 1}>"
            out.append(self.tokens[value])
        return out

    async def known_values(self, scope: Scope) -> FakeKnown:
        return FakeKnown(self.known)


class FakeScanner:
    """Finds fixed words, with a fixed action per word."""

    def __init__(self, words: dict[str, Action]) -> None:
        self.words = words
        self.seen: list[str] = []

    async def scan(self, texts: Sequence[str]) -> list[list[Finding]]:
        self.seen += texts
        results = []
        for text in texts:
            found = []
            for word, action in self.words.items():
                start = text.find(word)
                if start >= 0:
                    found.append(Finding("PERSON", start, start + len(word), 0.9, action))
            results.append(sorted(found, key=lambda f: f.start))
        return results


def run(body: dict[str, object], scanner: FakeScanner, vault: FakeVault) -> dict[str, int]:
    slots = ChatCodec().request_slots(body)
    result = asyncio.run(protect(body, slots, SCOPE, scanner, vault))
    return dict(result.actions)


def test_structural_keys_are_not_scanned() -> None:
    body = {"model": "Ann", "messages": [{"role": "Ann", "content": "Ann"}],
            "tools": [{"type": "function", "function": {"name": "Ann", "description": "Ann"}}]}
    scanner = FakeScanner({"Ann": Action.TOKENIZE})
    run(body, scanner, FakeVault())
    assert body["model"] == "Ann" and body["messages"][0]["role"] == "Ann"  # type: ignore[index]
    assert body["tools"][0]["function"] == {"name": "Ann", "description": "<PERSON_1>"}  # type: ignore[index]
    assert body["messages"][0]["content"] == "<PERSON_1>"  # type: ignore[index]


def test_unknown_new_field_is_scanned() -> None:
    body = {"model": "m", "brand_new_field": {"deep": ["Ann wrote"]}}
    run(body, FakeScanner({"Ann": Action.TOKENIZE}), FakeVault())
    assert body["brand_new_field"] == {"deep": ["<PERSON_1> wrote"]}


def test_arguments_are_scanned_leaf_by_leaf_and_stay_json() -> None:
    arguments = json.dumps({"who": "Ann", "n": 3, "list": ["x Ann"]})
    body = {"messages": [{"role": "assistant", "tool_calls": [
        {"id": "c", "type": "function", "function": {"name": "f", "arguments": arguments}}]}]}
    run(body, FakeScanner({"Ann": Action.TOKENIZE}), FakeVault())
    sent = body["messages"][0]["tool_calls"][0]["function"]["arguments"]  # type: ignore[index]
    assert json.loads(sent) == {"who": "<PERSON_1>", "n": 3, "list": ["x <PERSON_1>"]}


def test_known_values_are_swapped_even_without_detection() -> None:
    body = {"messages": [{"role": "assistant", "content": "You said: Ann Lee"}]}
    scanner = FakeScanner({})
    actions = run(body, scanner, FakeVault({"Ann Lee": "<PERSON_4>"}))
    assert body["messages"][0]["content"] == "You said: <PERSON_4>"  # type: ignore[index]
    assert scanner.seen == ["You said: <PERSON_4>"]  # detection sees the swapped text
    assert actions == {"tokenized": 1}


def test_finding_overlapping_a_token_is_ignored() -> None:
    body = {"messages": [{"role": "user", "content": "<PERSON_1> again"}]}
    run(body, FakeScanner({"PERSON_1": Action.TOKENIZE}), FakeVault())
    assert body["messages"][0]["content"] == "<PERSON_1> again"  # type: ignore[index]


def test_redact_and_allow() -> None:
    body = {"messages": [{"role": "user", "content": "Ann and Bob"}]}
    actions = run(body, FakeScanner({"Ann": Action.REDACT, "Bob": Action.ALLOW}), FakeVault())
    assert body["messages"][0]["content"] == "[REDACTED PERSON] and Bob"  # type: ignore[index]
    assert actions == {"redacted": 1}


def test_block_refuses_without_naming_the_value() -> None:
    body = {"messages": [{"role": "user", "content": "Ann"}]}
    with pytest.raises(PolicyBlocked) as raised:
        run(body, FakeScanner({"Ann": Action.BLOCK}), FakeVault())
    assert "Ann" not in str(raised.value) and "PERSON" in str(raised.value)


def test_lists_under_a_structural_key_are_structural() -> None:
    body = {"model": "m", "include": ["Ann.results"], "stop": ["Ann"]}
    run(body, FakeScanner({"Ann": Action.TOKENIZE}), FakeVault())
    assert body["include"] == ["Ann.results"]
    assert body["stop"] == ["<PERSON_1>"]
