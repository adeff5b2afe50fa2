"""Payment card numbers, checked with the Luhn checksum.

Presidio's card pattern predates Mastercard's 2221-2720 range and stops at 16
digits, so it misses today's 2-series Mastercards and 19-digit Visa and
UnionPay numbers. This recognizer keeps Presidio's Luhn validation and
context words and widens the pattern: a known issuer prefix, then 13 to 19
digits (12 for Maestro) in any grouping of spaces or dashes. A Luhn pass scores 1.0; a fail is
dropped, so an order number that merely looks like a card is not reported.
"""

from __future__ import annotations

from presidio_analyzer import Pattern
from presidio_analyzer.predefined_recognizers import CreditCardRecognizer

# Visa 4, Mastercard 51-55 and 2221-2720, Amex 34/37, Diners 30/36/38/39,
# Discover/UnionPay/Maestro 6, JCB 35 and the older 15-digit 2131/1800, UATP 1.
_ISSUER = (
    r"(?:4\d{3}|5[1-5]\d{2}|2(?:131|2[2-9]\d|[3-6]\d{2}|7[01]\d|720)|3\d{3}|6\d{3}|1\d{3})"
)
# Maestro also issues 12-digit numbers.
_MAESTRO = r"(?:50\d{2}|5[6-8]\d{2}|6304|6759|676[1-3])"
PATTERNS = [
    Pattern("card 13-19 digits", rf"\b{_ISSUER}(?:[- ]?\d){{9,15}}\b", 0.3),
    Pattern("maestro 12-19 digits", rf"\b{_MAESTRO}(?:[- ]?\d){{8,15}}\b", 0.3),
]


class CardNumberRecognizer(CreditCardRecognizer):
    NAME = "CreditCardRecognizer"

    def __init__(self) -> None:
        super().__init__(patterns=PATTERNS, name=self.NAME)
