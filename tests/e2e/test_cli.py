"""The ``piigate`` command: keys, scan (single and JSON lines), demo, settings errors."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gateway.cli import app
from gateway.settings import Settings

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PIIGATE_DATA_DIR", str(tmp_path / "data"))
    for name in ("PIIGATE_MASTER_KEY", "PIIGATE_MASTER_KEY_FILE", "PIIGATE_DATABASE_URL",
                 "PIIGATE_POLICY_FILE"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "data"


def test_keys_create_prints_the_key_last_and_lists_it(env: Path) -> None:
    result = runner.invoke(app, ["keys", "create", "--tenant", "acme"])
    assert result.exit_code == 0, result.output
    key = result.stdout.strip().splitlines()[-1]
    assert key.startswith("pgk_")
    listed = runner.invoke(app, ["keys", "list"])
    assert "acme" in listed.stdout and key not in listed.stdout
    key_id = key.split("_")[1]
    assert runner.invoke(app, ["keys", "revoke", key_id]).exit_code == 0
    assert runner.invoke(app, ["keys", "revoke", key_id]).exit_code == 1


def test_keys_create_refuses_bad_role(env: Path) -> None:
    result = runner.invoke(app, ["keys", "create", "--tenant", "acme", "--role", "root"])
    assert result.exit_code == 2


def test_first_start_creates_a_private_master_key(env: Path) -> None:
    key = Settings().load_master_key()
    path = env / "master.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert Settings().load_master_key() == key  # the second start reads the same key


def test_bad_master_key_is_refused(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIIGATE_MASTER_KEY", "not-hex")
    with pytest.raises(ValueError, match="not hex"):
        Settings().load_master_key()


def test_scan_text_shows_findings_and_the_protected_text(env: Path) -> None:
    result = runner.invoke(app, ["scan", "Write to anna.schmidt@example.net, Anna Schmidt"])
    assert result.exit_code == 0, result.output
    last = result.stdout.strip().splitlines()[-1]
    assert last == "Write to <EMAIL_ADDRESS_1>, <PERSON_1>"


def test_scan_jsonl_offsets_refer_to_the_input(env: Path) -> None:
    lines = [json.dumps("Call Anna Schmidt on +1 212 555 0199"),
             json.dumps({"text": "Anna Schmidt again"}), "", json.dumps("nothing here")]
    result = runner.invoke(app, ["scan", "--jsonl"], input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.strip().splitlines()]
    assert len(out) == 3
    first_text = json.loads(lines[0])
    for entity in out[0]["entities"]:
        assert set(entity) == {"type", "start", "end", "score", "action"}
    spans = {first_text[e["start"]:e["end"]] for e in out[0]["entities"]}
    assert {"Anna Schmidt", "+1 212 555 0199"} <= spans
    assert out[1]["text"] == "<PERSON_1> again"  # same value, same token within the run
    assert out[2] == {"text": "nothing here", "entities": []}


def test_scan_jsonl_rejects_a_bad_line(env: Path) -> None:
    result = runner.invoke(app, ["scan", "--jsonl"], input='"ok"\n{not json\n')
    assert result.exit_code == 2
    assert "line 2" in result.output


def test_invalid_policy_stops_the_server_naming_the_line(env: Path, tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("version: 1\nentities:\n  PERSON: {action: obliterate}\n")
    result = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "serve", "--port", "1"],
        env={**os.environ, "PIIGATE_DATA_DIR": str(env), "PIIGATE_POLICY_FILE": str(policy)},
        capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert f"{policy}:3" in result.stderr


def test_demo_runs_offline(env: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "demo", "--no-serve", "--port", "0"],
        env={**os.environ, "PIIGATE_DATA_DIR": str(env), "COLUMNS": "200"},
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "provider received" in result.stdout
    received = result.stdout.split("Everything the provider received, as JSON:")[1]
    assert "maria.keller@example.org" not in received
    assert "4111 1111 1111 1111" not in received
    assert "Maria Keller" in result.stdout  # the app got its values back
