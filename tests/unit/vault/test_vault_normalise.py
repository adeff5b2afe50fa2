"""Which spellings count as the same value."""

from __future__ import annotations

import pytest

from vault.normalise import Family, canonical, family_of, normalise


@pytest.mark.parametrize(
    ("entity_type", "spellings"),
    [
        ("PERSON", ["John Smith", "john smith", "John  Smith", " JOHN\tSMITH ", "John\nSmith"]),
        ("EMAIL_ADDRESS", ["Jane.Doe@X.org", "jane.doe@x.org", " JANE.DOE@X.ORG "]),
        ("PHONE_NUMBER", ["+1 555-010-0100", "1 (555) 010 0100", "15550100100"]),
        ("CREDIT_CARD", ["4111 1111 1111 1111", "4111-1111-1111-1111", "4111111111111111"]),
        ("IBAN_CODE", ["DE89 3704 0044 0532 0130 00", "de89370400440532013000"]),
        ("LOCATION", ["Straße", "STRASSE", "strasse"]),
    ],
)
def test_spellings_of_one_value_normalise_equal(entity_type: str, spellings: list[str]) -> None:
    assert len({normalise(entity_type, spelling) for spelling in spellings}) == 1


@pytest.mark.parametrize(
    ("entity_type", "a", "b"),
    [
        ("PERSON", "John Smith", "John Smyth"),
        ("PERSON", "Ann", "Anne"),
        ("EMAIL_ADDRESS", "a@example.org", "a@example.com"),
        ("PHONE_NUMBER", "555 0100", "555 0101"),
    ],
)
def test_different_values_stay_different(entity_type: str, a: str, b: str) -> None:
    assert normalise(entity_type, a) != normalise(entity_type, b)


def test_entity_type_picks_the_family_and_unknown_types_are_text() -> None:
    assert family_of("EMAIL_ADDRESS") is Family.EMAIL
    assert family_of("PHONE_NUMBER") is Family.DIGITS
    assert family_of("IBAN_CODE") is Family.COMPACT
    assert family_of("DE_TAX_ID_SOMETHING_NEW") is Family.TEXT


def test_digits_without_digits_fall_back_to_text() -> None:
    assert canonical(Family.DIGITS, "Call Me") == (Family.TEXT, "call me")
    assert normalise("PHONE_NUMBER", "call  me") != normalise("PHONE_NUMBER", "ring me")


def test_compatibility_forms_are_folded() -> None:
    assert normalise("PHONE_NUMBER", "５５５ ０１００") == "5550100"
    assert normalise("PERSON", "Ｊｏｈｎ") == "john"


def test_blank_values_normalise_to_nothing() -> None:
    assert normalise("PERSON", "  \t ") == ""
