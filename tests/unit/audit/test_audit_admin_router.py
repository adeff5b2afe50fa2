"""gateway.admin_audit: the export endpoint, its guard, and its own audit record."""

from __future__ import annotations

import asyncio
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI, Header, HTTPException
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from audit import AuditLog, storage
from audit.records import from_canonical
from audit.verify import verify_bundle
from gateway.admin_audit import audit_router
from tests.unit.audit.audit_factories import ORIGIN, record


@dataclass(frozen=True)
class Principal:
    key_id: str
    tenant: str | None
    role: str


KEYS = {
    "app-key": Principal("key-app", "acme", "app"),
    "officer": Principal("key-officer", None, "compliance"),
    "acme-officer": Principal("key-acme", "acme", "compliance"),
}


def require_compliance(authorization: str = Header("")) -> Principal:
    principal = KEYS.get(authorization.removeprefix("Bearer "))
    if principal is None or principal.role != "compliance":
        raise HTTPException(403, "compliance role required")
    return principal


class FakeVault:
    def pseudonym(self, tenant: str, value: str) -> str:
        return f"psn_{tenant}_{value}"


@pytest.fixture
def log(engine: Engine, key_path: Path) -> Iterator[AuditLog]:
    audit_log = AuditLog(engine, key_path, ORIGIN)

    async def fill() -> None:
        for i in range(10):
            await audit_log.append(record(i))

    asyncio.run(fill())
    yield audit_log
    asyncio.run(audit_log.aclose())


@pytest.fixture
def client(log: AuditLog) -> Iterator[TestClient]:
    app = FastAPI()
    app.state.audit = log
    app.include_router(audit_router(require_compliance))
    with TestClient(app) as test_client:
        yield test_client


def _get(client: TestClient, key: str, **params: str) -> tuple[int, bytes]:
    response = client.get(
        "/admin/audit/export", params=params, headers={"authorization": f"Bearer {key}"}
    )
    return response.status_code, response.content


def _last(engine: Engine) -> storage.StoredRecord:
    with engine.connect() as conn:
        return list(storage.iter_records(conn))[-1]


def test_compliance_key_gets_a_verifiable_bundle(
    client: TestClient, log: AuditLog, engine: Engine, tmp_path: Path
) -> None:
    status, body = _get(client, "officer", **{"from": "2025-03-01", "to": "2025-03-06"})
    assert status == 200
    bundle = tmp_path / "b.zip"
    bundle.write_bytes(body)
    report = verify_bundle(bundle, log.verifier)
    assert report.ok and report.records == 5
    made = from_canonical(_last(engine).body)
    assert made.kind == "admin" and made.key_id == "key-officer"
    assert made.detail["action"] == "audit.export" and made.detail["records"] == "5"
    assert made.path == "/admin/audit/export"


def test_app_key_is_refused_and_nothing_is_recorded(client: TestClient, engine: Engine) -> None:
    assert _get(client, "app-key")[0] == 403
    assert _get(client, "nobody")[0] == 403
    assert _last(engine).index == 9


def test_tenant_bound_key_sees_its_tenant_only(client: TestClient, tmp_path: Path) -> None:
    assert _get(client, "acme-officer", tenant="globex")[0] == 403
    status, body = _get(client, "acme-officer", format="csv")
    assert status == 200
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        rows = archive.read("records.csv").decode().splitlines()[1:]
    assert len(rows) == 5 and all(",acme," in row for row in rows)


def test_subject_filters(client: TestClient, log: AuditLog) -> None:
    status, _ = _get(client, "officer", subject_pseudonym="psn_subject1")
    assert status == 200
    assert _get(client, "officer", subject="raw-user", tenant="acme")[0] == 400
    client.app.state.vault = FakeVault()  # type: ignore[attr-defined]
    assert _get(client, "officer", subject="raw-user")[0] == 400  # needs a tenant
    status, _ = _get(client, "officer", subject="raw-user", tenant="acme")
    assert status == 200
    assert _get(client, "officer", subject="a", subject_pseudonym="psn_b")[0] == 400


def test_bad_parameters(client: TestClient) -> None:
    assert _get(client, "officer", **{"from": "last tuesday"})[0] == 400
    assert _get(client, "officer", format="xml")[0] == 422


def test_unrecordable_export_is_not_handed_out(client: TestClient, log: AuditLog) -> None:
    asyncio.run(log.aclose())
    assert _get(client, "officer")[0] == 503
