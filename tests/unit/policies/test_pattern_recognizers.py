"""Cards, address parts and dates of birth: positives and look-alikes."""

from __future__ import annotations

import pytest

from policies.recognizers.address import AddressPartRecognizer
from policies.recognizers.birth_date import BASE_SCORE, DateOfBirthRecognizer
from policies.recognizers.cards import CardNumberRecognizer

CARDS = CardNumberRecognizer()
ADDRESS = AddressPartRecognizer()
BIRTH = DateOfBirthRecognizer()


def cards(text: str) -> list[tuple[str, float]]:
    return [(text[r.start : r.end], r.score) for r in CARDS.analyze(text, ["CREDIT_CARD"])]


@pytest.mark.parametrize(("text", "number"), [
    ("visa 4111 1111 1111 1111", "4111 1111 1111 1111"),
    ("mc 2624330600552304 (2-series)", "2624330600552304"),
    ("19 digits 4395996863380432960", "4395996863380432960"),
    ("amex 3782 822463 10005", "3782 822463 10005"),
    ("dashes 5555-5555-5555-4444", "5555-5555-5555-4444"),
    ("old jcb 213197020991557", "213197020991557"),
    ("maestro 503863468123", "503863468123"),
])
def test_luhn_valid_cards_of_every_issuer_score_one(text: str, number: str) -> None:
    assert cards(text) == [(number, 1.0)]


@pytest.mark.parametrize("text", [
    "order number 1234567890123456",  # right length, fails Luhn
    "tracking 4111 1111 1111 1112",  # a card-like number one digit off
    "invoice 9876543210987654",  # no issuer starts with 9
    "phone 4155550132",  # too short for a card
])
def test_order_numbers_that_are_not_cards(text: str) -> None:
    assert cards(text) == []


def addresses(text: str) -> list[str]:
    return [text[r.start : r.end] for r in ADDRESS.analyze(text, ["STREET_ADDRESS"])]


@pytest.mark.parametrize(("text", "part"), [
    ("12 Main St\nApt. 748\nSpringfield", "Apt. 748"),
    ("Suite 262, Dover", "Suite 262"),
    ("Ste 5B", "Ste 5B"),
    ("P.O. Box 287", "P.O. Box 287"),
    ("Postfach 71, Wien", "Postfach 71"),
    ("send to PSC 1195, Box 5372\nAPO AE 44634 now", "PSC 1195, Box 5372\nAPO AE 44634"),
    ("Unit 2328 Box 6012\nDPO AP 06109", "Unit 2328 Box 6012\nDPO AP 06109"),
    ("USCGC Numminen\nFPO AA 67977", "USCGC Numminen\nFPO AA 67977"),
])
def test_address_parts_are_found(text: str, part: str) -> None:
    assert addresses(text) == [part]


@pytest.mark.parametrize("text", [
    "Unit 3 of the course covers sets",
    "the apt description was suite-like",
    "a flat 3 percent fee",
    "box 5 of 12",
])
def test_ordinary_words_are_not_address_parts(text: str) -> None:
    assert addresses(text) == []


def births(text: str) -> list[tuple[str, float]]:
    return [(text[r.start : r.end], r.score) for r in BIRTH.analyze(text, ["DATE_OF_BIRTH"])]


@pytest.mark.parametrize(("text", "date"), [
    ("born 03.05.1985", "03.05.1985"),
    ("DOB: 1985-05-03", "1985-05-03"),
    ("born on May 3rd, 1985", "May 3rd, 1985"),
    ("born on the 3rd of May 1985", "3rd of May 1985"),
    ("birthday 5/3/1985", "5/3/1985"),
])
def test_full_dates_match_with_a_score_under_the_threshold(text: str, date: str) -> None:
    # The context word lifts the score inside the analyzer (see test_engine).
    assert births(text) == [(date, BASE_SCORE)]


@pytest.mark.parametrize("text", ["due in May", "version 2024.05", "room 12/25", "on 3 May"])
def test_partial_dates_and_lookalikes_are_not_birth_dates(text: str) -> None:
    assert births(text) == []
