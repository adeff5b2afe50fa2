"""Person names from a gazetteer: the given names and surnames Faker ships.

Why: both models miss lone names without context ("Unlike the Horton novel",
"founders: Rosing, Harris and Gregory"). A list of about 56,000 given names
and surnames from Faker's 86 locales (MIT) catches them. A gazetteer alone
would flag every "Will" and "Page", so a word counts only when it is
capitalised like a name and is not a stop word, month or weekday, and the
score says how much the shape supports it:

    two or three listed names in a row ("Sigrid Nyström")      0.70
    one listed name inside a sentence ("the Horton novel")     0.55
    one listed name opening a sentence or line ("Jan had")     0.40  (under
                                                     the default threshold)

Scripts without letter case (Chinese, Japanese, Thai ...) give no such signal
and are left to the models.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import re
from collections.abc import Iterable

from presidio_analyzer import AnalysisExplanation, LocalRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from spacy.lang.en.stop_words import STOP_WORDS

from policies.tagger import default_model_dir

ENTITY = "PERSON"
FULL_NAME_SCORE = 0.7
INNER_SCORE = 0.55
OPENING_SCORE = 0.4
_NAME_ATTRIBUTES = ("first_names", "first_names_male", "first_names_female",
                    "first_names_nonbinary", "last_names")
# Capitalised words that are listed as names somewhere but are far more
# often something else in English text.
NOT_NAMES = frozenset({
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "monday", "tuesday", "wednesday", "thursday",
    "friday", "saturday", "sunday", "dear", "hello", "thanks", "best", "regards", "mr",
    "mrs", "ms", "dr", "sir", "madam",
})  # fmt: skip
_WORD = re.compile(r"\b[^\W\d_][\w'’-]*\b")
_OPENING = re.compile(r"(?:^|[.!?:;\n\"“(]\s*)$")


def faker_names() -> frozenset[str]:
    """Every given name and surname in Faker's person providers, lower-cased."""
    import faker.providers.person as person

    names: set[str] = set()
    for module_info in pkgutil.iter_modules(person.__path__):
        module = importlib.import_module(f"{person.__name__}.{module_info.name}")
        provider = getattr(module, "Provider", None)
        if provider is not None:
            names.update(_listed(provider))
    return frozenset(n.lower() for n in names if len(n) > 1)


@functools.cache
def listed_names() -> frozenset[str]:
    """Faker's names without stop words, months and greetings, lower-cased."""
    return faker_names() - STOP_WORDS - NOT_NAMES


def common_words() -> frozenset[str]:
    """Whole words of the PII tagger's 20,000-entry vocabulary.

    A word frequent enough to be one token of a BERT vocabulary is either
    common English ("Summer", "Price", "Rust") or a common name the models
    already recognise ("John", "Maria"); either way the gazetteer should not
    decide it alone.
    """
    vocabulary = default_model_dir() / "vocab.txt"
    words = vocabulary.read_text(encoding="utf-8").split()
    return frozenset(w for w in words if w.isalpha())


def _listed(provider: type) -> Iterable[str]:
    """Names a provider class (or its bases) lists; weighted lists are dicts."""
    for attribute in _NAME_ATTRIBUTES:
        for klass in provider.__mro__:
            value = klass.__dict__.get(attribute)
            if isinstance(value, (tuple, list, dict)):
                yield from (str(v) for v in value)
                break


class NameGazetteerRecognizer(LocalRecognizer):
    NAME = "NameGazetteerRecognizer"

    def __init__(self, names: frozenset[str] | None = None) -> None:
        self._names = names
        super().__init__(supported_entities=[ENTITY], name=self.NAME)

    def load(self) -> None:
        if self._names is None:
            self._names = listed_names() - common_words()

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        if ENTITY not in entities:
            return []
        results = []
        for start, end, count in self._runs(text):
            if count > 1:
                score = FULL_NAME_SCORE
            elif _OPENING.search(text, max(0, start - 8), start) is not None:
                score = OPENING_SCORE
            else:
                score = INNER_SCORE
            explanation = AnalysisExplanation(recognizer=self.NAME, original_score=score)
            results.append(RecognizerResult(ENTITY, start, end, score, explanation))
        return results

    def _runs(self, text: str) -> list[tuple[int, int, int]]:
        """``(start, end, words)`` of runs of listed, capitalised words on one line."""
        names = self._names if self._names is not None else frozenset()
        runs: list[tuple[int, int, int]] = []
        for match in _WORD.finditer(text):
            word = match.group()
            if not word[0].isupper() or word.lower() not in names:
                continue
            if runs and _adjacent(text[runs[-1][1] : match.start()]):
                start, _, count = runs[-1]
                runs[-1] = (start, match.end(), count + 1)
            else:
                runs.append((match.start(), match.end(), 1))
        return runs


def _adjacent(gap: str) -> bool:
    return gap.isspace() and "\n" not in gap
