"""National identifiers: checksum-valid values found, lookalikes left alone.

The recognizers read context from the raw text, so they are exercised here
without a spaCy model: `analyze(text, entities, None)` is the whole contract.
"""

from __future__ import annotations

from functools import cache

import pytest
from hypothesis import given
from hypothesis import strategies as st
from presidio_analyzer import EntityRecognizer, RecognizerResult
from stdnum.fr import nir
from stdnum.nl import bsn

from policies.recognizers.national_ids import (
    CONTEXT_BOOST,
    MEDIUM,
    STRONG,
    WEAK,
    national_id_recognizers,
)

THRESHOLD = 0.5  # the shipped policy's default min_score


@pytest.fixture(scope="module")
def recognizers() -> list[EntityRecognizer]:
    return national_id_recognizers()


def detect(recognizers: list[EntityRecognizer], text: str) -> list[tuple[str, str, float]]:
    results: list[RecognizerResult] = []
    for recognizer in recognizers:
        results += recognizer.analyze(text, recognizer.supported_entities, None)
    return sorted((r.entity_type, text[r.start : r.end], round(r.score, 2)) for r in results)


def kept(recognizers: list[EntityRecognizer], text: str) -> list[tuple[str, str]]:
    """What survives the default policy threshold."""
    return [(t, v) for t, v, s in detect(recognizers, text) if s >= THRESHOLD]


@pytest.mark.parametrize(
    ("text", "entity", "value"),
    [
        ("Meine Steuer-ID lautet 86095742719.", "DE_TAX_ID", "86095742719"),
        ("Steuerliche Identifikationsnummer: 86 095 742 719", "DE_TAX_ID", "86 095 742 719"),
        ("Numéro de sécurité sociale : 1 84 12 76 451 089 46", "FR_INSEE", "1 84 12 76 451 089 46"),
        ("born in Corsica, NIR 253072B07300470", "FR_INSEE", "253072B07300470"),
        ("His DNI is 12345678Z.", "ES_NIF", "12345678Z"),
        ("DNI 87654321-X", "ES_NIF", "87654321-X"),
        ("NIE: Y1234567X", "ES_NIE", "Y1234567X"),
        ("codice fiscale RSSMRA85T10A562S", "IT_FISCAL_CODE", "RSSMRA85T10A562S"),
        ("mio CF è MRTMTT91D08F205J", "IT_FISCAL_CODE", "MRTMTT91D08F205J"),
        ("BSN: 123456782", "NL_BSN", "123456782"),
        ("burgerservicenummer 1112.22.333", "NL_BSN", "1112.22.333"),
        ("National Insurance number AB 12 34 56 C", "UK_NINO", "AB 12 34 56 C"),
        ("PESEL 44051401359", "PL_PESEL", "44051401359"),
        ("personnummer 19811218-9876", "SE_PERSONNUMMER", "19811218-9876"),
        ("Rijksregisternummer 85.07.30-033.28", "BE_NATIONAL_NUMBER", "85.07.30-033.28"),
        ("henkilötunnus 131052-308T", "FI_PERSONAL_IDENTITY_CODE", "131052-308T"),
        ("PPS number 6433435OA", "IE_PPS", "6433435OA"),
    ],
)
def test_valid_identifier_with_context_is_found(
    recognizers: list[EntityRecognizer], text: str, entity: str, value: str
) -> None:
    assert (entity, value) in kept(recognizers, text)


@pytest.mark.parametrize(
    "text",
    [
        "Meine Steuer-ID lautet 86095742718.",  # wrong check digit
        "Numéro de sécurité sociale : 1 84 12 76 451 089 47",  # wrong INSEE key
        "product code 1841276451089 and 2951099126111",  # 13-digit codes: no key at all
        "EAN 184127645108999",  # 15 digits that fail the INSEE key
        "His DNI is 12345678A.",  # wrong letter
        "NIE: Y1234567A",
        "codice fiscale RSSMRA85T10A562X",
        "BSN: 123456783",
        "National Insurance number QQ 12 34 56 C",  # QQ is not an issued prefix
        "National Insurance number GB 12 34 56 A",  # GB is excluded
        "National Insurance number AB 12 34 56 E",  # suffix is A-D
        "National Insurance number Ab 12 34 56 c",  # nobody writes it mixed-case
        "PESEL 44051401358",
        "personnummer 811218-9875",
        "Rijksregisternummer 85.07.30-033.29",
        "henkilötunnus 131052-308U",
    ],
)
def test_checksum_failures_are_dropped(recognizers: list[EntityRecognizer], text: str) -> None:
    assert detect(recognizers, text) == []


@pytest.mark.parametrize(
    "text",
    [
        "Your order 86095742719 has shipped.",  # a valid Steuer-ID shape, but an order
        "Invoice 123456782 is overdue.",  # passes the BSN 11-proof by chance
        "Call me on +49 30 12345678 or 030 1234 5678.",
        "Meeting on 2024-01-15 at 10:30, room 4711.",
        "Tracking number 44051401359 (DHL).",  # passes the PESEL check by chance
        "I paid 12345678 euros for it.",
    ],
)
def test_business_numbers_stay_below_the_threshold(
    recognizers: list[EntityRecognizer], text: str
) -> None:
    assert kept(recognizers, text) == []


def test_context_words_raise_scores(recognizers: list[EntityRecognizer]) -> None:
    bare = detect(recognizers, "see 123456782 above")
    with_context = detect(recognizers, "my BSN is 123456782")
    assert bare == [("NL_BSN", "123456782", WEAK)]
    assert with_context == [("NL_BSN", "123456782", round(WEAK + CONTEXT_BOOST, 2))]


def test_strength_tiers_follow_the_checks(recognizers: list[EntityRecognizer]) -> None:
    assert detect(recognizers, "see 2 95 10 99 126 111 93 ok") == [
        ("FR_INSEE", "2 95 10 99 126 111 93", STRONG)
    ]
    assert ("ES_NIF", "12345678Z", MEDIUM) in detect(recognizers, "value 12345678Z here")


def test_short_context_words_need_a_word_boundary(recognizers: list[EntityRecognizer]) -> None:
    # "nie" inside "genie" must not count as the NIE context word; "NIE" does.
    assert detect(recognizers, "genie X1234567L")[0][2] == STRONG
    assert detect(recognizers, "NIE X1234567L")[0][2] == 1.0


def test_results_are_marked_context_scored(recognizers: list[EntityRecognizer]) -> None:
    """Presidio's lemma-based enhancer must not add its own boost on top."""
    for recognizer in recognizers:
        for result in recognizer.analyze("BSN 123456782", recognizer.supported_entities, None):
            assert result.recognition_metadata[RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY]


def test_every_recognizer_is_english_and_named_uniquely(
    recognizers: list[EntityRecognizer],
) -> None:
    assert {r.supported_language for r in recognizers} == {"en"}
    assert len({r.name for r in recognizers}) == len(recognizers)
    for recognizer in recognizers:
        entity = recognizer.supported_entities[0]
        assert entity == entity.upper()


@cache
def by_name(name: str) -> EntityRecognizer:
    return next(r for r in national_id_recognizers() if r.name == name)


@given(st.from_regex(r"\A[1-9]\d{7}\Z"))
def test_bsn_found_exactly_for_the_eleven_proof_digit(prefix: str) -> None:
    recognizer = by_name("NlBsnRecognizer")
    for last in "0123456789":
        number = prefix + last
        found = recognizer.analyze(f"BSN {number}", ["NL_BSN"], None)
        assert bool(found) == bsn.is_valid(number)


@given(
    sex=st.sampled_from("1278"),
    year=st.integers(0, 99),
    month=st.integers(1, 12),
    department=st.sampled_from(["75", "13", "2A", "2B", "69"]),
    serial=st.integers(1, 999_999),
    wrong=st.integers(1, 96),
)
def test_insee_key_decides(
    sex: str, year: int, month: int, department: str, serial: int, wrong: int
) -> None:
    body = f"{sex}{year:02d}{month:02d}{department}{serial:06d}"
    key = int(nir.calc_check_digits(body))
    recognizer = by_name("FrInseeRecognizer")
    assert recognizer.analyze(f"NIR {body}{key:02d}", ["FR_INSEE"], None)
    assert not recognizer.analyze(f"NIR {body}{(key + wrong) % 97:02d}", ["FR_INSEE"], None)
