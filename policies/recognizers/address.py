"""Address parts the PII tagger tends to miss: units, PO boxes, military mail.

The tagger finds most streets and house numbers, but often leaves the
secondary line ("Apt. 748", "Suite 262") or a whole US military address
("PSC 1195, Box 5372 / APO AE 44634") in clear. These have fixed shapes, so a
pattern finds them reliably. Unit words must be capitalised, and "Unit" counts
only inside a military address ("Unit 3 of the course" is not an address); a
lone unit scores just over the default threshold, a PO box or military
address well above it.
"""

from __future__ import annotations

import re

from presidio_analyzer import AnalysisExplanation, LocalRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

ENTITY = "STREET_ADDRESS"

_UNIT = r"\b(?:Apt|APT|Apartment|Suite|SUITE|Ste|STE|Flat)\.?[ \t]?#?\d{1,5}[A-Z]?\b"
_PO_BOX = r"\b(?:P\.?[ \t]?O\.?[ \t]?Box|Postfach|Apartado)[ \t]\d{1,6}\b"
_MILITARY_MAIL = r"\s{0,4}[ADF]PO[ \t]A[AEP][ \t]\d{5}\b"  # APO/FPO/DPO AA|AE|AP 12345
_MILITARY_UNIT = r"\b(?:PSC|Unit|CMR)[ \t]\d{1,5},?[ \t]Box[ \t]\d{1,5}" + _MILITARY_MAIL
_SHIP = r"\b(?:USNS|USNV|USS|USCGC)[ \t][A-Z][\w'-]+" + _MILITARY_MAIL

_PATTERNS: tuple[tuple[re.Pattern[str], float], ...] = (
    (re.compile(_UNIT), 0.55),  # Apt. 748, Suite 262, Ste 5B, Flat 3
    (re.compile(_PO_BOX, re.IGNORECASE), 0.7),  # P.O. Box 287, Postfach 71
    (re.compile(_MILITARY_UNIT), 0.9),  # PSC 1195, Box 5372 / APO AE 44634
    (re.compile(_SHIP), 0.9),  # USCGC Numminen / FPO AA 67977
)


class AddressPartRecognizer(LocalRecognizer):
    NAME = "AddressPartRecognizer"

    def __init__(self) -> None:
        super().__init__(supported_entities=[ENTITY], name=self.NAME)

    def load(self) -> None:
        """Nothing to load: patterns only."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        if ENTITY not in entities:
            return []
        return [
            RecognizerResult(
                ENTITY,
                match.start(),
                match.end(),
                score,
                AnalysisExplanation(recognizer=self.NAME, original_score=score),
            )
            for pattern, score in _PATTERNS
            for match in pattern.finditer(text)
        ]
