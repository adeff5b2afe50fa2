"""The engine end to end on real models (loaded once per run): tricky cases."""

from __future__ import annotations

import pytest

from policies import DetectionError
from policies.apply import PolicyApplier
from policies.engine import Engine
from policies.loader import default_policy_path, load_policy
from policies.nlp import NerOnlySpacyEngine, load_ner_pipeline
from policies.recognizers import BuildOptions, build_recognizers, name_of, recognizer_names
from policies.settings import DEFAULT_SPACY_MODEL, EngineSettings
from policies.spans import Span

pytestmark = pytest.mark.slow


def typed(engine: Engine, text: str, min_score: float = 0.5) -> set[tuple[str, str]]:
    [spans] = engine.analyze([text])
    return {(s.entity_type, text[s.start : s.end]) for s in spans if s.score >= min_score}


def test_one_result_list_per_text_in_order(engine: Engine) -> None:
    texts = ["", "Mail anna@example.com", "nothing personal here"]
    results = engine.analyze(texts)
    assert len(results) == 3
    assert results[0] == []
    assert ("EMAIL_ADDRESS", "anna@example.com") in {
        (s.entity_type, texts[1][s.start : s.end]) for s in results[1]
    }
    assert engine.analyze([]) == []


def test_may_the_month_is_not_a_person_but_may_the_name_is(engine: Engine) -> None:
    assert not any(t == "PERSON" for t, _ in typed(engine, "The report is due in May."))
    assert ("PERSON", "May Chen") in typed(engine, "May Chen called yesterday.")


def test_names_are_completed_so_no_part_stays_in_clear(engine: Engine) -> None:
    text = "It was sung by Salambek D. Melikov, PhD in 2013. Later Melikov retired."
    [spans] = engine.analyze([text])
    findings = PolicyApplier(load_policy(default_policy_path())).apply(text, spans)
    persons = [text[f.start : f.end] for f in findings if f.entity_type == "PERSON"]
    assert {"Salambek D. Melikov, PhD", "Melikov"} <= set(persons)


def test_version_numbers_are_not_ip_addresses(engine: Engine) -> None:
    found = typed(engine, "Version 2.4.1 of the app runs fine; the server is 10.0.0.1")
    assert ("IP_ADDRESS", "10.0.0.1") in found
    assert not any(value.startswith("2.4") for _, value in found)


def test_order_number_is_not_a_card(engine: Engine) -> None:
    found = typed(engine, "Your order number 1234567890123456 has shipped.")
    assert not any(t == "CREDIT_CARD" for t, _ in found)
    assert ("CREDIT_CARD", "4111 1111 1111 1111") in typed(engine, "card 4111 1111 1111 1111")


def test_birth_date_needs_its_context_word(engine: Engine) -> None:
    assert ("DATE_OF_BIRTH", "3 May 1985") in typed(engine, "I was born on 3 May 1985.")
    assert not any(t == "DATE_OF_BIRTH" for t, _ in typed(engine, "Released on 3 May 1985."))


def test_context_word_lifts_a_bare_phone_number(engine: Engine) -> None:
    assert ("PHONE_NUMBER", "4155550132") in typed(engine, "Call me on 4155550132 please")
    assert not any(t == "PHONE_NUMBER" for t, _ in typed(engine, "Ticket 4155550132 closed"))


def test_other_engineers_recognizers_are_registered() -> None:
    names = recognizer_names()
    assert {"NlBsnRecognizer", "PrefixedSecretRecognizer", "PiiTaggerRecognizer"} <= names
    assert {"CreditCardRecognizer", "PhoneNumberRecognizer", "EmailRecognizer"} <= names


def test_switches_turn_recognizers_off_and_unknown_names_fail() -> None:
    options = BuildOptions(ner_entities=("PERSON",))
    all_names = {name_of(r) for r in build_recognizers({}, options)}
    fewer = {name_of(r) for r in build_recognizers({"PiiTaggerRecognizer": False}, options)}
    assert all_names - fewer == {"PiiTaggerRecognizer"}
    assert "DateRecognizer" not in all_names
    switched_on = build_recognizers({"DateRecognizer": True}, options)
    assert "DateRecognizer" in {name_of(r) for r in switched_on}
    with pytest.raises(KeyError):
        build_recognizers({"NoSuchRecognizer": True}, options)


def test_everything_switched_off_is_refused() -> None:
    switches = tuple((name, False) for name in sorted(recognizer_names()))
    with pytest.raises(DetectionError, match="switched off"):
        Engine.load(EngineSettings(recognizers=switches))


def test_a_failing_recognizer_fails_the_analysis(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> list[Span]:
        raise RuntimeError("model crashed on 'Anna Lee'")

    monkeypatch.setattr(engine._analyzer, "analyze", broken)
    with pytest.raises(DetectionError) as info:
        engine.analyze(["Anna Lee"])
    assert "Anna" not in str(info.value)


def test_spacy_runs_only_the_entity_recognizer() -> None:
    nlp = load_ner_pipeline(DEFAULT_SPACY_MODEL)
    assert nlp.pipe_names == ["ner"]


def test_lower_case_tokens_stand_in_for_lemmas() -> None:
    nlp_engine = NerOnlySpacyEngine(DEFAULT_SPACY_MODEL)
    nlp_engine.load()
    artifacts = nlp_engine.process_text("Call Anna on her Phone", "en")
    assert artifacts.lemmas == ["call", "anna", "on", "her", "phone"]


def test_spacy_switched_off_runs_its_tokenizer_only() -> None:
    nlp_engine = NerOnlySpacyEngine(DEFAULT_SPACY_MODEL, ner=False)
    nlp_engine.load()
    artifacts = nlp_engine.process_text("Call Anna Lee on her phone", "en")
    assert nlp_engine.nlp is not None and nlp_engine.nlp["en"].pipe_names == []
    assert artifacts.entities == []
    assert artifacts.lemmas == ["call", "anna", "lee", "on", "her", "phone"]


def test_engine_without_spacy_keeps_context_boosts_and_the_tagger() -> None:
    settings = EngineSettings(recognizers=(("SpacyRecognizer", False),))
    engine = Engine.load(settings)
    text = "Anna Lee's phone number is 212 555 0199 and she lives at 12 Baker Street."
    found = typed(engine, text)
    assert ("PHONE_NUMBER", "212 555 0199") in found
    assert any(t == "PERSON" and "Anna" in v for t, v in found)
    assert any(t == "STREET_ADDRESS" and "Baker" in v for t, v in found)
