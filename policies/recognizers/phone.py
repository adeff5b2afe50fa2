"""Phone numbers of many countries, checked with Google's libphonenumber rules.

Why not Presidio's PhoneRecognizer: it runs the ``phonenumbers`` matcher once
per region for a handful of regions, which is both slow (most of Presidio's
time on plain text) and blind to numbers written the way other countries
write them. Here a cheap pattern finds digit runs that could be a phone
number, and ``phonenumbers`` then decides, trying international form first and
then many national plans. The score says how sure the shape is:

    +CC / 00CC and valid for that country         0.95
    +CC / 00CC and of a possible length           0.70
    written like a phone number, valid somewhere  0.85
      ((area) code, 3+ digit groups, an extension,
       or a 0-led trunk/area group: "030 1234567")
    written like a phone number, possible length  0.60
    bare digit run valid in some plan             0.40

    + 0.35 when a context word ("phone", "call", "fax", ...) stands within 40
    characters before the number, so a bare run then passes the threshold.

Dates, year ranges, IPv4 addresses, dotted version numbers and runs of more
than 15 digits (cards, IBANs) are never phone numbers.
"""

from __future__ import annotations

import re

import phonenumbers
from presidio_analyzer import AnalysisExplanation, LocalRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

ENTITY = "PHONE_NUMBER"
# National numbering plans tried for numbers written without a country code,
# most common in our traffic first; the first plan that accepts the number wins.
REGIONS = (
    "US", "GB", "DE", "FR", "IT", "ES", "NL", "BE", "CH", "AT", "IE", "PT", "SE", "NO",
    "DK", "FI", "PL", "CZ", "GR", "RO", "HU", "IN", "CA", "AU", "NZ", "ZA", "NG", "KE",
    "BR", "MX", "AR", "JP", "KR", "CN", "SG", "PH", "TR", "IL", "AE", "RU", "UA",
)  # fmt: skip
# Words that, just before a number, say it is a phone number. Matched on the
# raw text here rather than by Presidio's context enhancer, which skips stop
# words, and "call" is one ("call me on 4155550132").
CONTEXT = ("phone", "telephone", "tel", "mobile", "cell", "cellphone", "call", "fax", "contact",
           "whatsapp", "reach", "dial", "landline", "hotline", "desk", "office", "home", "work",
           "ring", "text me", "sms")
CONTEXT_BOOST = 0.35
CONTEXT_WINDOW = 40
# A context word may carry a short ending ("calls", "calling") but not more
# ("telling", "homework").
_CONTEXT_RE = re.compile(r"\b(?:" + "|".join(CONTEXT) + r")\w{0,3}\b", re.IGNORECASE)

_CANDIDATE = re.compile(
    r"(?<![\w+.\-/])"
    r"(?P<number>(?:(?:\+|00)[ \t]?)?(?:\(\d{1,5}\)[ \t.\-]?)?"
    r"\d(?:[ \t.\-/]?(?:\(\d{1,4}\)[ \t.\-]?)?\d){5,20})"
    r"(?P<ext>[ \t]*(?:x|ext\.?|extension)[ \t]*\d{1,6})?"
    r"(?![\w])",
    re.IGNORECASE,
)
_IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_GROUPS = re.compile(r"\d+")


class PhoneNumberRecognizer(LocalRecognizer):
    """Finds phone numbers; see the module docstring for the scores."""

    NAME = "PhoneNumberRecognizer"

    def __init__(self) -> None:
        super().__init__(supported_entities=[ENTITY], name=self.NAME)

    def load(self) -> None:
        """Read the numbering plans of ``REGIONS`` now rather than on first use.

        ``phonenumbers`` loads a region's metadata and compiles its patterns
        the first time a number is checked against it: about 0.05 s of CPU
        that would otherwise fall on the first requests with a number in them.
        """
        for region in REGIONS:
            number = _parse("030 1234567", region)
            if number is not None:
                phonenumbers.is_valid_number(number)

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        if ENTITY not in entities:
            return []
        results = []
        for match in _CANDIDATE.finditer(text):
            score = phone_score(match["number"].strip(), has_extension=match["ext"] is not None)
            if score == 0.0:
                continue
            before = text[max(0, match.start() - CONTEXT_WINDOW) : match.start()]
            if _CONTEXT_RE.search(before):
                score = min(1.0, score + CONTEXT_BOOST)
            results.append(RecognizerResult(
                ENTITY, match.start(), match.end(), score,
                AnalysisExplanation(recognizer=self.NAME, original_score=score),
                # Context is already scored here; Presidio must not add it again.
                {RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY: True},
            ))
        return results


def phone_score(candidate: str, *, has_extension: bool = False) -> float:
    """Confidence that ``candidate`` (no extension) is a phone number; 0.0 if it is not."""
    groups = _GROUPS.findall(candidate)
    digits = "".join(groups)
    if not 7 <= len(digits) <= 15 or _not_a_phone(candidate, groups):
        return 0.0
    if candidate.startswith(("+", "00")):
        international = "+" + candidate.lstrip("+").removeprefix("00").lstrip()
        number = _parse(international, None)
        if number is None:
            return 0.0
        if phonenumbers.is_valid_number(number):
            return 0.95
        return 0.7 if phonenumbers.is_possible_number(number) else 0.0
    trunk_prefixed = len(groups) >= 2 and groups[0].startswith("0") and len(groups[0]) <= 5
    formatted = candidate.startswith("(") or len(groups) >= 3 or has_extension or trunk_prefixed
    valid = any(
        (number := _parse(candidate, region)) is not None and phonenumbers.is_valid_number(number)
        for region in REGIONS
    )
    if formatted:
        return 0.85 if valid else 0.6
    return 0.4 if valid else 0.0


def _not_a_phone(candidate: str, groups: list[str]) -> bool:
    """Dates, IPv4 addresses, version numbers and OIDs share a phone's shape."""
    if _IPV4.fullmatch(candidate) or len(groups) > 6 or max(len(g) for g in groups) < 2:
        return True
    if len(groups) == 2 and all(len(g) == 4 and g[:2] in ("19", "20") for g in groups):
        return True  # a range of years: 2019-2023
    if "." in candidate and len(groups) >= 4 and any(len(g) == 1 for g in groups):
        return "+" not in candidate and not candidate.startswith("(")
    if len(groups) == 3 and sum(len(g) == 4 for g in groups) == 1:
        year_first = len(groups[0]) == 4 and all(len(g) <= 2 for g in groups[1:])
        year_last = len(groups[2]) == 4 and all(len(g) <= 2 for g in groups[:2])
        return year_first or year_last
    return False


def _parse(candidate: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(candidate, region)
    except phonenumbers.NumberParseException:
        return None
