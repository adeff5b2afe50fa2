"""The policy model: defaults, per-type rules, validation of names."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from policies import Action, Finding, Policy
from policies.model import EntityRule, Rule


def test_defaults_are_fail_closed() -> None:
    policy = Policy()
    assert policy.default == Rule(action=Action.TOKENIZE, min_score=0.5)
    assert policy.routes.unknown_paths == "block"
    assert policy.routes.embeddings == "tokenize"
    assert policy.routes.pdf_files == "extract"
    assert policy.routes.binary_files == "refuse"
    assert policy.allow_list == ()


def test_rule_for_merges_override_over_default() -> None:
    policy = Policy(
        default=Rule(action=Action.REDACT, min_score=0.6),
        entities={
            "PERSON": EntityRule(min_score=0.3),
            "DATE_TIME": EntityRule(action=Action.ALLOW),
        },
    )
    assert policy.rule_for("PERSON") == Rule(action=Action.REDACT, min_score=0.3)
    assert policy.rule_for("DATE_TIME") == Rule(action=Action.ALLOW, min_score=0.6)
    assert policy.rule_for("ANYTHING_ELSE") == policy.default


@pytest.mark.parametrize("name", ["person", "1ABC", "A-B", "A" * 41, ""])
def test_entity_types_follow_the_token_grammar(name: str) -> None:
    with pytest.raises(ValidationError):
        Policy(entities={name: EntityRule()})


def test_unknown_keys_are_refused() -> None:
    with pytest.raises(ValidationError):
        Policy.model_validate({"defaults": {}})


def test_allow_list_entries_are_stripped_and_not_empty() -> None:
    assert Policy(allow_list=("  Acme Corp ",)).allow_list == ("Acme Corp",)
    with pytest.raises(ValidationError):
        Policy(allow_list=("   ",))


def test_strictness_orders_actions() -> None:
    ordered = sorted(Action, key=lambda a: a.strictness)
    assert ordered == [Action.ALLOW, Action.TOKENIZE, Action.REDACT, Action.BLOCK]
    assert Action("tokenize") is Action.TOKENIZE


def test_finding_is_immutable() -> None:
    finding = Finding("PERSON", 0, 4, 0.9, Action.TOKENIZE)
    with pytest.raises(AttributeError):
        finding.start = 1  # type: ignore[misc]
