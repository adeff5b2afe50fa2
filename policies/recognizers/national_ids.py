"""EU and UK national identifiers, each kept only when its official check accepts it.

Why checksums: a bare 9- or 11-digit number in a prompt is far more often an
order number, an invoice or a phone number than a tax ID. A pattern alone would
tokenise all of them; a failed check digit drops the match instead. The checks
come from python-stdnum, which tracks each country's published rules (the 2016
German digit-repetition rule, Corsican INSEE departments, Italian omocodia),
rather than from hand-copied algorithms. Patterns and context words are reused
from Presidio's own recognizers where Presidio ships one.

Why the score depends on the check's strength: a mod-97 key passes a random
number once in 97 tries, a mod-10 digit once in 10. So every identifier is one
`IdSpec` (data: entity type, patterns, context words, base score, check), and one
`ChecksummedIdRecognizer` class runs them all:

    base score   STRONG 0.85  check rejects >= 96% of random input (mod 97, mod 31, letters)
                 MEDIUM 0.60  about 1 in 23 random inputs passes, or format-only letters
                 WEAK   0.35  digits only, mod 10 / mod 11
    + 0.40 when a context word ("BSN", "Steuer-ID", "codice fiscale") sits near
      the match, capped at 1.0;
    - 0.25 when instead a business word ("order", "invoice", "tracking") does.

Why context is read from the raw text: Presidio's context enhancer compares
spaCy lemmas, and the engine may run spaCy without its lemmatizer for speed, in
which case the enhancer silently matches nothing. Each result is therefore
marked as already context-scored so the enhancer leaves it alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import regex
from presidio_analyzer import EntityRecognizer, Pattern, PatternRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_analyzer.predefined_recognizers import (
    DeTaxIdRecognizer,
    EsNieRecognizer,
    EsNifRecognizer,
    FiPersonalIdentityCodeRecognizer,
    ItFiscalCodeRecognizer,
    PlPeselRecognizer,
    SePersonnummerRecognizer,
    UkNinoRecognizer,
)
from stdnum.be import nn as be_nn
from stdnum.de import idnr as de_idnr
from stdnum.es import dni as es_dni
from stdnum.es import nie as es_nie
from stdnum.fi import hetu as fi_hetu
from stdnum.fr import nir as fr_nir
from stdnum.ie import pps as ie_pps
from stdnum.it import codicefiscale as it_cf
from stdnum.nl import bsn as nl_bsn
from stdnum.pl import pesel as pl_pesel
from stdnum.se import personnummer as se_pnr

STRONG = 0.85
MEDIUM = 0.6
WEAK = 0.35
CONTEXT_BOOST = 0.4
LOOKALIKE_PENALTY = 0.25
# Words that say a number is a business reference, not a person's identifier.
LOOKALIKE_WORDS = ("order", "invoice", "tracking", "parcel", "sku", "product", "serial",
                   "ticket", "reference", "ref", "booking", "part no")
CONTEXT_BEFORE = 60  # characters scanned for a context word before the match
CONTEXT_AFTER = 20  # ... and after it ("12345678Z (DNI)")


@dataclass(frozen=True, slots=True)
class IdSpec:
    """One identifier as data; `check` receives the matched text as written."""

    entity: str
    name: str
    patterns: tuple[str, ...]
    context: tuple[str, ...]
    score: float
    check: Callable[[str], bool]


def context_regex(words: tuple[str, ...]) -> regex.Pattern[str]:
    """Words start at a word boundary; short ones ("nie", "cf") must also end at one,
    so "cf" does not fire inside "ascfoo" while "steuer-id" still matches "steuer-idnr"."""
    parts = [
        regex.escape(w.lower()) + (r"\b" if len(w) <= 4 and w[-1].isalnum() else "")
        for w in words
    ]
    return regex.compile(r"\b(?:" + "|".join(parts) + ")")


class ChecksummedIdRecognizer(PatternRecognizer):
    """A PatternRecognizer whose matches survive only if `spec.check` accepts them."""

    def __init__(self, spec: IdSpec) -> None:
        self.spec = spec
        self._context_re = context_regex(spec.context)
        self._lookalike_re = context_regex(LOOKALIKE_WORDS)
        # One search over all patterns first: most texts hold no candidate, and
        # Presidio's per-pattern bookkeeping costs more than the search itself.
        self._any_re = regex.compile("|".join(f"(?:{rx})" for rx in spec.patterns), regex.I)
        patterns = [
            Pattern(f"{spec.name} {i}", rx, spec.score) for i, rx in enumerate(spec.patterns)
        ]
        super().__init__(
            supported_entity=spec.entity,
            name=spec.name,
            supported_language="en",
            patterns=patterns,
            context=list(spec.context),
        )

    def validate_result(self, pattern_text: str) -> bool:
        return self.spec.check(pattern_text)

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
        regex_flags: int | None = None,
    ) -> list[RecognizerResult]:
        if not self._any_re.search(text):
            return []
        results: list[RecognizerResult] = super().analyze(
            text, entities, nlp_artifacts, regex_flags
        )
        for result in results:
            window = text[max(0, result.start - CONTEXT_BEFORE) : result.start]
            window += " " + text[result.end : result.end + CONTEXT_AFTER]
            result.score = self._score(window.lower())
            result.recognition_metadata[RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY] = True
        return results

    def _score(self, window: str) -> float:
        if self._context_re.search(window):
            return min(EntityRecognizer.MAX_SCORE, self.spec.score + CONTEXT_BOOST)
        if self._lookalike_re.search(window):
            return self.spec.score - LOOKALIKE_PENALTY
        return self.spec.score


def _stdnum(is_valid: Callable[[str], bool]) -> Callable[[str], bool]:
    """stdnum expects upper-case letters; the patterns match case-insensitively."""
    return lambda text: is_valid(text.upper())


def _nino_ok(text: str) -> bool:
    """A NINO has no check digit; Presidio's pattern already enforces the HMRC prefix
    rules (no D/F/I/Q/U/V first, no O second, no BG/GB/NK/KN/NT/TN/ZZ). What is left
    to reject is mixed case, which no document prints ("Ab123456c")."""
    letters = "".join(c for c in text if c.isalpha())
    return letters.isupper() or letters.islower()


def _regexes(patterns: list[Pattern]) -> tuple[str, ...]:
    return tuple(p.regex for p in patterns)


def _specs() -> list[IdSpec]:
    nino_context = (*UkNinoRecognizer.CONTEXT, "insurance number", "nin")
    return [
        IdSpec(
            "DE_TAX_ID", "DeTaxIdChecksumRecognizer",
            (*_regexes(DeTaxIdRecognizer.PATTERNS), r"\b[1-9]\d \d{3} \d{3} \d{3}\b"),
            (*DeTaxIdRecognizer.CONTEXT, "tax id", "tax identification", "identifikationsnummer"),
            MEDIUM, _stdnum(de_idnr.is_valid),
        ),
        IdSpec(
            "FR_INSEE", "FrInseeRecognizer",
            (r"\b[1-478][ .]?\d\d[ .]?(?:0[1-9]|1[0-2]|[2-9]\d)[ .]?(?:\d\d|2[AB])[ .]?\d{3}"
             r"[ .]?\d{3}[ .]?\d\d\b",),
            ("insee", "nir", "sécurité sociale", "securite sociale", "social security",
             "numéro de sécu", "carte vitale", "n° ss"),
            STRONG, _stdnum(fr_nir.is_valid),
        ),
        IdSpec(
            "ES_NIF", "EsDniChecksumRecognizer",
            (r"\b\d{8}[- ]?[A-Z]\b",),
            (*EsNifRecognizer.CONTEXT, "dni", "documento", "identity card", "national id"),
            MEDIUM, _stdnum(es_dni.is_valid),
        ),
        IdSpec(
            "ES_NIE", "EsNieChecksumRecognizer",
            (r"\b[XYZ][- ]?\d{7}[- ]?[A-Z]\b",),
            (*EsNieRecognizer.CONTEXT, "extranjero", "foreigner", "residence"),
            STRONG, _stdnum(es_nie.is_valid),
        ),
        IdSpec(
            "IT_FISCAL_CODE", "ItFiscalCodeChecksumRecognizer",
            tuple(rf"\b{rx}\b" for rx in _regexes(ItFiscalCodeRecognizer.PATTERNS)),
            (*ItFiscalCodeRecognizer.CONTEXT, "fiscal code", "tax code", "c.f."),
            STRONG, _stdnum(it_cf.is_valid),
        ),
        IdSpec(
            "NL_BSN", "NlBsnRecognizer",
            (r"\b\d{9}\b", r"\b\d{4}\.\d\d\.\d{3}\b", r"\b\d{4} \d\d \d{3}\b"),
            ("bsn", "burgerservicenummer", "sofinummer", "citizen service number",
             "sofi"),
            WEAK, _stdnum(nl_bsn.is_valid),
        ),
        IdSpec(
            "UK_NINO", "UkNinoFormatRecognizer",
            _regexes(UkNinoRecognizer.PATTERNS), nino_context,
            MEDIUM, _nino_ok,
        ),
        IdSpec(
            "PL_PESEL", "PlPeselChecksumRecognizer",
            tuple(rf"\b{rx}\b" for rx in _regexes(PlPeselRecognizer.PATTERNS)),
            (*PlPeselRecognizer.CONTEXT, "numer pesel", "polish id"),
            WEAK, _stdnum(pl_pesel.is_valid),
        ),
        IdSpec(
            "SE_PERSONNUMMER", "SePersonnummerChecksumRecognizer",
            (r"\b(?:19|20)?\d{6}[-+]\d{4}\b", r"\b(?:19|20)\d{10}\b"),
            (*SePersonnummerRecognizer.CONTEXT, "samordningsnummer"),
            WEAK, _stdnum(se_pnr.is_valid),
        ),
        IdSpec(
            "BE_NATIONAL_NUMBER", "BeNationalNumberRecognizer",
            (r"\b\d\d\.?\d\d\.?\d\d[- ]?\d{3}[. ]?\d\d\b",),
            ("rijksregisternummer", "rijksregister", "registre national", "numéro national",
             "national number", "insz", "niss"),
            STRONG, _stdnum(be_nn.is_valid),
        ),
        IdSpec(
            "FI_PERSONAL_IDENTITY_CODE", "FiHetuChecksumRecognizer",
            (r"\b\d{6}[-+A-FU-Y]\d{3}[0-9A-FHJ-NPR-Y]\b",),
            tuple(FiPersonalIdentityCodeRecognizer.CONTEXT),
            STRONG, _stdnum(fi_hetu.is_valid),
        ),
        IdSpec(
            "IE_PPS", "IePpsRecognizer",
            (r"\b\d{7}[A-W][ABHTW]?\b",),
            ("pps", "ppsn", "personal public service", "revenue", "social welfare"),
            MEDIUM, _stdnum(ie_pps.is_valid),
        ),
    ]


def national_id_recognizers() -> list[EntityRecognizer]:
    """Fresh recognizer instances (Presidio caches compiled regexes on them, so each
    engine gets its own rather than sharing mutable objects)."""
    return [ChecksummedIdRecognizer(spec) for spec in _specs()]
