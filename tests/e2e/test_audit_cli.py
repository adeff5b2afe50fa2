"""``piigate audit ...`` end to end: a populated log, exports, offline verify, fsck, retention."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from audit import AuditLog, storage
from audit.records import AuditRecord, from_canonical
from gateway.cli_audit import audit_app
from tests.unit.audit.audit_factories import ORIGIN, record
from vault.db import create_engine

REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()


@pytest.fixture
def where(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setenv("PIIGATE_AUDIT_ORIGIN", ORIGIN)
    url = f"sqlite:///{tmp_path / 'data' / 'piigate.db'}"
    (tmp_path / "data").mkdir()
    return ["--database-url", url, "--data-dir", str(tmp_path / "data")]


def _cli(where: list[str], *args: str) -> tuple[int, str]:
    result = runner.invoke(audit_app, [*where, *args])
    return result.exit_code, result.output


def _records(where: list[str]) -> list[AuditRecord]:
    engine = create_engine(where[1])
    try:
        with engine.connect() as conn:
            return [from_canonical(r.body) for r in storage.iter_records(conn)]
    finally:
        engine.dispose()


def _populate(where: list[str], first: int, count: int) -> None:
    code, _ = _cli(where, "checkpoint")  # migrates and creates the key, as the gateway would
    assert code == 0
    engine = create_engine(where[1])

    async def fill() -> None:
        log = AuditLog(engine, Path(where[3]) / "audit-signing.key", ORIGIN)
        for i in range(first, first + count):
            await log.append(record(i))
        await log.aclose()

    asyncio.run(fill())
    engine.dispose()


def test_export_verify_and_the_export_is_audited(where: list[str], tmp_path: Path) -> None:
    _populate(where, 0, 20)
    code, vkey = _cli(where, "public-key")
    assert code == 0 and vkey.startswith(ORIGIN + "+")
    out = tmp_path / "acme.zip"
    code, output = _cli(
        where, "export", "--out", str(out), "--tenant", "acme", "--from", "2025-03-01"
    )
    assert code == 0, output
    assert "wrote 10 records" in output
    code, output = _cli([], "verify", str(out), "--public-key", vkey.strip())
    assert code == 0, output
    assert "records verified: 10" in output and output.rstrip().endswith("OK")
    made = _records(where)[-1]
    assert made.kind == "admin" and made.detail["action"] == "audit.export"
    assert made.tenant == "acme" and made.detail["records"] == "10"
    key_file = tmp_path / "key.txt"
    key_file.write_text(vkey)
    assert _cli([], "verify", str(out), "--public-key", str(key_file))[0] == 0


def test_tampered_bundle_fails_and_names_the_record(where: list[str], tmp_path: Path) -> None:
    _populate(where, 0, 8)
    out = tmp_path / "all.zip"
    assert _cli(where, "export", "--out", str(out), "--format", "csv")[0] == 0
    with zipfile.ZipFile(out) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members["records.csv"] = members["records.csv"].replace(b"req-6,", b"req-9,", 1)
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    code, output = _cli([], "verify", str(out))
    assert code == 1
    assert "FAILED: record index 6, position 6 in the bundle" in output
    assert "embedded in the bundle" in output


def test_since_checkpoint_across_two_exports(where: list[str], tmp_path: Path) -> None:
    _populate(where, 0, 6)
    first = tmp_path / "first.zip"
    assert _cli(where, "export", "--out", str(first))[0] == 0
    old = tmp_path / "checkpoint.txt"
    with zipfile.ZipFile(first) as archive:
        old.write_bytes(archive.read("checkpoint.txt"))
    _populate(where, 6, 5)
    second = tmp_path / "second.zip"
    args = ["export", "--out", str(second), "--since-checkpoint", str(old)]
    assert _cli(where, *args)[0] == 0
    code, output = _cli([], "verify", str(second), "--since-checkpoint", str(old))
    assert code == 0, output
    assert "consistent with the earlier checkpoint" in output


def test_fsck_passes_then_names_a_tampered_record(where: list[str]) -> None:
    _populate(where, 0, 10)
    code, output = _cli(where, "fsck")
    assert code == 0 and "OK" in output
    engine = create_engine(where[1])
    with engine.begin() as conn:
        conn.execute(text("DROP TRIGGER audit_records_no_update"))
        conn.execute(
            text("UPDATE audit_records SET body = CAST(body || 'x' AS BLOB) WHERE idx = 4")
        )
    engine.dispose()
    code, output = _cli(where, "fsck")
    assert code == 1 and "FAILED: index 4:" in output


def test_retention_and_holds(where: list[str]) -> None:
    _populate(where, 0, 12)
    code, output = _cli(where, "prune", "--days", "30")
    assert code == 1 and "legal minimum" in output
    code, output = _cli(
        where, "hold", "--reference", "case-7", "--subject-pseudonym", "psn_subject2"
    )
    assert code == 0 and "legal hold 1 placed" in output
    assert "psn_subject2" in _cli(where, "holds")[1]
    code, output = _cli(where, "prune")  # the records are from March 2025
    assert code == 0, output
    kept = [r.request_id for r in _records(where) if r.kind == "call"]
    assert kept == ["req-2", "req-7"]
    assert _cli(where, "fsck")[0] == 0
    assert _cli(where, "release", "1")[0] == 0
    assert _cli(where, "holds")[1].strip() == ""
    assert _cli(where, "release", "1")[0] == 1
    actions = [r.detail.get("action") for r in _records(where) if r.kind == "admin"]
    assert actions == ["audit.hold", "audit.prune", "audit.release"]


def test_verify_runs_as_a_program_without_a_database(where: list[str], tmp_path: Path) -> None:
    _populate(where, 0, 3)
    out = tmp_path / "b.zip"
    assert _cli(where, "export", "--out", str(out))[0] == 0
    program = "from gateway.cli_audit import audit_app; audit_app()"
    done = subprocess.run(
        [sys.executable, "-c", program, "verify", str(out)],
        cwd=REPO,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "records verified: 3" in done.stdout


def test_usage_errors(where: list[str], tmp_path: Path) -> None:
    assert _cli([], "verify", str(tmp_path / "x.zip"), "--public-key", "not-a-key")[0] == 2
    code, output = _cli(where, "export", "--out", str(tmp_path / "x.zip"), "--subject", "alice")
    assert code == 1 and "--tenant" in output
    code, output = _cli(where, "export", "--out", str(tmp_path / "x.zip"), "--from", "soon")
    assert code == 1 and "time bound" in output
