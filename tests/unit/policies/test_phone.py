"""Phone numbers of many regions, and what is not a phone number."""

from __future__ import annotations

import pytest

from policies.recognizers.phone import PhoneNumberRecognizer, phone_score

RECOGNIZER = PhoneNumberRecognizer()


def found(text: str) -> list[tuple[str, float]]:
    return [(text[r.start : r.end], r.score)
            for r in RECOGNIZER.analyze(text, ["PHONE_NUMBER"])]


@pytest.mark.parametrize(("text", "number"), [
    ("Call +44 20 7946 0958 today", "+44 20 7946 0958"),
    ("Desk: +41 (0)60 195 26 42", "+41 (0)60 195 26 42"),
    ("ring 0049 30 1234567", "0049 30 1234567"),
    ("(212) 555-0199", "(212) 555-0199"),
    ("Fax: (725)614-1119x5631", "(725)614-1119x5631"),
    ("Berlin office 030 1234567", "030 1234567"),
    ("Paris: 06 12 34 56 78", "06 12 34 56 78"),
    ("dotted 06.12.34.56.78", "06.12.34.56.78"),
    ("Tokyo 03-1234-5678", "03-1234-5678"),
    ("Mumbai +91 98765 43210", "+91 98765 43210"),
])
def test_numbers_of_many_regions_are_found(text: str, number: str) -> None:
    results = found(text)
    assert [n for n, _ in results] == [number]
    assert results[0][1] >= 0.5


@pytest.mark.parametrize("text", [
    "Order 48213 shipped",
    "released on 2024-05-03",
    "due 03.05.2024",
    "host 192.168.100.200",
    "version 2.4.1",
    "oid 1.3.6.1.4.1.311",
    "card 4111 1111 1111 1111",
    "IBAN DE89 3704 0044 0532 0130 00",
    "total 1,234,567.89",
])
def test_lookalikes_are_not_phone_numbers(text: str) -> None:
    assert [s for _, s in found(text) if s >= 0.5] == []


def test_bare_digit_run_scores_under_the_default_threshold() -> None:
    assert found("order 4155550132") == [("4155550132", 0.4)]


@pytest.mark.parametrize(("candidate", "expected"), [
    ("+44 20 7946 0958", 0.95),
    ("+1-555-555-5555", 0.7),
    ("(212) 555-0199", 0.85),
    ("2019-2023", 0.0),
    ("12345", 0.0),
    ("+999 123 456 789", 0.0),
])
def test_scores_follow_the_documented_table(candidate: str, expected: float) -> None:
    assert phone_score(candidate) == expected


def test_entity_not_requested_means_no_work() -> None:
    assert RECOGNIZER.analyze("+44 20 7946 0958", ["EMAIL_ADDRESS"]) == []


@pytest.mark.parametrize("text", ["Call me on 4155550132", "tel. 4155550132", "Fax 4155550132"])
def test_a_context_word_before_a_bare_number_lifts_it(text: str) -> None:
    assert found(text) == [("4155550132", 0.75)]


def test_context_after_the_number_or_far_away_does_not_count() -> None:
    assert found("4155550132 is my phone") == [("4155550132", 0.4)]
    far = "phone " + "x" * 50 + " 4155550132"
    assert found(far) == [("4155550132", 0.4)]


def test_context_words_must_be_words() -> None:
    assert found("telling 4155550132") == [("4155550132", 0.4)]
    assert found("calling 4155550132") == [("4155550132", 0.75)]
