"""What counts as "the same value": the normalisers behind same value -> same token.

A model or a user writes one person as "John Smith", "john smith" or
"John  Smith"; a phone number as "+1 555-0100" or "1 555 0100". Each of those
must map to one token, or the conversation the model sees splits one person
into several. The entity type picks a *family* of normalisation; the family
also tells :mod:`vault.matcher` how loosely a stored value may be matched in
text. Pure functions, no state.
"""

from __future__ import annotations

import unicodedata
from enum import StrEnum


class Family(StrEnum):
    TEXT = "text"  # case-folded, whitespace collapsed: names, places, free text
    EMAIL = "email"  # case-folded, trimmed: addresses, hosts, IPs
    DIGITS = "digits"  # digits only: phone, card, SSN-like numbers
    COMPACT = "compact"  # case-folded, no spaces or hyphens: IBAN-like codes


_FAMILIES: dict[str, Family] = {
    "EMAIL_ADDRESS": Family.EMAIL,
    "URL": Family.EMAIL,
    "IP_ADDRESS": Family.EMAIL,
    "PHONE_NUMBER": Family.DIGITS,
    "CREDIT_CARD": Family.DIGITS,
    "US_SSN": Family.DIGITS,
    "US_ITIN": Family.DIGITS,
    "US_BANK_NUMBER": Family.DIGITS,
    "UK_NHS": Family.DIGITS,
    "IBAN_CODE": Family.COMPACT,
    "US_PASSPORT": Family.COMPACT,
    "US_DRIVER_LICENSE": Family.COMPACT,
    "UK_NINO": Family.COMPACT,
}


def family_of(entity_type: str) -> Family:
    """Types not listed are free text: the safe default for new recognizers."""
    return _FAMILIES.get(entity_type, Family.TEXT)


def _text(value: str) -> str:
    return " ".join(value.casefold().split())


def canonical(family: Family, value: str) -> tuple[Family, str]:
    """The canonical form of ``value`` and the family that really produced it.

    A digits or compact value that normalises to nothing (a detector misfire
    such as a "phone number" without digits) falls back to the text form, so
    that unrelated misfires never collapse into one token.
    """
    nfkc = unicodedata.normalize("NFKC", value)
    if family is Family.EMAIL:
        result = nfkc.strip().casefold()
    elif family is Family.DIGITS:
        result = "".join(ch for ch in nfkc if "0" <= ch <= "9")
    elif family is Family.COMPACT:
        result = "".join(ch for ch in nfkc.casefold() if not ch.isspace() and ch != "-")
    else:
        result = _text(nfkc)
    if result:
        return family, result
    return Family.TEXT, _text(nfkc)


def normalise(entity_type: str, value: str) -> str:
    """The canonical form two spellings of one value of this type share."""
    return canonical(family_of(entity_type), value)[1]
