"""The Rampart PII tagger as a Presidio recognizer (names and addresses).

A thin adapter: the model runner lives in :mod:`policies.tagger`. It reports
the tagger's spans with their mean token probability as the score, so the
policy's per-type ``min_score`` decides what counts.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from presidio_analyzer import AnalysisExplanation, LocalRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from policies.errors import DetectionError
from policies.tagger import LABEL_TYPES, RampartTagger, TaggedSpan, default_model_dir

# A token joins a span when its type's probability reaches this; the span's
# mean probability is then filtered by the policy's min_score.
TOKEN_THRESHOLD = 0.5


class PiiTaggerRecognizer(LocalRecognizer):
    NAME = "PiiTaggerRecognizer"

    def __init__(self, model_dir: Path | None = None, *, threads: int = 1) -> None:
        self._model_dir = model_dir
        self._threads = threads
        self._tagger: RampartTagger | None = None
        self._tagged: dict[str, list[TaggedSpan]] = {}
        super().__init__(
            supported_entities=sorted(set(LABEL_TYPES.values())),
            name=self.NAME,
        )

    def load(self) -> None:
        """Load the ONNX model now, so a missing model fails at start-up."""
        model_dir = self._model_dir if self._model_dir is not None else default_model_dir()
        self._tagger = RampartTagger(model_dir, threshold=TOKEN_THRESHOLD, threads=self._threads)

    @contextmanager
    def batch(self, texts: Sequence[str]) -> Iterator[None]:
        """Tag ``texts`` together now; ``analyze`` uses the results until the block ends."""
        self._tagged = dict(zip(texts, self._loaded().tag_many(texts), strict=True))
        try:
            yield
        finally:
            self._tagged = {}

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        spans = self._tagged.get(text)
        if spans is None:
            spans = self._loaded().tag(text)
        wanted = set(entities)
        return [
            RecognizerResult(
                span.entity_type,
                span.start,
                span.end,
                span.score,
                AnalysisExplanation(recognizer=self.NAME, original_score=span.score),
            )
            for span in spans
            if span.entity_type in wanted
        ]

    def _loaded(self) -> RampartTagger:
        if self._tagger is None:  # Presidio's __init__ calls load(); this is a fallback
            self.load()
        if self._tagger is None:
            raise DetectionError("PII tagger is not loaded")
        return self._tagger
