"""The detection engine: Presidio's analyzer with our NLP engine and recognizers.

The engine finds raw spans and nothing else; thresholds, allow-list and
actions are the policy's business (:mod:`policies.apply`), applied where the
spans come back. So an engine depends only on :class:`EngineSettings` (model
name, recognizer switches), which is small and picklable: a worker process
rebuilds the same engine from it.

Text goes through spaCy in batches (``nlp.pipe``), then every recognizer runs
on each text with the batch's NLP artifacts, which is Presidio's own
``analyze(nlp_artifacts=...)`` path. The PII tagger is given the whole batch
before that loop, so its model runs on padded batches too. Last, the names
found are completed (:mod:`policies.name_completion`): initials, suffixes and
repeats of a found name that no recognizer reported on its own.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence

from presidio_analyzer import AnalyzerEngine, RecognizerRegistry

from policies.context import LightCopyContextEnhancer
from policies.errors import DetectionError
from policies.name_completion import complete_names
from policies.nlp import LANGUAGE, NerOnlySpacyEngine
from policies.recognizers import SPACY_RECOGNIZER, BuildOptions, build_recognizers
from policies.recognizers.names import listed_names
from policies.recognizers.pii_tagger import PiiTaggerRecognizer
from policies.settings import EngineSettings
from policies.spans import Span

# Presidio logs the words around each finding at DEBUG (its context enhancer),
# which is personal data; its loggers never go below INFO, whatever the root
# level, so a debug log level cannot leak values.
PRESIDIO_LOGGERS = ("presidio-analyzer", "presidio_analyzer")


def quiet_presidio_logs() -> None:
    # An explicit level, so lowering the root level later does not reach them.
    level = max(logging.INFO, logging.getLogger().getEffectiveLevel())
    for name in PRESIDIO_LOGGERS:
        logging.getLogger(name).setLevel(level)


class Engine:
    """A loaded analyzer. Not thread-safe: use it from one thread at a time."""

    def __init__(
        self,
        analyzer: AnalyzerEngine,
        nlp: NerOnlySpacyEngine,
        batch_size: int,
        names: frozenset[str],
    ):
        self._analyzer = analyzer
        self._nlp = nlp
        self._batch_size = batch_size
        self._names = names
        # Recognizers that run a model over the whole batch at once.
        self._taggers = [
            r for r in analyzer.registry.recognizers if isinstance(r, PiiTaggerRecognizer)
        ]

    @classmethod
    def load(cls, settings: EngineSettings) -> Engine:
        """Load the spaCy model and every recognizer; any failure is a DetectionError."""
        quiet_presidio_logs()
        try:
            switches = dict(settings.recognizers)
            ner = switches.get(SPACY_RECOGNIZER, True)
            nlp = NerOnlySpacyEngine(settings.spacy_model, ner=ner)
            nlp.load()
            options = BuildOptions(
                ner_entities=tuple(nlp.get_supported_entities()),
                tagger_threads=settings.tagger_threads,
            )
            recognizers = build_recognizers(switches, options)
            if not recognizers:
                # Presidio would silently load its own defaults into an empty
                # registry; a policy that switches everything off is refused.
                raise DetectionError("every recognizer is switched off")
            registry = RecognizerRegistry(recognizers=recognizers, supported_languages=[LANGUAGE])
            names = listed_names()
            analyzer = AnalyzerEngine(
                registry=registry,
                nlp_engine=nlp,
                supported_languages=[LANGUAGE],
                context_aware_enhancer=LightCopyContextEnhancer(),
            )
        except DetectionError:
            raise
        except Exception as exc:  # whatever broke, detection cannot run
            raise DetectionError(f"cannot load detection engine: {type(exc).__name__}") from exc
        return cls(analyzer, nlp, settings.batch_size, names)

    def analyze(self, texts: Sequence[str]) -> list[list[Span]]:
        """Raw spans per text, in input order; any failure is a DetectionError."""
        if not texts:
            return []
        try:
            return self._analyze(texts)
        except DetectionError:
            raise
        except Exception as exc:  # never return "nothing found" on failure
            raise DetectionError(f"detection failed: {type(exc).__name__}") from exc

    def _analyze(self, texts: Sequence[str]) -> list[list[Span]]:
        batch = self._nlp.process_batch(list(texts), LANGUAGE, batch_size=self._batch_size)
        found: list[list[Span]] = []
        with contextlib.ExitStack() as stack:
            for tagger in self._taggers:
                stack.enter_context(tagger.batch(texts))
            for item in batch:
                text, artifacts = item[0], item[1]  # (text, artifacts): no context tuples
                results = self._analyzer.analyze(text, LANGUAGE, nlp_artifacts=artifacts)
                spans = [Span(r.entity_type, r.start, r.end, r.score) for r in results]
                spans += complete_names(text, spans, self._names.__contains__)
                found.append(spans)
        if len(found) != len(texts):
            raise DetectionError("the NLP pipeline lost texts")
        return found
