"""The light-copy context enhancer: same boosts as Presidio's, originals untouched."""

from __future__ import annotations

import copy

import spacy
from presidio_analyzer import AnalysisExplanation, PatternRecognizer, RecognizerResult
from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer
from presidio_analyzer.nlp_engine import NlpArtifacts

from policies.context import LightCopyContextEnhancer, copy_result


class _Words:
    """The two questions NlpArtifacts asks its engine when it picks keywords."""

    def is_stopword(self, word: str, language: str) -> bool:
        return word in {"my", "is"}

    def is_punct(self, word: str, language: str) -> bool:
        return not word.isalnum()


def test_a_copy_can_change_without_touching_the_original() -> None:
    original = RecognizerResult("PERSON", 0, 4, 0.5, AnalysisExplanation("r", 0.5), {"k": 1})
    duplicate = copy_result(original)
    duplicate.score = 0.9
    duplicate.recognition_metadata["k"] = 2
    duplicate.analysis_explanation.set_improved_score(0.9)
    assert (original.score, original.recognition_metadata, original.analysis_explanation.score) \
        == (0.5, {"k": 1}, 0.5)


def test_boosts_exactly_like_presidio_and_leaves_raw_results_alone() -> None:
    recognizer = PatternRecognizer("ORDER_ID", deny_list=["AB1234"], context=["order"])
    text = "my order is AB1234"
    doc = spacy.blank("en")(text)
    artifacts = NlpArtifacts(
        entities=[], tokens=doc, tokens_indices=[t.idx for t in doc],
        lemmas=[t.lower_ for t in doc], nlp_engine=_Words(), language="en",
    )
    raw = [RecognizerResult(
        "ORDER_ID", 12, 18, 0.3, AnalysisExplanation("deny list", original_score=0.3),
        {RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: recognizer.id},
    )]
    before = copy.deepcopy(raw)
    ours = LightCopyContextEnhancer().enhance_using_context(text, raw, artifacts, [recognizer])
    theirs = LemmaContextAwareEnhancer().enhance_using_context(text, raw, artifacts, [recognizer])
    assert [(r.score, r.analysis_explanation.supportive_context_word) for r in ours] == [
        (r.score, r.analysis_explanation.supportive_context_word) for r in theirs
    ]
    assert ours[0].score > 0.3
    assert ours[0].analysis_explanation.supportive_context_word == "order"
    assert raw[0].score == before[0].score and raw[0].analysis_explanation.score == 0.3
