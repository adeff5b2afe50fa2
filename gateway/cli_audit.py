"""``piigate audit ...``: export, verify, fsck, checkpoints, retention, holds.

Everything but ``verify`` works on the gateway's database and data directory,
read from :class:`gateway.settings.Settings` (``PIIGATE_DATABASE_URL``,
``PIIGATE_DATA_DIR``) unless ``--database-url`` / ``--data-dir`` are given.
``verify`` needs neither: it is what a compliance officer runs on a bundle
away from the gateway. Actions that change or reveal the log (export, prune,
legal holds) are themselves appended to it as admin records.

Exit codes: 0 when everything holds, 1 when a check fails (the first broken
record is named), 2 for usage errors.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import Engine

import audit
from audit import retention, storage
from audit.bundle import ExportQuery
from audit.checkpoint import Signer, Verifier, open_checkpoint
from audit.errors import AuditError
from audit.export import export_bundle
from audit.fsck import fsck as run_fsck
from audit.keys import load_or_create_signer
from audit.records import AuditRecord, admin_record, parse_time_bound
from audit.verify import verify_bundle
from gateway.settings import Settings
from vault import Vault
from vault.db import create_engine

audit_app = typer.Typer(
    help="Tamper-evident audit log: export, verify, fsck, retention.", no_args_is_help=True
)


@dataclass(frozen=True)
class _Where:
    database_url: str | None
    data_dir: Path | None

    def settings(self) -> Settings:
        overrides: dict[str, object] = {}
        if self.database_url is not None:
            overrides["database_url"] = self.database_url
        if self.data_dir is not None:
            overrides["data_dir"] = self.data_dir
        return Settings().model_copy(update=overrides)


@audit_app.callback()
def _options(
    ctx: typer.Context,
    database_url: Annotated[
        str | None, typer.Option(help="Database URL (default: PIIGATE_DATABASE_URL).")
    ] = None,
    data_dir: Annotated[
        Path | None, typer.Option(help="Data directory with audit-signing.key.")
    ] = None,
) -> None:
    ctx.obj = _Where(database_url, data_dir)


@dataclass(frozen=True)
class _Log:
    settings: Settings
    engine: Engine
    signer: Signer

    def record(
        self,
        command: str,
        detail: dict[str, str],
        tenant: str | None = None,
        subject: str | None = None,
    ) -> None:
        """Append this CLI action to the log (fail closed: a failure is an error)."""
        entry = admin_record(
            f"audit.{command}",
            detail,
            request_id=f"cli-{uuid.uuid4().hex}",
            method="CLI",
            path=f"/cli/audit/{command}",
            tenant=tenant,
            subject=subject,
        )
        asyncio.run(_append(self, entry))


async def _append(log: _Log, entry: AuditRecord) -> None:
    writer = audit.AuditLog(
        log.engine,
        log.settings.audit_signing_key_path,
        log.signer.name,
        checkpoint_every=log.settings.audit_checkpoint_every,
    )
    try:
        await writer.append(entry)
    finally:
        await writer.aclose()


@contextmanager
def _open(ctx: typer.Context) -> Iterator[_Log]:
    settings = ctx.ensure_object(_Where).settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_engine(settings.resolved_database_url)
    try:
        audit.migrate(engine)
        with engine.connect() as conn:
            _, origin = storage.head(conn)
        origin = origin or settings.audit_origin
        signer = load_or_create_signer(settings.audit_signing_key_path, origin)
        yield _Log(settings, engine, signer)
    except AuditError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()


@audit_app.command()
def export(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", help="Bundle file to write (a .zip).")],
    start: Annotated[
        str | None, typer.Option("--from", help="Date or RFC 3339 time, inclusive.")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="Date or RFC 3339 time, exclusive.")
    ] = None,
    tenant: Annotated[str | None, typer.Option(help="Only this tenant.")] = None,
    subject: Annotated[
        str | None, typer.Option(help="Only this raw subject id (pseudonymised; needs --tenant).")
    ] = None,
    subject_pseudonym: Annotated[
        str | None, typer.Option(help="Only this subject pseudonym (psn_...).")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="jsonl or csv.")] = "jsonl",
    since_checkpoint: Annotated[
        Path | None, typer.Option(help="Earlier checkpoint to include a consistency proof from.")
    ] = None,
) -> None:
    """Write records, a signed checkpoint and their proofs to a bundle."""
    with _open(ctx) as log:
        query = ExportQuery(
            start=parse_time_bound(start) if start else None,
            end=parse_time_bound(end) if end else None,
            tenant=tenant,
            subject=_subject(log.settings, tenant, subject, subject_pseudonym),
        )
        since = _since_size(since_checkpoint, log.signer.verifier)
        summary = export_bundle(log.engine, log.signer, query, out, fmt, since)
        detail = {
            "format": fmt,
            "records": str(summary.records),
            "tree_size": str(summary.tree_size),
        }
        for key, value in (("from", query.start), ("to", query.end)):
            if value is not None:
                detail[key] = value
        log.record("export", detail, tenant, query.subject)
        typer.echo(f"wrote {summary.records} records (tree size {summary.tree_size}) to {out}")


def _subject(
    settings: Settings, tenant: str | None, raw: str | None, pseudonym: str | None
) -> str | None:
    if raw is not None and pseudonym is not None:
        raise AuditError("give --subject or --subject-pseudonym, not both")
    if raw is None:
        return pseudonym
    if tenant is None:
        raise AuditError("--subject needs --tenant: pseudonyms are per tenant")
    key_file = settings.master_key_file or settings.data_dir / "master.key"
    if settings.master_key is None and not key_file.exists():
        raise AuditError("no master key to pseudonymise --subject; use --subject-pseudonym")
    engine = create_engine(settings.resolved_database_url)
    try:
        return Vault(engine, settings.load_master_key()).pseudonym(tenant, raw)
    finally:
        engine.dispose()


def _since_size(path: Path | None, verifier: Verifier) -> int | None:
    if path is None:
        return None
    try:
        note = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AuditError(f"cannot read {path}") from exc
    return open_checkpoint(note, verifier).size


@audit_app.command()
def verify(
    bundle: Annotated[Path, typer.Argument(help="Bundle file written by export.")],
    public_key: Annotated[
        str | None, typer.Option(help="Verifier key (name+hash+key) or a file holding it.")
    ] = None,
    since_checkpoint: Annotated[
        Path | None, typer.Option(help="checkpoint.txt of an earlier bundle.")
    ] = None,
) -> None:
    """Check a bundle offline; exit 0 only when everything holds."""
    try:
        key = _verifier(public_key) if public_key else None
        since = since_checkpoint.read_text(encoding="utf-8") if since_checkpoint else None
    except (AuditError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    report = verify_bundle(bundle, key, since)
    typer.echo(f"key: {report.vkey or 'none'}")
    typer.echo(f"     from {report.key_source}")
    if report.checkpoint is not None:
        typer.echo(
            f"checkpoint: origin {report.checkpoint.origin}, tree size {report.checkpoint.size}"
        )
    typer.echo(f"records verified: {report.records}")
    if report.since_size is not None and report.ok:
        typer.echo(f"consistent with the earlier checkpoint at size {report.since_size}")
    if report.problem is not None:
        typer.echo(f"FAILED: {report.problem}")
        raise typer.Exit(1)
    typer.echo("OK")


def _verifier(text: str) -> Verifier:
    candidate = Path(text)
    if len(text) < 4096 and candidate.is_file():
        text = candidate.read_text(encoding="utf-8")
    return Verifier.from_vkey(text)


@audit_app.command()
def fsck(
    ctx: typer.Context,
    public_key: Annotated[
        str | None, typer.Option(help="Check against this key instead of the local key file.")
    ] = None,
) -> None:
    """Recompute the tree from the database and compare with every checkpoint."""
    with _open(ctx) as log:
        key = _verifier(public_key) if public_key else log.signer.verifier
        report = run_fsck(log.engine, key)
    typer.echo(
        f"size {report.size}, {report.records} records, {report.pruned_blocks} pruned blocks, "
        f"{report.checkpoints} checkpoints"
    )
    if report.problem is not None:
        typer.echo(f"FAILED: {report.problem}")
        raise typer.Exit(1)
    typer.echo("OK")


@audit_app.command("public-key")
def public_key(ctx: typer.Context) -> None:
    """Print the log's verifier key (give it to auditors out of band)."""
    with _open(ctx) as log:
        typer.echo(log.signer.verifier.vkey)


@audit_app.command()
def checkpoint(ctx: typer.Context) -> None:
    """Sign the log as it is now and print the checkpoint."""
    with _open(ctx) as log, log.engine.begin() as conn:
        signed = storage.make_checkpoint(conn, log.signer)
    typer.echo(signed.note, nl=False)


@audit_app.command()
def prune(
    ctx: typer.Context,
    days: Annotated[int, typer.Option(help="Retention period in days.")] = retention.DEFAULT_DAYS,
    force: Annotated[bool, typer.Option(help="Allow a period below 6 months.")] = False,
) -> None:
    """Remove records older than the retention period, in whole subtrees."""
    with _open(ctx) as log:
        policy = retention.RetentionPolicy(days, force)
        report = retention.prune(log.engine, log.signer, policy)
        detail = {
            "cutoff": report.cutoff,
            "days": str(days),
            "blocks": ",".join(f"{b.begin}-{b.end - 1}" for b in report.blocks) or "none",
            "records": str(report.records),
        }
        log.record("prune", detail)
    typer.echo(
        f"pruned {report.records} records in {len(report.blocks)} blocks before {report.cutoff}"
    )


@audit_app.command()
def hold(
    ctx: typer.Context,
    reference: Annotated[str, typer.Option(help="Case reference (no names).")],
    tenant: Annotated[str | None, typer.Option(help="Hold this tenant's records.")] = None,
    subject_pseudonym: Annotated[
        str | None, typer.Option(help="Hold this subject's records (psn_...).")
    ] = None,
) -> None:
    """Place a legal hold: matching records are never pruned until released."""
    with _open(ctx) as log:
        placed = retention.place_hold(log.engine, reference, tenant, subject_pseudonym)
        detail = {"hold": str(placed.id), "reference": reference}
        log.record("hold", detail, tenant, subject_pseudonym)
    typer.echo(f"legal hold {placed.id} placed")


@audit_app.command()
def release(ctx: typer.Context, hold_id: Annotated[int, typer.Argument(help="Hold id.")]) -> None:
    """Release a legal hold."""
    with _open(ctx) as log:
        retention.release_hold(log.engine, hold_id)
        log.record("release", {"hold": str(hold_id)})
    typer.echo(f"legal hold {hold_id} released")


@audit_app.command()
def holds(
    ctx: typer.Context,
    show_all: Annotated[bool, typer.Option("--all", help="Include released holds.")] = False,
) -> None:
    """List legal holds."""
    with _open(ctx) as log:
        for item in retention.list_holds(log.engine, include_released=show_all):
            state = f"released {item.released_at}" if item.released_at else "active"
            typer.echo(
                f"{item.id}\ttenant={item.tenant or '*'}\tsubject={item.subject or '*'}\t"
                f"{item.reference}\t{item.created_at}\t{state}"
            )
