"""Find the values a scope already holds, verbatim or loosely, in new text.

When an app sends back text the gateway restored earlier (assistant history),
the detector may not find every value again, or may cut it differently. The
gateway therefore first asks which of the scope's known values occur in the
text and maps them straight back to their tokens, so that history is
re-tokenized byte for byte as it was. Pure: built from decrypted entries, no I/O.

Matching follows the normaliser of each value's family: names match in any
letter case and with any run of whitespace between words; phone-like numbers
with any of `` -./()`` between digits; codes with spaces or hyphens anywhere.
A match never starts or ends inside a word, so "Ann" is not found in "Annual"
nor "john" in "john@example.org".

The words of a known name are found too, as *parts*: a scope that knows
"Rafael Fairweather" finds "Fairweather" written alone, and a part comes back
without a token (``None``), since a part seen alone is a value of its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from vault.normalise import Family, canonical, family_of

# A value is matched as a path of units through a prefix trie compiled into one
# regex, so that each text position tries only the branches for the character
# found there instead of every value of the scope (a scope may hold thousands;
# a plain alternation made a 13 KB text cost 160 ms). A unit is one lower-cased
# character or one of these gaps between characters:
_GAPS = {
    "\x00ws": r"\s+",  # between the words of a name
    "\x00digit": r"[ \t\-./()]*",  # between the digits of a phone or card number
    "\x00code": r"[\s\-]*",  # between the characters of an IBAN-like code
}
_START_WORD = r"(?<![\w@])(?<!\w[.\-])"  # not inside a word, address or dotted name
_START_DIGIT = r"(?<![0-9][ /])"  # not inside a longer number written with gaps
_END_WORD = r"(?![\w@])(?![.\-]\w)"
_END_DIGIT = r"(?![ /][0-9])"


@dataclass(frozen=True, slots=True)
class KnownValue:
    value: str
    entity_type: str
    token: str


Match = tuple[int, int, str, str | None]  # start, end, entity_type, token (None: a part)

# Types whose values are names: their words are found alone too.
NAME_TYPES = frozenset({"PERSON"})
# Words of a name that are no name on their own.
_NOT_PARTS = frozenset({
    "jr", "sr", "ii", "iii", "iv", "phd", "md", "dr", "mr", "mrs", "ms", "mx", "von", "van",
    "der", "den", "del", "della", "de", "da", "di", "du", "la", "le", "bin", "binti", "al",
    "el", "ben", "dos", "das", "st",
})  # fmt: skip
_PART = ""  # the token of a part entry: a name's word, no value of the scope itself


def name_parts(value: str) -> list[str]:
    """The words of a name that are worth finding alone: not initials, not particles."""
    words = [word.strip(".,;:()\"'") for word in value.split()]
    if len(words) < 2:
        return []
    return [w for w in words if len(w) > 2 and w.casefold() not in _NOT_PARTS
            and any(ch.isalpha() for ch in w)]


def _unit(ch: str) -> str:
    lower = ch.lower()
    return lower if len(lower) == 1 else ch


def units_for(family: Family, value: str, normalised: str) -> list[str]:
    """The units of every spelling of ``value`` its family treats as equal.

    Built from the value as written, not its case-folded form (which would turn
    "Straße" into "strasse" and then miss the original spelling); digits come
    from ``normalised``, where they are already plain ASCII.
    """
    if family is Family.DIGITS:
        return _joined(list(normalised), "\x00digit")
    if family is Family.COMPACT:
        return _joined([_unit(ch) for ch in value if not ch.isspace() and ch != "-"], "\x00code")
    if family is Family.EMAIL:
        return [_unit(ch) for ch in value.strip()]
    units: list[str] = []
    for word in value.split():
        if units:
            units.append("\x00ws")
        units.extend(_unit(ch) for ch in word)
    return units


def _joined(units: list[str], gap: str) -> list[str]:
    out: list[str] = []
    for unit in units:
        if out:
            out.append(gap)
        out.append(unit)
    return out


class _Node:
    __slots__ = ("children", "terminal")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.terminal = False


def _unit_regex(unit: str) -> str:
    return _GAPS.get(unit) or re.escape(unit)


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _start_guard(unit: str) -> str:
    if unit in _GAPS or not _is_word(unit[0]):
        return ""
    return _START_WORD + (_START_DIGIT if unit.isdigit() else "")


def _end_guard(unit: str) -> str:
    if not _is_word(unit[-1]):
        return ""
    return _END_WORD + (_END_DIGIT if unit.isdigit() else "")


def _emit(node: _Node, unit: str) -> str:
    """Regex for the subtree below ``node``, reached through ``unit``.

    Longer continuations come before the node's own end, so the engine prefers
    "John Smith" to "John" and backtracks to the shorter value only when the
    longer one does not match. Runs of single children are walked in a loop,
    so only branch points recurse (and nest groups in the regex).
    """
    parts: list[str] = []
    while len(node.children) == 1 and not node.terminal:
        ((unit, node),) = node.children.items()
        parts.append(_unit_regex(unit))
    branches = [_unit_regex(u) + _emit(child, u) for u, child in sorted(node.children.items())]
    if node.terminal:
        branches.append(_end_guard(unit))
    parts.append(branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")")
    return "".join(parts)


def _trie_regex(entries: list[tuple[Family, str, KnownValue]]) -> str:
    root = _Node()
    for family, normalised, entry in entries:
        node = root
        for unit in units_for(family, entry.value, normalised):
            node = node.children.setdefault(unit, _Node())
        node.terminal = True
    return "|".join(
        _start_guard(u) + _unit_regex(u) + _emit(child, u)
        for u, child in sorted(root.children.items())
    )


def _flat_regex(entries: list[tuple[Family, str, KnownValue]]) -> str:
    """One alternative per value, longest first: slower to search, never deep.

    Only for value sets whose trie nests deeper than the regex compiler can
    follow (hundreds of values each a prefix of the next).
    """
    ordered = sorted(entries, key=lambda item: -len(item[1]))
    alternatives = []
    for family, normalised, entry in ordered:
        units = units_for(family, entry.value, normalised)
        body = "".join(map(_unit_regex, units))
        alternatives.append(f"(?:{_start_guard(units[0])}{body}{_end_guard(units[-1])})")
    return "|".join(alternatives)


class KnownValues:
    """An immutable matcher over a scope's values at one moment.

    One regex compiled from a trie of every value's units: at any position the
    longest value wins, and the engine's left-to-right scan gives
    non-overlapping matches. Which value a match is, is decided by normalising
    the matched text again, not by capture groups (a scope may hold thousands
    of values).
    """

    __slots__ = ("_families", "_lookup", "_regex")

    def __init__(self, entries: Iterable[KnownValue]) -> None:
        lookup: dict[tuple[Family, str], KnownValue] = {}
        names: list[KnownValue] = []
        for entry in entries:
            key = canonical(family_of(entry.entity_type), entry.value)
            if key[1]:
                lookup.setdefault(key, entry)
            if entry.entity_type in NAME_TYPES:
                names.append(entry)
        for entry in names:
            for part in name_parts(entry.value):
                lookup.setdefault(canonical(Family.TEXT, part),
                                  KnownValue(part, entry.entity_type, _PART))
        self._lookup = lookup
        self._families = tuple(dict.fromkeys(family for family, _ in lookup))
        keyed = [(family, normalised, entry) for (family, normalised), entry in lookup.items()]
        self._regex: re.Pattern[str] | None = None
        if keyed:
            try:
                self._regex = re.compile(_trie_regex(keyed), re.IGNORECASE)
            except RecursionError:
                self._regex = re.compile(_flat_regex(keyed), re.IGNORECASE)

    def __len__(self) -> int:
        """How many of the scope's values this matcher holds (name parts not counted)."""
        return sum(1 for entry in self._lookup.values() if entry.token != _PART)

    def find(self, text: str) -> list[Match]:
        """(start, end, entity_type, token) for each known value or name part in ``text``."""
        if self._regex is None:
            return []
        found: list[Match] = []
        for match in self._regex.finditer(text):
            identified = self._identify(match.group())
            if identified is not None:
                family, entry = identified
                start = match.start()
                if family is Family.DIGITS:
                    start -= _lead_length(entry.value, text, start)
                found.append((start, match.end(), entry.entity_type, entry.token or None))
        return found

    def _identify(self, span: str) -> tuple[Family, KnownValue] | None:
        for family in self._families:
            key = canonical(family, span)
            entry = self._lookup.get(key)
            if entry is not None:
                return key[0], entry
        return None


def _lead_length(value: str, text: str, start: int) -> int:
    """Length of a number's written lead ("+", "(") just before a digits match.

    A phone stored as "+1 555 0100" matches from its first digit; when the text
    shows the same "+" right before, it belongs to the span, or restoring the
    token would print the "+" twice.
    """
    lead = value[: len(value) - len(value.lstrip("+( "))]
    if lead and not lead[-1].isdigit() and text[max(0, start - len(lead)) : start] == lead:
        return len(lead)
    return 0
