"""Finish the names the recognizers found: initials, suffixes, neighbours, repeats.

Why: a model that finds "Lara" and "Simonds" in "Lara D. Simonds" leaves
"D." in clear; one that finds "Salambek Melikov" often misses the lone
"Melikov" two sentences later, and one that finds "Bolton" may miss the
"Freddie" before it. Each of these leaves part of a name for the provider to
read. Every rule here starts from a PERSON span some recognizer reported and
only ever adds PERSON spans next to it or equal to it, so it cannot invent a
name where no recognizer saw one:

1. middle initials between two parts of a name ("D." in "Lara D. Simonds");
2. a name suffix right after a name ("Jr.", "PhD", "MD", "III");
3. a capitalised word on the same line right before or after a name that is
   listed as a given name or surname ("Freddie" before a detected "Bolton");
4. every other occurrence, in the same text, of a word of a detected name,
   spelled the same or in capitals ("Melikov" after "Salambek Melikov").

An added span carries the score of the span it grew from (for an initial
between two parts, the lower of the two), so the policy's threshold keeps or
drops it together with its source.

Pure: no I/O, no state; the name list is given by the caller.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Sequence

from spacy.lang.en.stop_words import STOP_WORDS

from policies.recognizers.names import NOT_NAMES
from policies.spans import Span, widen_to_words

PERSON = "PERSON"
_INITIALS_GAP = re.compile(r"[ \t]+(?:[^\W\d_]\.?[ \t]+){1,2}")
_SUFFIX_AFTER = re.compile(
    r",?[ \t]+(?:Jr|Sr|II|III|IV|MD|PhD|DDS|DVM|Esq|CPA|RN)\b\.?", re.UNICODE
)
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_WORD_BEFORE = re.compile(r"(?<![\w'’-])([^\W\d_][\w'’-]*)[ \t]+$")
_WORD_AFTER = re.compile(r"[ \t]+([^\W\d_][\w'’-]*)(?![\w'’-])")
# The end of a repeated word: no letter, digit or hyphen follows, and an
# apostrophe only as a possessive ("Melikov's", "the Smiths'").
_WORD_END = r"(?![\w-])(?!['’](?!s\b)\w)"
# Propagating very short words would also tag unrelated abbreviations.
MIN_REPEATED_WORD = 3


def complete_names(
    text: str, spans: Sequence[Span], is_listed_name: Callable[[str], bool]
) -> list[Span]:
    """PERSON spans to add to ``spans`` so that the names in them are whole.

    ``is_listed_name`` says whether a word (lower-cased) is a known given name
    or surname; common words may be listed too ("Summer", "Price"), which is
    why a neighbour must be capitalised and next to a detected name.
    """
    names = sorted(
        (widen_to_words(text, s) for s in spans if s.entity_type == PERSON and s.end > s.start),
        key=lambda s: (s.start, s.end),
    )
    if not names:
        return []
    added = _initials_between(text, names)
    added += [grown for name in names for grown in _grown(text, name, is_listed_name)]
    added += _repeats(text, names + added, is_listed_name)
    return added


def _initials_between(text: str, names: Sequence[Span]) -> list[Span]:
    bridges = []
    for left, right in itertools.pairwise(names):
        if right.start > left.end and _INITIALS_GAP.fullmatch(text, left.end, right.start):
            bridges.append(Span(PERSON, left.end, right.start, min(left.score, right.score)))
    return bridges


def _grown(text: str, name: Span, is_listed_name: Callable[[str], bool]) -> Iterable[Span]:
    """The suffix after a name, and listed, capitalised names right next to it."""
    suffix = _SUFFIX_AFTER.match(text, name.end)
    if suffix is not None:
        yield Span(PERSON, name.end, suffix.end(), name.score)
    before = _WORD_BEFORE.search(text, max(0, name.start - 40), name.start)
    if before is not None and _name_like(before.group(1), is_listed_name):
        yield Span(PERSON, before.start(1), name.start, name.score)
    after = _WORD_AFTER.match(text, name.end)
    if after is not None and _name_like(after.group(1), is_listed_name):
        yield Span(PERSON, name.end, after.end(1), name.score)


def _name_like(word: str, is_listed_name: Callable[[str], bool]) -> bool:
    return word[0].isupper() and not _common(word) and is_listed_name(word.lower())


def _common(word: str) -> bool:
    """Stop words, months and greetings: never a name on their own."""
    lower = word.lower()
    return lower in STOP_WORDS or lower in NOT_NAMES


def _repeats(
    text: str, names: Sequence[Span], is_listed_name: Callable[[str], bool]
) -> list[Span]:
    """Other occurrences of the words of detected names, with their sources' scores."""
    scores: dict[str, float] = {}
    for name in names:
        for match in _WORD.finditer(text, name.start, name.end):
            word = match.group()
            if (
                len(word) >= MIN_REPEATED_WORD
                and not _common(word)
                and (word[0].isupper() or is_listed_name(word))
            ):
                scores[word] = max(scores.get(word, 0.0), name.score)
    if not scores:
        return []
    spellings = {w: w for w in scores} | {w.upper(): w for w in scores}
    pattern = re.compile(
        r"(?<![\w'’-])(?:" + "|".join(map(re.escape, sorted(spellings, key=len, reverse=True)))
        + ")" + _WORD_END
    )
    covered = [(n.start, n.end) for n in names]
    repeats = []
    for match in pattern.finditer(text):
        if not any(start <= match.start() and match.end() <= end for start, end in covered):
            score = scores[spellings[match.group()]]
            repeats.append(Span(PERSON, match.start(), match.end(), score))
    return repeats
