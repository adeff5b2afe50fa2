"""Overlap resolution: clean, disjoint spans that never cut a value in two."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from policies.spans import Span, resolve, widen_to_words


def spans_of(text: str, spans: list[Span]) -> list[tuple[str, str]]:
    return [(r.span.entity_type, text[r.span.start : r.span.end]) for r in resolve(text, spans)]


def test_email_also_tagged_url_and_location_becomes_one_email() -> None:
    text = "write to anna.lee@example.com today"
    start = text.index("anna")
    end = start + len("anna.lee@example.com")
    found = spans_of(text, [
        Span("EMAIL_ADDRESS", start, end, 1.0),
        Span("URL", start + 9, end, 0.5),
        Span("LOCATION", start + 9, start + 16, 0.85),
    ])
    assert found == [("EMAIL_ADDRESS", "anna.lee@example.com")]


def test_card_containing_a_date_stays_one_card() -> None:
    text = "card 4111 1111 1111 1111 ok"
    start = text.index("4111")
    found = spans_of(text, [
        Span("DATE_TIME", start + 5, start + 14, 0.85),
        Span("CREDIT_CARD", start, start + 19, 1.0),
    ])
    assert found == [("CREDIT_CARD", "4111 1111 1111 1111")]


def test_partial_word_spans_are_widened_so_no_digits_stay_behind() -> None:
    text = "id AB12345678 end"
    assert widen_to_words(text, Span("X", 5, 9, 1.0)) == Span("X", 3, 13, 1.0)
    assert spans_of(text, [Span("X", 5, 9, 1.0)]) == [("X", "AB12345678")]


def test_zero_width_characters_do_not_split_or_stay_behind() -> None:
    text = "hi Jo\u200bhn and \ufeffAnna"
    hn, anna = text.index("hn"), text.index("Anna")
    found = spans_of(text, [Span("PERSON", hn, hn + 2, 0.9), Span("PERSON", anna, anna + 4, 0.9)])
    assert found == [("PERSON", "Jo\u200bhn"), ("PERSON", "\ufeffAnna")]


def test_first_name_and_surname_join_but_not_across_lines() -> None:
    text = "Anna Lee\nBob"
    found = spans_of(text, [
        Span("PERSON", 0, 4, 0.9), Span("PERSON", 5, 8, 0.9), Span("PERSON", 9, 12, 0.9)
    ])
    assert found == [("PERSON", "Anna Lee"), ("PERSON", "Bob")]


def test_different_types_separated_by_space_stay_apart() -> None:
    text = "Anna +44 20 7946 0958"
    found = spans_of(text, [Span("PERSON", 0, 4, 0.9), Span("PHONE_NUMBER", 5, 21, 0.95)])
    assert found == [("PERSON", "Anna"), ("PHONE_NUMBER", "+44 20 7946 0958")]


def test_type_covering_most_of_the_span_wins_over_a_higher_partial_score() -> None:
    text = "at 221B Baker Street now"
    found = spans_of(text, [
        Span("STREET_ADDRESS", 3, 20, 0.8), Span("LOCATION", 8, 20, 0.85)
    ])
    assert found == [("STREET_ADDRESS", "221B Baker Street")]


def test_equal_weight_goes_to_the_more_specific_type() -> None:
    text = "ref 4111111111111111"
    found = spans_of(text, [Span("US_BANK_NUMBER", 4, 20, 1.0), Span("CREDIT_CARD", 4, 20, 1.0)])
    assert found == [("CREDIT_CARD", "4111111111111111")]


def test_address_absorbs_unit_city_and_postcode_across_commas_and_lines() -> None:
    text = "Ship to 12 Main St, Apt. 4\nSpringfield, IL 62704 please"
    parts = ["Main St", "Apt", "4", "Springfield", "IL", "62704"]
    kinds = ["STREET_ADDRESS", "STREET_ADDRESS", "STREET_ADDRESS", "LOCATION", "LOCATION",
             "ZIP_CODE"]
    spans = [Span(kind, text.index(part), text.index(part) + len(part), 0.9)
             for part, kind in zip(parts, kinds, strict=True)]
    found = spans_of(text, spans)
    assert found == [("STREET_ADDRESS", "12 Main St, Apt. 4\nSpringfield, IL 62704")]


def test_a_city_alone_is_not_an_address() -> None:
    text = "Springfield, IL"
    found = spans_of(text, [Span("LOCATION", 0, 11, 0.9), Span("LOCATION", 13, 15, 0.9)])
    assert found == [("LOCATION", "Springfield"), ("LOCATION", "IL")]


def test_house_number_is_not_taken_from_a_previous_value() -> None:
    text = "code A-12 Main Street"
    found = spans_of(text, [Span("ID", 5, 9, 0.9), Span("STREET_ADDRESS", 10, 21, 0.9)])
    assert found == [("ID", "A-12"), ("STREET_ADDRESS", "Main Street")]


def test_empty_and_out_of_range_spans_are_ignored() -> None:
    assert resolve("abc", [Span("X", 2, 2, 1.0), Span("X", 5, 9, 1.0)]) == []


ALPHABET = "ab1 .,-@\n\u200b"
TYPES = ["PERSON", "LOCATION", "STREET_ADDRESS", "ZIP_CODE", "EMAIL_ADDRESS", "DATE_TIME"]


@st.composite
def text_and_spans(draw: st.DrawFn) -> tuple[str, list[Span]]:
    text = draw(st.text(alphabet=ALPHABET, min_size=1, max_size=60))
    count = draw(st.integers(min_value=0, max_value=8))
    spans = []
    for _ in range(count):
        start = draw(st.integers(min_value=0, max_value=len(text) - 1))
        end = draw(st.integers(min_value=start + 1, max_value=len(text)))
        score = draw(st.floats(min_value=0.0, max_value=1.0))
        spans.append(Span(draw(st.sampled_from(TYPES)), start, end, score))
    return text, spans


@given(text_and_spans())
def test_output_is_sorted_disjoint_and_covers_every_input(case: tuple[str, list[Span]]) -> None:
    text, spans = case
    out = [r.span for r in resolve(text, spans)]
    for left, right in itertools.pairwise(out):
        assert left.end <= right.start
    for span in out:
        assert 0 <= span.start < span.end <= len(text)
    for span in spans:
        assert any(o.start <= span.start and span.end <= o.end for o in out)


@given(text_and_spans())
def test_no_output_span_starts_or_ends_inside_a_word(case: tuple[str, list[Span]]) -> None:
    text, spans = case
    for resolved in resolve(text, spans):
        span = resolved.span
        if span.start > 0:
            assert not (text[span.start - 1].isalnum() and text[span.start].isalnum())
        if span.end < len(text):
            assert not (text[span.end - 1].isalnum() and text[span.end].isalnum())


@given(text_and_spans())
def test_resolved_type_and_members_come_from_the_input(case: tuple[str, list[Span]]) -> None:
    text, spans = case
    types = {s.entity_type for s in spans}
    for resolved in resolve(text, spans):
        assert resolved.span.entity_type in resolved.member_types <= types
