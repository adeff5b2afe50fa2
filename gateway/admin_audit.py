"""``GET /admin/audit/export``: the export bundle over the admin API.

Open only to principals that ``require_compliance`` lets through (admin keys
with the ``compliance`` role; an app key gets 403 from that dependency). A
principal bound to a tenant exports that tenant only. The export is itself
an audited admin action, appended before the bundle is returned: if it
cannot be recorded, the bundle is not handed out.

Query parameters: ``from``/``to`` (date or RFC 3339 time; from inclusive, to
exclusive), ``tenant``, ``subject`` (a raw subject id, pseudonymised with
the app's vault: ``app.state.vault`` or ``app.state.services.vault``) or
``subject_pseudonym`` (``psn_...``), ``format`` (``jsonl`` or ``csv``),
``since_size`` (include a consistency proof from that earlier tree size).
"""

# No ``from __future__ import annotations`` here: FastAPI must evaluate the
# route's annotations, and one of them names the ``require_compliance`` closure.
import contextlib
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from audit import AuditLog
from audit.bundle import ExportQuery
from audit.errors import AuditError, RecordError
from audit.records import AuditRecord, admin_record, parse_time_bound

EXPORT_PATH = "/admin/audit/export"


class _Principal(Protocol):
    key_id: str
    tenant: str | None
    role: str


def audit_router(require_compliance: Callable[..., Any]) -> APIRouter:
    """The admin routes of the audit log, guarded by ``require_compliance``."""
    router = APIRouter()

    @router.get(EXPORT_PATH)
    async def export_audit(
        request: Request,
        principal: Annotated[Any, Depends(require_compliance)],
        start: Annotated[str | None, Query(alias="from")] = None,
        end: Annotated[str | None, Query(alias="to")] = None,
        tenant: str | None = None,
        subject: str | None = None,
        subject_pseudonym: str | None = None,
        fmt: Annotated[str, Query(alias="format", pattern="^(jsonl|csv)$")] = "jsonl",
        since_size: Annotated[int | None, Query(ge=1)] = None,
    ) -> FileResponse:
        began = time.perf_counter()
        log: AuditLog = request.app.state.audit
        scope = _tenant(principal, tenant)
        try:
            query = ExportQuery(
                start=parse_time_bound(start) if start else None,
                end=parse_time_bound(end) if end else None,
                tenant=scope,
                subject=_subject(request, scope, subject, subject_pseudonym),
            )
        except RecordError as exc:
            raise HTTPException(400, str(exc)) from exc
        out = Path(tempfile.mkdtemp(prefix="piigate-export-")) / "audit-export.zip"
        try:
            summary = await log.export(query, out, fmt, since_size)
            await log.append(_record(request, principal, query, fmt, summary.records, began))
        except AuditError as exc:
            _remove(out)
            raise HTTPException(
                503, "the audit log could not produce or record the export"
            ) from exc
        return FileResponse(
            out,
            media_type="application/zip",
            filename=f"piigate-audit-{summary.tree_size}.zip",
            background=BackgroundTask(_remove, out),
        )

    return router


def _tenant(principal: _Principal, wanted: str | None) -> str | None:
    """A tenant-bound compliance key sees its own tenant only."""
    own = getattr(principal, "tenant", None)
    if own is None:
        return wanted
    if wanted is not None and wanted != own:
        raise HTTPException(403, "this key may export its own tenant only")
    return str(own)


def _subject(
    request: Request, tenant: str | None, raw: str | None, pseudonym: str | None
) -> str | None:
    if raw is not None and pseudonym is not None:
        raise HTTPException(400, "give subject or subject_pseudonym, not both")
    if raw is None:
        return pseudonym
    state = request.app.state
    services = getattr(state, "services", None)
    vault = getattr(state, "vault", None) or getattr(services, "vault", None)
    if vault is None or tenant is None:
        raise HTTPException(400, "subject needs a tenant and the vault; use subject_pseudonym")
    return str(vault.pseudonym(tenant, raw))


def _record(
    request: Request,
    principal: _Principal,
    query: ExportQuery,
    fmt: str,
    count: int,
    began: float,
) -> AuditRecord:
    detail = {"format": fmt, "records": str(count)}
    for key, value in (("from", query.start), ("to", query.end)):
        if value is not None:
            detail[key] = value
    return admin_record(
        "audit.export",
        detail,
        # The gateway's own id for this request when it set one; never a client header.
        request_id=getattr(request.state, "request_id", None) or f"req-{uuid.uuid4().hex}",
        method="GET",
        path=EXPORT_PATH,
        key_id=getattr(principal, "key_id", None),
        tenant=query.tenant,
        subject=query.subject,
        latency_ms=(time.perf_counter() - began) * 1000,
    )


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        path.parent.rmdir()
