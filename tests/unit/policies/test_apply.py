"""Applying a policy to raw spans: thresholds, allow-list, actions, fail-safe merging."""

from __future__ import annotations

import itertools

from policies import Action, Finding, Policy
from policies.apply import PolicyApplier
from policies.model import EntityRule, Rule
from policies.spans import Span


def at(text: str, part: str, entity_type: str, score: float = 0.9) -> Span:
    start = text.index(part)
    return Span(entity_type, start, start + len(part), score)


def view(text: str, findings: list[Finding]) -> list[tuple[str, str, Action]]:
    return [(f.entity_type, text[f.start : f.end], f.action) for f in findings]


POLICY = Policy(
    entities={
        "PERSON": EntityRule(min_score=0.6),
        "DATE_TIME": EntityRule(action=Action.ALLOW),
        "ORGANIZATION": EntityRule(action=Action.ALLOW),
        "SECRET": EntityRule(action=Action.REDACT),
        "URL": EntityRule(action=Action.BLOCK),
    },
    allow_list=("Acme Corp", "Jordan"),
)


def test_below_min_score_is_dropped_per_type() -> None:
    text = "Anna met Bob"
    found = PolicyApplier(POLICY).apply(text, [at(text, "Anna", "PERSON", 0.55),
                                               at(text, "Bob", "PERSON", 0.65)])
    assert view(text, found) == [("PERSON", "Bob", Action.TOKENIZE)]


def test_allow_list_is_whole_word_case_insensitive_and_reported_as_allow() -> None:
    text = "ACME  corp hired Anna; Acme Corporation did not"
    spans = [at(text, "ACME  corp", "PERSON"), at(text, "ACME", "ORGANIZATION"),
             at(text, "Anna", "PERSON"), at(text, "Acme Corporation", "PERSON")]
    found = view(text, PolicyApplier(POLICY).apply(text, spans))
    assert found == [
        ("PERSON", "ACME  corp", Action.ALLOW),
        ("PERSON", "Anna", Action.TOKENIZE),
        ("PERSON", "Acme Corporation", Action.TOKENIZE),
    ]


def test_allow_list_does_not_unprotect_a_longer_value() -> None:
    text = "Michael Jordan called"
    spans = [at(text, "Michael Jordan", "PERSON"), at(text, "Jordan", "LOCATION")]
    found = view(text, PolicyApplier(POLICY).apply(text, spans))
    assert found == [("PERSON", "Michael Jordan", Action.TOKENIZE)]


def test_merged_span_takes_the_strictest_action() -> None:
    text = "see https://anna.example.com/x"
    spans = [at(text, "https://anna.example.com/x", "URL", 0.6),
             at(text, "anna", "PERSON", 0.95)]
    assert view(text, PolicyApplier(POLICY).apply(text, spans)) == [
        ("URL", "https://anna.example.com/x", Action.BLOCK)
    ]


def test_allowed_type_overlapping_a_protected_value_is_protected_with_it() -> None:
    text = "Ferdinando Coronado signed"
    spans = [at(text, "Ferdinando Coronado", "ORGANIZATION", 0.85),
             at(text, "Ferdinando", "PERSON", 0.9)]
    assert view(text, PolicyApplier(POLICY).apply(text, spans)) == [
        ("PERSON", "Ferdinando Coronado", Action.TOKENIZE)
    ]


def test_allowed_types_elsewhere_are_reported_as_allow() -> None:
    text = "On Monday Acme Corp paid key sk-123"
    spans = [at(text, "Monday", "DATE_TIME", 0.85), at(text, "sk-123", "SECRET", 0.9)]
    assert view(text, PolicyApplier(POLICY).apply(text, spans)) == [
        ("DATE_TIME", "Monday", Action.ALLOW),
        ("SECRET", "sk-123", Action.REDACT),
    ]


def test_default_rule_covers_unlisted_types() -> None:
    policy = Policy(default=Rule(action=Action.BLOCK, min_score=0.3))
    text = "BSN 111222333"
    found = PolicyApplier(policy).apply(text, [at(text, "111222333", "NL_BSN", 0.35)])
    assert view(text, found) == [("NL_BSN", "111222333", Action.BLOCK)]


def test_findings_are_sorted_and_disjoint() -> None:
    text = "Bob and Anna and Carl on Friday"
    spans = [at(text, "Carl", "PERSON"), at(text, "Friday", "DATE_TIME"),
             at(text, "Bob", "PERSON"), at(text, "Anna", "PERSON")]
    found = PolicyApplier(POLICY).apply(text, spans)
    assert [f.start for f in found] == sorted(f.start for f in found)
    assert all(a.end <= b.start for a, b in itertools.pairwise(found))
    assert len(found) == 4


def test_no_spans_no_findings() -> None:
    assert PolicyApplier(Policy()).apply("nothing here", []) == []
