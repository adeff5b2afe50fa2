"""Name completion: only PERSON spans grown from names a recognizer found."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from policies.name_completion import complete_names
from policies.spans import Span

LISTED = frozenset({"freddie", "bolton", "summer", "may", "anna"})


def person(text: str, value: str, score: float = 0.8, nth: int = 0) -> Span:
    start = -1
    for _ in range(nth + 1):
        start = text.index(value, start + 1)
    return Span("PERSON", start, start + len(value), score)


def added(text: str, *spans: Span) -> list[tuple[str, float]]:
    return sorted(
        (text[s.start : s.end], s.score) for s in complete_names(text, spans, LISTED.__contains__)
    )


def test_middle_initials_join_the_two_parts_of_a_name() -> None:
    text = "Lara D. Simonds and Maisie A Rees, or Tom J. R. Tolkien"
    spans = [person(text, w) for w in ("Lara", "Simonds", "Maisie", "Rees", "Tom", "Tolkien")]
    assert added(text, *spans) == [(" A ", 0.8), (" D. ", 0.8), (" J. R. ", 0.8)]


def test_an_initial_takes_the_lower_score_of_its_two_sides() -> None:
    text = "Lara D. Simonds"
    assert added(text, person(text, "Lara", 0.9), person(text, "Simonds", 0.45)) == [(" D. ", 0.45)]


def test_words_between_names_are_not_initials() -> None:
    text = "Lara and Simonds; Lara 42 Simonds"
    spans = [person(text, "Lara"), person(text, "Simonds"), person(text, "Lara", nth=1),
             person(text, "Simonds", nth=1)]  # fmt: skip
    assert added(text, *spans) == []


def test_a_name_suffix_belongs_to_the_name() -> None:
    text = "Call Christy Wright, PhD today or Tom Leonard Jr."
    spans = [person(text, "Christy Wright"), person(text, "Tom Leonard")]
    assert added(text, *spans) == [(" Jr.", 0.8), (", PhD", 0.8)]


def test_a_listed_capitalised_neighbour_joins_the_name() -> None:
    text = "assistant to Freddie Bolton"
    assert added(text, person(text, "Bolton")) == [("Freddie ", 0.8)]
    text = "Freddie Bolton\nSummer sale"
    assert added(text, person(text, "Freddie")) == [(" Bolton", 0.8)]


def test_neighbours_that_are_lower_case_stop_words_or_across_a_line_are_not() -> None:
    text = "we met bolton Smith and May Smith,\nFreddie\nSmith"
    spans = [person(text, "Smith"), person(text, "Smith", nth=1), person(text, "Smith", nth=2)]
    assert added(text, *spans) == []


def test_other_occurrences_of_a_found_name_are_names_too() -> None:
    text = "It may be that Melikov was influenced by MELIKOV, sung by Salambek Melikov."
    assert added(text, person(text, "Salambek Melikov", 0.6)) == [
        ("MELIKOV", 0.6), ("Melikov", 0.6)
    ]


def test_repeats_are_whole_words_and_skip_short_and_common_words() -> None:
    text = "The Al Smiths met Smithson and the Smiths' cat; Al said the"
    assert added(text, person(text, "The Al Smiths")) == [("Smiths", 0.8)]


def test_lower_case_text_repeats_only_listed_names() -> None:
    text = "anna wrote to anna's friend, the bolton twins"
    assert added(text, person(text, "anna"), person(text, "twins")) == [("anna", 0.8)]


def test_nothing_without_a_person_span() -> None:
    text = "Lara D. Simonds"
    assert complete_names(text, [Span("LOCATION", 0, 4, 0.9)], LISTED.__contains__) == []


@given(
    st.text(alphabet="ab AB.\n,", max_size=40),
    st.lists(st.tuples(st.integers(0, 40), st.integers(1, 8), st.floats(0, 1)), max_size=5),
)
def test_added_spans_are_person_spans_inside_the_text(
    text: str, raw: list[tuple[int, int, float]]
) -> None:
    spans = [Span("PERSON", s, min(s + n, len(text)), score) for s, n, score in raw]
    scores = {s.score for s in spans}
    for span in complete_names(text, spans, LISTED.__contains__):
        assert span.entity_type == "PERSON"
        assert 0 <= span.start < span.end <= len(text)
        assert span.score in scores
