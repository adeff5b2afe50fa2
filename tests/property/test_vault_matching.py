"""Properties of the known-values matcher and the normaliser it follows."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from vault.matcher import KnownValue, KnownValues
from vault.normalise import normalise

# Values and filler words use disjoint letters, so filler can never complete a value.
word = st.text("abcdefg", min_size=1, max_size=6).map(str.capitalize)
name = st.lists(word, min_size=1, max_size=3).map(" ".join)
filler_word = st.text("uvwxyz.,!?", min_size=1, max_size=8)
spacing = st.sampled_from([" ", "  ", "\n", "\t "])


@given(
    names=st.lists(name, min_size=1, max_size=10, unique_by=lambda n: normalise("PERSON", n)),
    picks=st.lists(st.tuples(st.integers(0, 9), st.booleans(), filler_word, spacing)),
)
def test_every_written_value_is_found_with_its_token(
    names: list[str], picks: list[tuple[int, bool, str, str]]
) -> None:
    tokens = [f"<PERSON_{i + 1}>" for i in range(len(names))]
    matcher = KnownValues(KnownValue(n, "PERSON", t) for n, t in zip(names, tokens, strict=True))
    text, expected = "", []
    for pick, shout, filler, gap in picks:
        text += filler + " "  # filler between values keeps a longer value from spanning two
        if pick < len(names):
            written = gap.join(names[pick].split())
            written = written.upper() if shout else written.lower()
            expected.append((len(text), len(text) + len(written), tokens[pick]))
            text += written + " "
    assert [(s, e, t) for s, e, _, t in matcher.find(text)] == expected


@given(st.text("abcXYZ \t\n", min_size=1))
def test_text_normalisation_ignores_case_and_spacing(text: str) -> None:
    reflowed = "  ".join(text.upper().split())
    assert normalise("PERSON", text) == normalise("PERSON", reflowed)


@given(st.lists(st.integers(0, 9), min_size=1, max_size=15), st.text(" -.()/", max_size=3))
def test_digits_normalisation_ignores_separators(digits: list[int], separator: str) -> None:
    plain = "".join(map(str, digits))
    assert normalise("PHONE_NUMBER", separator.join(plain)) == plain
