"""Request protection with fake detection and a fake scope: what gets swapped, and how."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any

import pytest

from gateway.codecs.chat import ChatCodec
from gateway.errors import BadRequest, PolicyBlocked
from gateway.protect import protect
from gateway.spellings import Spellings
from policies import Action, Finding
from vault.ephemeral import EphemeralScope


class FakeScanner:
    """Finds fixed words (every occurrence), with a fixed type and action per word."""

    def __init__(self, words: dict[str, Action | tuple[str, Action]]) -> None:
        self.words = {w: (a if isinstance(a, tuple) else ("PERSON", a)) for w, a in words.items()}
        self.seen: list[str] = []

    async def scan(self, texts: Sequence[str]) -> list[list[Finding]]:
        self.seen += texts
        results = []
        for text in texts:
            found: list[Finding] = []
            for word, (kind, action) in self.words.items():
                start = text.find(word)
                while start >= 0:
                    end = start + len(word)
                    if not any(f.start < end and start < f.end for f in found):
                        found.append(Finding(kind, start, end, 0.9, action))
                    start = text.find(word, end)
            results.append(sorted(found, key=lambda f: f.start))
        return results


def scope_knowing(*values: tuple[str, str]) -> EphemeralScope:
    scope = EphemeralScope()
    asyncio.run(scope.tokenize(list(values)))
    return scope


ACTIONS = {"PERSON": Action.TOKENIZE, "EMAIL_ADDRESS": Action.TOKENIZE, "URL": Action.ALLOW,
           "SECRET": Action.REDACT, "US_SSN": Action.BLOCK}


def run(body: dict[str, Any], scanner: FakeScanner, scope: EphemeralScope | None = None,
        spellings: Spellings | None = None, common: frozenset[str] = frozenset(),
        **kwargs: Any) -> dict[str, int]:
    slots = ChatCodec().request_slots(body)
    result = asyncio.run(protect(
        body, slots, scope or EphemeralScope(), scanner,
        action_of=lambda kind: ACTIONS.get(kind, Action.TOKENIZE),
        common_word=lambda word: word.lower() in common, spellings=spellings, **kwargs))
    return dict(result.actions)


def user(content: Any) -> dict[str, Any]:
    return {"model": "m", "messages": [{"role": "user", "content": content}]}


def sent(body: dict[str, Any]) -> Any:
    return body["messages"][0]["content"]


def test_structural_paths_are_not_scanned_but_everything_else_is() -> None:
    body = {"model": "Ann", "messages": [{"role": "Ann", "content": "Ann"}],
            "tools": [{"type": "function", "function": {"name": "Ann", "description": "Ann"}}]}
    run(body, FakeScanner({"Ann": Action.TOKENIZE}))
    assert body["model"] == "Ann" and body["messages"][0]["role"] == "Ann"  # type: ignore[index]
    assert body["tools"][0]["function"] == {"name": "Ann", "description": "<PERSON_1>"}  # type: ignore[index]
    assert sent(body) == "<PERSON_1>"


def test_structural_names_inside_free_form_objects_are_scanned() -> None:
    body = {"model": "m", "metadata": {"user": "Ann", "id": "Ann", "status": "Ann"},
            "messages": [{"role": "user", "content": "hi"}]}
    run(body, FakeScanner({"Ann": Action.TOKENIZE}))
    assert body["metadata"] == {"user": "<PERSON_1>", "id": "<PERSON_1>", "status": "<PERSON_1>"}


def test_free_form_keys_are_scanned_and_renamed_in_place() -> None:
    body = {"model": "m", "metadata": {"first": "1", "Ann Lee": "vip", "last": "2"},
            "messages": [{"role": "user", "content": "hi"}]}
    run(body, FakeScanner({"Ann Lee": Action.TOKENIZE}))
    assert list(body["metadata"]) == ["first", "<PERSON_1>", "last"]  # type: ignore[call-overload]
    assert body["metadata"]["<PERSON_1>"] == "vip"  # type: ignore[index]


def test_keys_that_collide_once_tokenized_are_refused() -> None:
    body = {"model": "m", "metadata": {"Ann": "1", "ann": "2"},
            "messages": [{"role": "user", "content": "hi"}]}
    with pytest.raises(BadRequest):
        run(body, FakeScanner({"Ann": Action.TOKENIZE, "ann": Action.TOKENIZE}))


def test_unknown_new_field_is_scanned() -> None:
    body = {"model": "m", "brand_new_field": {"deep": ["Ann wrote"]}}
    run(body, FakeScanner({"Ann": Action.TOKENIZE}))
    assert body["brand_new_field"] == {"deep": ["<PERSON_1> wrote"]}


def test_arguments_are_scanned_leaf_by_leaf_keys_and_numbers_included() -> None:
    arguments = json.dumps({"who": "Ann", "n": 3, "list": ["x Ann"], "Ann": 1,
                            "card": 4963588070204020})
    body = {"messages": [{"role": "assistant", "tool_calls": [
        {"id": "c", "type": "function", "function": {"name": "f", "arguments": arguments}}]}]}
    scanner = FakeScanner({"Ann": Action.TOKENIZE,
                           "4963588070204020": ("CREDIT_CARD", Action.TOKENIZE)})
    run(body, scanner)
    sent_args = body["messages"][0]["tool_calls"][0]["function"]["arguments"]  # type: ignore[index]
    assert json.loads(sent_args) == {"who": "<PERSON_1>", "n": 3, "list": ["x <PERSON_1>"],
                                     "<PERSON_1>": 1, "card": "<CREDIT_CARD_1>"}
    assert "card: 4963588070204020" in scanner.seen  # the key is the number's context


def test_numbers_can_be_refused_by_policy() -> None:
    arguments = json.dumps({"card": 4963588070204020})
    body = {"messages": [{"role": "assistant", "tool_calls": [
        {"id": "c", "type": "function", "function": {"name": "f", "arguments": arguments}}]}]}
    with pytest.raises(BadRequest) as raised:
        run(body, FakeScanner({"4963588070204020": ("CREDIT_CARD", Action.TOKENIZE)}),
            refuse_numbers=True)
    assert "4963" not in raised.value.message


def test_known_values_are_swapped_even_without_detection() -> None:
    body = user("You said: Ann Lee")
    actions = run(body, FakeScanner({}), scope_knowing(("PERSON", "Ann Lee")))
    assert sent(body) == "You said: <PERSON_1>"
    assert actions == {"tokenized": 1}


def test_detection_sees_the_text_as_the_app_wrote_it() -> None:
    scanner = FakeScanner({})
    run(user("You said: Ann Lee"), scanner, scope_knowing(("PERSON", "Ann Lee")))
    assert scanner.seen == ["You said: Ann Lee"]


def test_a_known_word_inside_a_larger_entity_leaves_the_entity_whole() -> None:
    scope = scope_knowing(("PERSON", "Rafael Fairweather"), ("PERSON", "fairweather"))
    body = user("Mail me at psxntdw.fairweather@mailbox.test")
    scanner = FakeScanner({"psxntdw.fairweather@mailbox.test":
                           ("EMAIL_ADDRESS", Action.TOKENIZE)})
    run(body, scanner, scope)
    assert sent(body) == "Mail me at <EMAIL_ADDRESS_1>"


def test_an_allowed_entity_holding_a_known_value_is_protected_whole() -> None:
    scope = scope_knowing(("PERSON", "Fairweather"))
    body = user("see https://crm.example/people/Fairweather now")
    run(body, FakeScanner({"https://crm.example/people/Fairweather": ("URL", Action.ALLOW)}),
        scope)
    assert sent(body) == "see <URL_1> now"


def test_a_known_full_name_keeps_its_token_when_detection_sees_a_part() -> None:
    scope = scope_knowing(("PERSON", "Kwame Fairweather"))
    body = user("Kwame Fairweather called")
    run(body, FakeScanner({"Kwame": Action.TOKENIZE}), scope)
    assert sent(body) == "<PERSON_1> called"


def test_a_new_name_next_to_a_known_surname_is_one_person() -> None:
    scope = scope_knowing(("PERSON", "Fairweather"))
    body = user("Kwame Fairweather called")
    run(body, FakeScanner({"Kwame": Action.TOKENIZE}), scope)
    assert sent(body) == "<PERSON_2> called"
    assert scope.value_of("<PERSON_2>") == "Kwame Fairweather"


def test_every_case_of_a_known_value_is_found() -> None:
    scope = scope_knowing(("PERSON", "Lindqvist"))
    body = user("Lindqvist wrote. Later LINDQVIST and lindqvist replied.")
    spellings = Spellings()
    run(body, FakeScanner({}), scope, spellings)
    assert sent(body) == "<PERSON_1> wrote. Later <PERSON_1> and <PERSON_1> replied."
    assert spellings.choose("<PERSON_1>", "Later <PERSON_1> and ") == "lindqvist"
    assert spellings.choose("<PERSON_1>", "wrote. Later ") == "LINDQVIST"


def test_a_common_word_is_not_taken_for_a_known_name_unless_written_as_one() -> None:
    scope = scope_knowing(("PERSON", "Will"))
    body = user("Will said he will call. Later Will Smith and WILL came.")
    run(body, FakeScanner({}), scope, common=frozenset({"will"}))
    assert sent(body) == "Will said he will call. Later <PERSON_1> Smith and WILL came."


def test_a_common_word_confirmed_by_detection_is_the_name() -> None:
    scope = scope_knowing(("PERSON", "Will"))
    body = user("will wrote")
    run(body, FakeScanner({"will": Action.TOKENIZE}), scope, common=frozenset({"will"}))
    assert sent(body) == "<PERSON_1> wrote"


def test_known_values_follow_the_policy_of_their_type() -> None:
    scope = scope_knowing(("US_SSN", "442-22-7459"), ("SECRET", "sk-abc123"))
    with pytest.raises(PolicyBlocked):
        run(user("ssn 442-22-7459"), FakeScanner({}), scope)
    body = user("key sk-abc123")
    assert run(body, FakeScanner({}), scope) == {"redacted": 1}
    assert sent(body) == "key [REDACTED SECRET]"


def test_token_shaped_text_the_app_wrote_is_escaped_and_comes_back() -> None:
    scope = scope_knowing(("PERSON", "Henrietta Ashcombe"))
    body = user("What does <PERSON_1> mean in your logs?")
    spellings = Spellings()
    actions = run(body, FakeScanner({"PERSON_1": ("ORGANIZATION", Action.TOKENIZE)}), scope,
                  spellings)
    assert sent(body) == "What does <LITERAL_1> mean in your logs?"
    assert scope.value_of("<LITERAL_1>") == "<PERSON_1>"
    assert actions == {"escaped": 1}


def test_a_name_cut_across_text_parts_is_found_whole() -> None:
    body = user([{"type": "text", "text": "My name is Tobias"},
                 {"type": "text", "text": " Olufsen, mail me"}])
    scanner = FakeScanner({"Tobias Olufsen": Action.TOKENIZE})
    run(body, scanner)
    assert scanner.seen == ["My name is Tobias Olufsen, mail me"]
    assert sent(body) == [{"type": "text", "text": "My name is <PERSON_1>"},
                          {"type": "text", "text": ", mail me"}]


def test_the_message_name_stays_an_identifier() -> None:
    body = {"model": "m", "messages": [{"role": "user", "name": "AnnLee", "content": "hi"}]}
    run(body, FakeScanner({"AnnLee": Action.TOKENIZE}))
    assert body["messages"][0]["name"] == "PERSON_1"  # type: ignore[index]


def test_redact_and_allow() -> None:
    body = user("Ann and Bob")
    actions = run(body, FakeScanner({"Ann": Action.REDACT, "Bob": Action.ALLOW}))
    assert sent(body) == "[REDACTED PERSON] and Bob"
    assert actions == {"redacted": 1}


def test_block_refuses_without_naming_the_value() -> None:
    with pytest.raises(PolicyBlocked) as raised:
        run(user("Ann"), FakeScanner({"Ann": Action.BLOCK}))
    assert "Ann" not in str(raised.value) and "PERSON" in str(raised.value)


def test_a_blocked_request_stores_nothing() -> None:
    scope = EphemeralScope()
    with pytest.raises(PolicyBlocked):
        run(user("Bea and Ann"), FakeScanner({"Ann": Action.BLOCK, "Bea": Action.TOKENIZE}),
            scope)
    assert len(scope.known) == 0


def test_lists_under_a_structural_path_are_structural() -> None:
    body = {"model": "m", "include": ["Ann.results"], "stop": ["Ann"]}
    run(body, FakeScanner({"Ann": Action.TOKENIZE}))
    assert body["include"] == ["Ann.results"]
    assert body["stop"] == ["<PERSON_1>"]


def test_spellings_record_what_the_model_saw_before_each_token() -> None:
    spellings = Spellings()
    run(user("ann met Ann"), FakeScanner({"ann": Action.TOKENIZE, "Ann": Action.TOKENIZE}),
        spellings=spellings)
    assert spellings.choose("<PERSON_1>", "") == "ann"
    assert spellings.choose("<PERSON_1>", "<PERSON_1> met ") == "Ann"


def test_a_word_of_a_known_name_written_alone_is_a_value_of_its_own() -> None:
    scope = scope_knowing(("PERSON", "Rafael Fairweather"))
    body = user("FAIRWEATHER called, then Rafael Fairweather and van Dijk")
    run(body, FakeScanner({}), scope)
    assert sent(body) == "<PERSON_2> called, then <PERSON_1> and van Dijk"
    assert scope.value_of("<PERSON_2>") == "FAIRWEATHER"
