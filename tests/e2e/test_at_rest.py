"""Known personal values go through the gateway; none of them is anywhere at rest.

Issue 2 (vault) and issue 4 (audit): the SQLite file with its WAL, every audit
record and both export formats are searched for the values, and for the raw
subject id; the audit records say what happened in counts only.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from gateway.simulator import SimulatorState
from policies import Scanner
from tests.e2e.conftest import Gateway, running_gateway
from vault.db import create_engine

VALUES = ["Maximilian Oberhuber", "max.oberhuber@example.com", "+1 212 555 0188",
          "4111 1111 1111 1111", "4111111111111111"]
SUBJECT = "customer-9f2c@example.org"


@pytest.fixture(scope="module")
def used_gateway(tmp_path_factory: pytest.TempPathFactory, provider_url: str,
                 scanner: Scanner, provider_state: SimulatorState) -> Iterator[Gateway]:
    with running_gateway(tmp_path_factory.mktemp("at-rest"), provider_url, scanner) as gateway:
        client = gateway.client(subject=SUBJECT)
        text_in = (f"I am {VALUES[0]}, mail {VALUES[1]}, phone {VALUES[2]}, "
                   f"card {VALUES[3]}.")
        for stream in (False, True):
            response = client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": text_in}],
                stream=stream)
            if stream:
                list(response)  # type: ignore[call-overload]
        yield gateway


def database_bytes(gateway: Gateway) -> bytes:
    files = sorted(Path(gateway.settings.data_dir).glob("piigate.db*"))
    assert files, "the gateway's SQLite database was not found"
    return b"".join(path.read_bytes() for path in files)


def test_no_value_in_the_database_files(used_gateway: Gateway) -> None:
    raw = database_bytes(used_gateway)
    for value in [*VALUES, SUBJECT]:
        assert value.encode() not in raw
        assert value.encode("utf-16-le") not in raw


def test_audit_records_hold_counts_not_values(used_gateway: Gateway) -> None:
    engine = create_engine(used_gateway.settings.resolved_database_url)
    with engine.connect() as conn:
        bodies = [row[0] for row in conn.execute(text("SELECT body FROM audit_records"))]
    engine.dispose()
    calls = [json.loads(body) for body in bodies if b'"kind":"call"' in body]
    assert len(calls) == 2
    for call in calls:
        assert call["subject"].startswith("psn_") and call["status"] == 200
        assert call["entities"]["PERSON"] >= 1 and call["entities"]["EMAIL_ADDRESS"] >= 1
        assert call["actions"]["tokenized"] >= 4
        assert call["path"] == "/v1/chat/completions" and call["model"] == "gpt-4o-mini"
    assert calls[0]["usage"]["total_tokens"] > 0
    everything = b"".join(bodies)
    for value in [*VALUES, SUBJECT]:
        assert value.encode() not in everything


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_exports_hold_no_values(used_gateway: Gateway, fmt: str) -> None:
    response = httpx.get(f"{used_gateway.url}/admin/audit/export", params={"format": fmt},
                         headers={"authorization": f"Bearer {used_gateway.compliance_key}"})
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.content)) as bundle:
        contents = b"".join(bundle.read(name) for name in bundle.namelist())
    assert b"/v1/chat/completions" in contents
    for value in [*VALUES, SUBJECT]:
        assert value.encode() not in contents


def test_app_key_cannot_export(used_gateway: Gateway) -> None:
    response = httpx.get(f"{used_gateway.url}/admin/audit/export",
                         headers={"authorization": f"Bearer {used_gateway.app_key}"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "insufficient_role"
    assert httpx.get(f"{used_gateway.url}/admin/audit/export").status_code == 401
