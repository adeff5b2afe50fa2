"""Overlap resolution: many recognizers' raw spans -> clean, disjoint spans.

Recognizers disagree and overlap: an email is also a URL and holds a
"location"; a card number contains something that looks like a date; the NER
model and the PII tagger both find the same name with different edges. If
each span were tokenized on its own, one token would cut a value in two and
leave digits or letters of it behind in clear. So before anything is
tokenized:

1. every span is widened to whole words (a tagger sub-word span never leaves
   the rest of the word behind);
2. spans that overlap or touch, and same-type spans separated only by
   spaces on one line (a first name and a surname), are merged into one span;
3. the merged span takes the type that best explains it: the type whose spans
   cover most of it, weighted by their score; ties go to the more specific
   type (a checksum-validated card beats a date), then to the name;
4. a street address absorbs the city, region and postcode that follow it
   across commas or a line break, so an address becomes one token.

Pure: no I/O, no state, tested directly and by properties.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# How much a type says about a value when two types explain a span equally
# well. Checksum-validated identifiers are the most specific; broad NER labels
# the least. Types not listed (national IDs, secrets, ...) rank as DEFAULT.
SPECIFICITY: Mapping[str, int] = {
    "CREDIT_CARD": 100,
    "IBAN_CODE": 100,
    "US_SSN": 95,
    "CRYPTO": 95,
    "SECRET": 95,
    "EMAIL_ADDRESS": 90,
    "IP_ADDRESS": 90,
    "PHONE_NUMBER": 80,
    "DATE_OF_BIRTH": 75,
    "URL": 70,
    "STREET_ADDRESS": 70,
    "PERSON": 60,
    "ZIP_CODE": 55,
    "LOCATION": 50,
    "NRP": 30,
    "ORGANIZATION": 25,
    "DATE_TIME": 20,
}
DEFAULT_SPECIFICITY = 85

STREET_ADDRESS = "STREET_ADDRESS"
# Types that continue an address when they follow a street address.
ADDRESS_PARTS = frozenset({STREET_ADDRESS, "LOCATION", "ZIP_CODE"})
MAX_ADDRESS_GLUE = 12
_HOUSE_NUMBER_BEFORE = re.compile(r"(?<![\w.,-])\d{1,6}[A-Za-z]?[ \t]+$")


@dataclass(frozen=True, slots=True)
class Span:
    """A raw or resolved detection: offsets into the text, type and confidence."""

    entity_type: str
    start: int
    end: int
    score: float


@dataclass(frozen=True, slots=True)
class Resolved:
    """A merged span and every type that contributed to it."""

    span: Span
    member_types: frozenset[str]


def specificity(entity_type: str) -> int:
    return SPECIFICITY.get(entity_type, DEFAULT_SPECIFICITY)


def widen_to_words(text: str, span: Span) -> Span:
    """Grow ``span`` so that it neither starts nor ends inside a word or number.

    Invisible format characters (zero-width space, joiners, BOM, soft hyphen)
    count as part of the word they touch: "Jo\u200bhn" is one word, so a
    zero-width character can neither split a name nor stay behind.
    """
    start, end = max(0, span.start), min(len(text), span.end)
    if start >= end:
        return Span(span.entity_type, start, end, span.score)
    while start > 0 and _wordish(text[start - 1]) and _wordish(text[start]):
        start -= 1
    while end < len(text) and _wordish(text[end - 1]) and _wordish(text[end]):
        end += 1
    return Span(span.entity_type, start, end, span.score)


def _wordish(char: str) -> bool:
    return char.isalnum() or unicodedata.category(char) == "Cf"


def resolve(text: str, spans: Iterable[Span]) -> list[Resolved]:
    """Merge overlapping, touching and same-type neighbouring spans; pick a type each."""
    widened = sorted(
        (widen_to_words(text, s) for s in spans if s.end > s.start),
        key=lambda s: (s.start, s.end),
    )
    widened = [s for s in widened if s.end > s.start]
    clusters: list[list[Span]] = []
    cluster_end = -1
    for span in widened:
        if clusters and _joins(text, clusters[-1], cluster_end, span):
            clusters[-1].append(span)
            cluster_end = max(cluster_end, span.end)
        else:
            clusters.append([span])
            cluster_end = span.end
    return _chain_addresses(text, [_merge(cluster) for cluster in clusters])


def _chain_addresses(text: str, resolved: list[Resolved]) -> list[Resolved]:
    """Join a street address with the city, region and postcode that follow it.

    "221B Baker Street, London NW1 6XE" is one address; the tagger and NER
    report it as street, city and postcode, and tokenizing those one by one
    would leave the commas and line breaks between them and three tokens
    where the reader sees one address.
    """
    chained: list[Resolved] = []
    for original in resolved:
        previous = chained[-1] if chained else None
        item = _with_house_number(text, original, previous.span.end if previous else 0)
        if (
            previous is not None
            and previous.span.entity_type == STREET_ADDRESS
            and item.span.entity_type in ADDRESS_PARTS
            and _address_glue(text[previous.span.end : item.span.start])
        ):
            span = Span(
                STREET_ADDRESS,
                previous.span.start,
                item.span.end,
                max(previous.span.score, item.span.score),
            )
            chained[-1] = Resolved(span, previous.member_types | item.member_types)
        else:
            chained.append(item)
    return chained


def _with_house_number(text: str, item: Resolved, floor: int) -> Resolved:
    """A street address also takes the house number written just before it.

    ``floor`` is where the previous span ends: the number must lie after it.
    """
    span = item.span
    if span.entity_type != STREET_ADDRESS:
        return item
    match = _HOUSE_NUMBER_BEFORE.search(text, max(floor, span.start - 12), span.start)
    if match is None:
        return item
    return Resolved(Span(STREET_ADDRESS, match.start(), span.end, span.score), item.member_types)


def _address_glue(gap: str) -> bool:
    """Only separators an address uses between its parts: spaces, commas, line breaks."""
    return len(gap) <= MAX_ADDRESS_GLUE and gap.count("\n") <= 1 and not gap.strip(" \t\r\n,.;")


def _joins(text: str, cluster: list[Span], cluster_end: int, span: Span) -> bool:
    if span.start <= cluster_end:
        return True
    gap = text[cluster_end : span.start]
    if not gap.isspace() or "\n" in gap:
        return False
    return any(member.entity_type == span.entity_type for member in cluster)


def _merge(cluster: list[Span]) -> Resolved:
    start = min(s.start for s in cluster)
    end = max(s.end for s in cluster)
    by_type: dict[str, list[Span]] = {}
    for span in cluster:
        by_type.setdefault(span.entity_type, []).append(span)

    def weight(entity_type: str) -> tuple[float, int, str]:
        members = by_type[entity_type]
        covered = _covered(members) / (end - start)
        return (covered * max(s.score for s in members), specificity(entity_type), entity_type)

    best = max(by_type, key=weight)
    score = max(s.score for s in by_type[best])
    return Resolved(Span(best, start, end, score), frozenset(by_type))


def _covered(spans: list[Span]) -> int:
    """Characters covered by the union of ``spans``."""
    total = 0
    reach = -1
    for span in sorted(spans, key=lambda s: s.start):
        if span.end <= reach:
            continue
        total += span.end - max(span.start, reach)
        reach = span.end
    return total
