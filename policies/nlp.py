"""spaCy for Presidio, trimmed to named-entity recognition and kept offline.

Two things Presidio's ``SpacyNlpEngine`` does that a gateway must not:

* it runs the whole pipeline (tagger, parser, lemmatizer ...) although only
  the entity recognizer feeds detection. In the small English model the NER
  has its own embedding layer, so the rest can be excluded: measured here,
  spaCy alone goes from about 44 to about 105 KB/s per core;
* it downloads a missing model (``spacy.cli.download``) at load time: a
  network call at run time. Here a missing model is a ``DetectionError``.

Presidio's context enhancer matches context words against lemmas. Without
the lemmatizer spaCy's lemmas are empty, and every context boost would
silently vanish; lower-cased token text stands in for the lemma (plural or
inflected context words then need their own entry in a recognizer's list).
"""

from __future__ import annotations

from pathlib import Path

import spacy
from presidio_analyzer.nlp_engine import NerModelConfiguration, NlpArtifacts, SpacyNlpEngine
from spacy.language import Language
from spacy.tokens import Doc

from policies.errors import DetectionError

LANGUAGE = "en"
# Every component of spaCy's trained English pipelines except "ner". If a
# model's NER listens to a shared embedding layer, the first attempt fails its
# smoke test and the model is loaded again with the embedding layers kept.
NOT_NEEDED_FOR_NER = ("tok2vec", "transformer", "tagger", "morphologizer", "parser", "senter",
                      "attribute_ruler", "lemmatizer", "trainable_lemmatizer")
EMBEDDING_LAYERS = ("tok2vec", "transformer")
_SMOKE_TEXT = "Anna Lee lives in Paris."

# spaCy label -> Presidio entity type. ORG is kept (not ignored as Presidio's
# default does): the small model calls many people and streets organisations,
# and the policy decides per type what an ORGANIZATION finding means.
LABEL_MAPPING = {
    "PERSON": "PERSON",
    "PER": "PERSON",
    "NORP": "NRP",
    "FAC": "LOCATION",
    "LOC": "LOCATION",
    "GPE": "LOCATION",
    "ORG": "ORGANIZATION",
    "DATE": "DATE_TIME",
    "TIME": "DATE_TIME",
}
IGNORED_LABELS = ["CARDINAL", "EVENT", "LANGUAGE", "LAW", "MONEY", "ORDINAL", "PERCENT",
                  "PRODUCT", "QUANTITY", "WORK_OF_ART"]


def ner_configuration() -> NerModelConfiguration:
    return NerModelConfiguration(
        model_to_presidio_entity_mapping=dict(LABEL_MAPPING),
        labels_to_ignore=list(IGNORED_LABELS),
    )


class NerOnlySpacyEngine(SpacyNlpEngine):
    """A Presidio NLP engine over one English spaCy model, NER only, no downloads.

    With ``ner=False`` (the policy switched ``SpacyRecognizer`` off) only the
    model's tokenizer runs: the recognizers still get tokens for their context
    words, and the NER's cost (about a quarter of detection) is not paid for
    entities nobody reads.
    """

    def __init__(self, model_name: str, *, ner: bool = True) -> None:
        super().__init__(
            models=[{"lang_code": LANGUAGE, "model_name": model_name}],
            ner_model_configuration=ner_configuration(),
        )
        self.model_name = model_name
        self.ner = ner

    def load(self) -> None:
        pipeline = load_ner_pipeline(self.model_name) if self.ner else load_tokenizer(
            self.model_name
        )
        # Presidio declares ``self.nlp = None`` untyped; mypy infers "None".
        self.nlp = {LANGUAGE: pipeline}  # type: ignore[assignment]

    def _doc_to_nlp_artifact(self, doc: Doc, language: str) -> NlpArtifacts:
        entities, scores = self._get_updated_entities(
            list(self._get_entities(doc)), self._get_scores_for_entities(doc)
        )
        return NlpArtifacts(
            entities=entities,
            tokens=doc,
            tokens_indices=[token.idx for token in doc],
            lemmas=[token.lower_ for token in doc],
            nlp_engine=self,
            language=language,
            scores=scores,
        )


def load_tokenizer(model_name: str) -> Language:
    """The model's tokenizer alone, every pipeline component left out."""
    _require_installed(model_name)
    try:
        nlp = spacy.load(model_name, exclude=[*NOT_NEEDED_FOR_NER, "ner"])
        nlp(_SMOKE_TEXT)
    except Exception as exc:  # a model that cannot even tokenize is unusable
        raise DetectionError(f"spaCy model {model_name!r} cannot be loaded") from exc
    return nlp


def _require_installed(model_name: str) -> None:
    if not spacy.util.is_package(model_name) and not Path(model_name).is_dir():
        raise DetectionError(f"spaCy model {model_name!r} is not installed")


def load_ner_pipeline(model_name: str) -> Language:
    """The model with only what its NER needs; ``DetectionError`` if unusable."""
    _require_installed(model_name)
    lean = list(NOT_NEEDED_FOR_NER)
    with_embeddings = [name for name in NOT_NEEDED_FOR_NER if name not in EMBEDDING_LAYERS]
    failure: Exception | None = None
    for exclude in (lean, with_embeddings):
        try:
            nlp = spacy.load(model_name, exclude=exclude)
            if "ner" in nlp.pipe_names:
                nlp(_SMOKE_TEXT)
                return nlp
        except Exception as exc:  # a failed lean load is retried fuller
            failure = exc
    raise DetectionError(
        f"spaCy model {model_name!r} has no usable entity recognizer"
    ) from failure
