"""No network at run time: tldextract reads its bundled snapshot, spaCy never downloads."""

from __future__ import annotations

import pytest
import tldextract

from policies import DetectionError
from policies.engine import Engine
from policies.nlp import load_ner_pipeline
from policies.recognizers.email import OfflineEmailRecognizer, offline_tld_extractor
from tests.unit.policies.conftest import NetworkAttempts


def test_the_blocker_catches_what_default_tldextract_would_do(
    no_network: NetworkAttempts,
) -> None:
    # Presidio's own EmailRecognizer calls the default extractor, which tries
    # to download the Public Suffix List first: the guard must see that.
    tldextract.TLDExtract(cache_dir=None)("mail.example.co.uk")
    assert no_network


def test_offline_extractor_uses_the_snapshot_without_network(
    no_network: NetworkAttempts,
) -> None:
    extract = offline_tld_extractor()
    assert extract("mail.example.co.uk").suffix == "co.uk"
    assert extract("anna@example.com").fqdn == "example.com"
    assert no_network == []


@pytest.mark.parametrize(("text", "expected"), [
    ("mail j.doe@example.com now", ["j.doe@example.com"]),
    ("ab@exämple.de", ["ab@exämple.de"]),
    ("x@localhost", []),
    ("a@b.notatld", []),
])
def test_email_recognizer_validates_domains_offline(
    no_network: NetworkAttempts, text: str, expected: list[str]
) -> None:
    results = OfflineEmailRecognizer().analyze(text, ["EMAIL_ADDRESS"])
    assert [text[r.start : r.end] for r in results if r.score == 1.0] == expected
    assert no_network == []


@pytest.mark.slow
def test_whole_engine_analyses_without_network(
    engine: Engine, no_network: NetworkAttempts
) -> None:
    found = engine.analyze(["Mail anna.lee@example.co.uk or visit https://example.org/x"])
    assert {s.entity_type for s in found[0]} >= {"EMAIL_ADDRESS", "URL"}
    assert no_network == []


def test_missing_spacy_model_fails_without_downloading(no_network: NetworkAttempts) -> None:
    with pytest.raises(DetectionError, match="not installed"):
        load_ner_pipeline("xx_no_such_model_piigate")
    assert no_network == []
