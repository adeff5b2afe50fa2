"""Finding a scope's known values in text."""

from __future__ import annotations

from vault.matcher import KnownValue, KnownValues


def _matcher(*values: tuple[str, str, str]) -> KnownValues:
    return KnownValues(KnownValue(value, kind, token) for value, kind, token in values)


def _found(matcher: KnownValues, text: str) -> list[tuple[str, str]]:
    return [(text[start:end], token) for start, end, _, token in matcher.find(text)]


def test_empty_matcher_finds_nothing() -> None:
    matcher = KnownValues([])
    assert len(matcher) == 0
    assert matcher.find("John Smith") == []


def test_longest_value_wins_and_matches_do_not_overlap() -> None:
    matcher = _matcher(("John", "PERSON", "<PERSON_2>"), ("John Smith", "PERSON", "<PERSON_1>"))
    text = "John Smith met John."
    assert _found(matcher, text) == [("John Smith", "<PERSON_1>"), ("John", "<PERSON_2>")]
    start, end, entity_type, _ = matcher.find(text)[0]
    assert (start, end, entity_type) == (0, 10, "PERSON")


def test_names_match_in_any_case_and_spacing() -> None:
    matcher = _matcher(("John Smith", "PERSON", "<PERSON_1>"))
    assert _found(matcher, "JOHN  smith and john\nSmith") == [
        ("JOHN  smith", "<PERSON_1>"),
        ("john\nSmith", "<PERSON_1>"),
    ]


def test_no_match_inside_words_addresses_or_dotted_names() -> None:
    matcher = _matcher(("Ann", "PERSON", "<PERSON_1>"))
    assert _found(matcher, "Annual report by Joanne, ann.lee@example.org, mail@ann") == []
    assert _found(matcher, "Ann, (Ann) and Ann.") == [("Ann", "<PERSON_1>")] * 3


def test_email_matches_case_insensitively_but_not_as_a_prefix() -> None:
    matcher = _matcher(("jane@example.org", "EMAIL_ADDRESS", "<EMAIL_ADDRESS_1>"))
    text = "Write JANE@example.org. Not jane@example.org.uk or xjane@example.org"
    assert _found(matcher, text) == [("JANE@example.org", "<EMAIL_ADDRESS_1>")]


def test_phone_numbers_match_with_any_separators_and_keep_their_lead() -> None:
    matcher = _matcher(("+1 555-010-0100", "PHONE_NUMBER", "<PHONE_NUMBER_1>"))
    text = "Call +1 555-010-0100, 1 (555) 010.0100 or 15550100100."
    assert _found(matcher, text) == [
        ("+1 555-010-0100", "<PHONE_NUMBER_1>"),
        ("1 (555) 010.0100", "<PHONE_NUMBER_1>"),
        ("15550100100", "<PHONE_NUMBER_1>"),
    ]


def test_numbers_are_not_found_inside_longer_numbers() -> None:
    matcher = _matcher(("555 0100", "PHONE_NUMBER", "<PHONE_NUMBER_1>"))
    assert _found(matcher, "order 95550100, ref 555 0100 7, id 3 555 0100") == []
    assert _found(matcher, "dial 555 0100.") == [("555 0100", "<PHONE_NUMBER_1>")]


def test_codes_match_with_or_without_spaces() -> None:
    matcher = _matcher(("DE89 3704 0044 0532 0130 00", "IBAN_CODE", "<IBAN_CODE_1>"))
    assert _found(matcher, "IBAN de89370400440532013000!") == [
        ("de89370400440532013000", "<IBAN_CODE_1>")
    ]


def test_values_are_matched_as_written_not_as_folded() -> None:
    matcher = _matcher(("Straße 5", "LOCATION", "<LOCATION_1>"))
    assert _found(matcher, "at STRAßE 5") == [("STRAßE 5", "<LOCATION_1>")]


def test_two_spellings_of_one_value_keep_the_first_entry() -> None:
    matcher = _matcher(
        ("John Smith", "PERSON", "<PERSON_1>"), ("john smith", "PERSON", "<PERSON_9>")
    )
    assert len(matcher) == 1
    assert _found(matcher, "john smith") == [("john smith", "<PERSON_1>")]


def test_regex_metacharacters_in_values_are_literal() -> None:
    matcher = _matcher(("A.B (C)", "ORGANIZATION", "<ORGANIZATION_1>"))
    assert _found(matcher, "xA.B (C) and AxB (C) and a.b (c)") == [("a.b (c)", "<ORGANIZATION_1>")]


def test_many_values_stay_fast_enough_to_build_and_search() -> None:
    values = [(f"Name{i} Surname{i}", "PERSON", f"<PERSON_{i}>") for i in range(1, 2001)]
    matcher = _matcher(*values)
    text = " ".join(f"word Name{i} Surname{i}" for i in range(1, 2001, 7))
    assert len(matcher.find(text)) == len(range(1, 2001, 7))


def test_deeply_nested_and_very_long_values_still_match() -> None:
    # 600 values, each a prefix of the next, nest deeper than the regex
    # compiler follows: the matcher falls back to one alternative per value.
    nested = _matcher(*[("a" * i, "PERSON", f"<PERSON_{i}>") for i in range(1, 601)])
    assert _found(nested, "x " + "a" * 300 + " y") == [("a" * 300, "<PERSON_300>")]
    long_value = " ".join(["Word"] * 2000)
    assert _found(_matcher((long_value, "ADDRESS", "<ADDRESS_1>")), f"[{long_value}]") == [
        (long_value, "<ADDRESS_1>")
    ]


def test_words_of_a_known_name_are_found_alone_without_a_token() -> None:
    from vault.matcher import KnownValue, KnownValues

    matcher = KnownValues([KnownValue("Maria de la Cruz J. Keller", "PERSON", "<PERSON_1>"),
                           KnownValue("Keller", "LOCATION", "<LOCATION_1>")])
    text = "maria, cruz, keller, de la, J. and Maria de la Cruz J. Keller"
    assert [(text[s:e], token) for s, e, _, token in matcher.find(text)] == [
        ("maria", None), ("cruz", None), ("keller", "<LOCATION_1>"),
        ("Maria de la Cruz J. Keller", "<PERSON_1>")]
    assert len(matcher) == 2
