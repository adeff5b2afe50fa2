"""Dates of birth: a date is personal when the text says it is a birth date.

Why a separate type: most dates in prompts (deadlines, release dates,
"yesterday") are not personal, and tokenizing them would blind the model to
schedules, so the default policy allows DATE_TIME. A date of birth is a
direct identifier, so it gets its own type that the policy tokenizes. The
patterns match full dates only (with a year); on their own they score below
the default threshold, and Presidio's context enhancer lifts them above it
when a word such as "born", "birthday" or "DOB" stands just before.
"""

from __future__ import annotations

from presidio_analyzer import Pattern, PatternRecognizer

ENTITY = "DATE_OF_BIRTH"
BASE_SCORE = 0.3
CONTEXT = ["born", "birth", "birthday", "birthdate", "dob", "d.o.b", "geboren", "geb", "née",
           "nee", "date of birth"]

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)\d{2}"
_NUM_MONTH = r"(?:0?[1-9]|1[0-2])"

PATTERNS = [
    Pattern("dob day.month.year", rf"\b{_DAY}[./\-]{_NUM_MONTH}[./\-]{_YEAR}\b", BASE_SCORE),
    Pattern("dob month/day/year", rf"\b{_NUM_MONTH}/{_DAY}/{_YEAR}\b", BASE_SCORE),
    Pattern("dob iso", rf"\b{_YEAR}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])\b", BASE_SCORE),
    Pattern("dob month day year", rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}\b", BASE_SCORE),
    Pattern("dob day month year", rf"\b{_DAY}(?:\s+of)?\s+{_MONTH},?\s+{_YEAR}\b", BASE_SCORE),
]


class DateOfBirthRecognizer(PatternRecognizer):
    """Full dates, typed DATE_OF_BIRTH, that need a birth context word to count."""

    NAME = "DateOfBirthRecognizer"

    def __init__(self) -> None:
        super().__init__(
            supported_entity=ENTITY,
            name=self.NAME,
            patterns=PATTERNS,
            context=CONTEXT,
        )
