"""Policy files: the shipped default loads, and every mistake names file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from policies import Action, PolicyError, load_policy
from policies.loader import default_policy_path, parse_policy
from policies.recognizers import recognizer_names

NAMES = frozenset({"SpacyRecognizer", "PiiTaggerRecognizer"})


def parse(text: str) -> object:
    return parse_policy(text, "p.yaml", known_recognizers=lambda: NAMES)


def error_of(text: str) -> str:
    with pytest.raises(PolicyError) as info:
        parse(text)
    return str(info.value)


def test_shipped_default_policy_loads_with_every_switch_known() -> None:
    policy = load_policy(None)
    assert policy.rule_for("PERSON").action is Action.TOKENIZE
    assert policy.rule_for("DATE_TIME").action is Action.ALLOW
    assert set(policy.recognizers) <= recognizer_names()
    assert default_policy_path().name == "default_policy.yaml"


def test_a_policy_file_is_read_from_disk(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("allow_list: [Acme Corp]\nroutes: {unknown_paths: passthrough}\n")
    policy = load_policy(path)
    assert policy.allow_list == ("Acme Corp",)
    assert policy.routes.unknown_paths == "passthrough"


def test_empty_file_means_all_defaults() -> None:
    assert parse("# nothing here\n") == parse("{}")


def test_unknown_top_level_key_names_its_line() -> None:
    message = error_of("version: 1\n\nallowlist: []\n")
    assert message.startswith("p.yaml:3: allowlist:")


def test_bad_action_names_the_line_of_the_key() -> None:
    text = "entities:\n  PERSON:\n    min_score: 0.4\n    action: hide\n"
    message = error_of(text)
    assert message.startswith("p.yaml:4: entities.PERSON.action:")
    assert "hide" not in message


def test_score_out_of_range_names_the_line() -> None:
    assert error_of("default:\n  min_score: 1.5\n").startswith("p.yaml:2: default.min_score:")


def test_bad_entity_type_key_names_its_line() -> None:
    message = error_of("entities:\n  PERSON: {action: allow}\n  e-mail: {action: allow}\n")
    assert message.startswith("p.yaml:3: entities.e-mail:")


def test_bad_route_value_names_the_line() -> None:
    message = error_of("routes:\n  embeddings: tokenize\n  pdf_files: ocr\n")
    assert message.startswith("p.yaml:3: routes.pdf_files:")


def test_allow_list_item_names_its_own_line() -> None:
    message = error_of("allow_list:\n  - Acme\n  - '  '\n")
    assert message.startswith("p.yaml:3: allow_list.1:")


def test_allow_list_values_never_appear_in_messages() -> None:
    message = error_of("allow_list:\n  - Jane Doe\n  - 12\nbogus: 1\n")
    assert "Jane" not in message


def test_unknown_recognizer_names_its_line() -> None:
    message = error_of("recognizers:\n  SpacyRecognizer: true\n  NoSuchRecognizer: false\n")
    assert message == "p.yaml:3: recognizers.NoSuchRecognizer: no recognizer of this name"


def test_invalid_yaml_names_the_line() -> None:
    assert error_of("entities:\n  PERSON: {action: allow\nroutes: {}\n").startswith("p.yaml:3:")


def test_non_mapping_document_is_refused() -> None:
    assert error_of("- a\n- b\n").startswith("p.yaml:1: a policy must be a mapping")


def test_unreadable_file_names_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    with pytest.raises(PolicyError, match=r"missing\.yaml: cannot read policy file"):
        load_policy(missing)
