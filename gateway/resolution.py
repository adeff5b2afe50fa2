"""One overlap resolution for everything that marks a span of a text (pure, no I/O).

Three sources mark spans: the detector's findings (protected or allowed, with
the policy's action), the values the scope already holds (found verbatim or
in another case or spacing, each with its token), and token-shaped text the
app itself wrote. Resolving them together, not one after another, is what
keeps a value whole:

- a known value (or a word of a known name, found alone) is used only on word
  boundaries and never inside a larger
  entity: a surname the scope knows, inside an e-mail address the detector
  found, leaves the address one value; an allowed entity (a URL, an
  organisation) that holds a known or protected value is protected whole;
- a known value that contains what the detector found wins (a full name
  seen before keeps its one token when the detector saw only a part);
- spans that overlap without one containing the other, or the same type
  separated only by spaces ("Kwame" found, "Fairweather" known), become one
  new value, so no token cuts a value and leaves part of it outside;
- every span gets its type's policy action, known or new; a merged span the
  strictest of its members'.

Token-shaped text the app wrote ("what does <PERSON_1> mean?") is escaped:
it becomes a value of its own (type ``LITERAL``), so the model cannot take it
for one of the scope's tokens and the app gets it back exactly as sent.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from policies import Action, Finding
from policies.spans import specificity
from vault.tokens import find_tokens

LITERAL = "LITERAL"
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\n]\s*|^\s+)$")


@dataclass(frozen=True, slots=True)
class KnownSpan:
    """A value the scope holds (its token), or a word of a name it holds (no token)."""

    start: int
    end: int
    entity_type: str
    token: str | None


@dataclass(frozen=True, slots=True)
class Decision:
    """What becomes of ``text[start:end]``: a known token, a new value, a redaction..."""

    start: int
    end: int
    entity_type: str
    action: Action
    token: str | None = None  # the scope's token when the span is a known value


@dataclass(frozen=True, slots=True)
class _Member:
    start: int
    end: int
    entity_type: str
    action: Action
    known: bool  # the scope holds it (or it is a word of a name the scope holds)
    token: str | None  # the scope's token, for a known value


ActionOf = Callable[[str], Action]
IsCommonWord = Callable[[str], bool]


def resolve(text: str, findings: Sequence[Finding], known: Sequence[KnownSpan], *,
            action_of: ActionOf, common_word: IsCommonWord) -> list[Decision]:
    """Disjoint decisions, sorted by start, for one analysed text."""
    literals = [(m.start(), m.end()) for m in find_tokens(text)]
    members = [_Member(f.start, f.end, f.entity_type, f.action, False, None)
               for finding in findings for f in _outside(finding, literals)]
    confirmed = [m for m in members if m.action is not Action.ALLOW]
    for span in known:
        if _overlaps(span.start, span.end, literals):
            continue
        action = action_of(span.entity_type)
        if not _overlaps(span.start, span.end, [(m.start, m.end) for m in confirmed]) and (
                not _plausible(text, span, common_word)):
            continue
        members.append(_Member(span.start, span.end, span.entity_type, action, True, span.token))
    decisions = [d for cluster in _clusters(text, members) if (d := _decide(text, cluster))]
    decisions += [Decision(start, end, LITERAL, Action.TOKENIZE) for start, end in literals]
    return sorted(decisions, key=lambda d: d.start)


def _outside(finding: Finding, literals: list[tuple[int, int]]) -> list[Finding]:
    """The parts of a finding that lie outside the app's own token-shaped text."""
    pieces = [(finding.start, finding.end)]
    for start, end in literals:
        pieces = [part for lo, hi in pieces
                  for part in ((lo, min(hi, start)), (max(lo, end), hi)) if part[0] < part[1]]
    return [Finding(finding.entity_type, lo, hi, finding.score, finding.action)
            for lo, hi in pieces]


def _overlaps(start: int, end: int, spans: Sequence[tuple[int, int]]) -> bool:
    return any(start < hi and lo < end for lo, hi in spans)


def _plausible(text: str, span: KnownSpan, common_word: IsCommonWord) -> bool:
    """Whether an unconfirmed known value found here is that value, not a common word.

    A scope that once saw a person called Will or Mark must not tokenize
    every "will" and "mark" it meets afterwards: a single common word is taken
    for the known value only where it is written as a name (capitalised,
    not merely because it opens a sentence).
    """
    written = text[span.start:span.end]
    if any(ch.isspace() for ch in written) or not any(ch.isalpha() for ch in written):
        return True
    if not common_word(written):
        return True
    opens_sentence = _SENTENCE_START.search(text, 0, span.start) is not None
    return written[:1].isupper() and not written.isupper() and not opens_sentence


def _clusters(text: str, members: list[_Member]) -> list[list[_Member]]:
    clusters: list[list[_Member]] = []
    reach = -1
    for member in sorted(members, key=lambda m: (m.start, -m.end)):
        if clusters and _joins(text, clusters[-1], reach, member):
            clusters[-1].append(member)
            reach = max(reach, member.end)
        else:
            clusters.append([member])
            reach = member.end
    return clusters


def _joins(text: str, cluster: list[_Member], reach: int, member: _Member) -> bool:
    if member.start < reach:
        return True
    gap = text[reach:member.start]
    if not gap:  # touching: one value, or a token would leave its neighbour's edge
        return True
    if not gap.isspace() or "\n" in gap:
        return False
    last = max(cluster, key=lambda m: m.end)
    return (last.entity_type == member.entity_type and last.action is not Action.ALLOW
            and member.action is not Action.ALLOW and (last.known or member.known))


def _decide(text: str, cluster: list[_Member]) -> Decision | None:
    protected = [m for m in cluster if m.action is not Action.ALLOW]
    if not protected:
        return None
    action = max((m.action for m in protected), key=lambda a: a.strictness)
    start = min(m.start for m in cluster)
    end = max(m.end for m in cluster)
    whole = [m for m in cluster if m.start == start and m.end == end]
    if whole:
        chosen = max(whole, key=lambda m: (m.token is not None, specificity(m.entity_type)))
        return Decision(start, end, chosen.entity_type, action, chosen.token)
    widest = max(cluster, key=lambda m: (m.end - m.start, specificity(m.entity_type)))
    return Decision(start, end, widest.entity_type, action)
