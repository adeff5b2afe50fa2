"""``piigate``: serve, keys, scan, demo, audit."""

from __future__ import annotations

import json
import logging
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from .keystore import KeyStore, Role
from .settings import Settings

app = typer.Typer(help="piigate: a privacy and compliance gateway for LLM traffic.",
                  no_args_is_help=True, add_completion=False)
keys_app = typer.Typer(help="Gateway keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
console = Console(stderr=True)


def _settings() -> Settings:
    try:
        return Settings()
    except Exception as exc:
        console.print(f"[red]invalid settings:[/red] {exc}")
        raise typer.Exit(2) from None


@app.command()
def serve(host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
          port: Annotated[int, typer.Option(help="port to listen on")] = 8080) -> None:
    """Run the gateway."""
    import uvicorn

    from .app import create_app

    settings = _settings()
    logging.basicConfig(level=settings.log_level)
    # One line per upstream call is noise at INFO.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.root.level))
    if settings.upstream_api_key is None:
        console.print("[yellow]PIIGATE_UPSTREAM_API_KEY is not set: the provider will "
                      "answer 401 (use `piigate demo` for an offline run)[/yellow]")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info",
                access_log=False)


@keys_app.command("create")
def keys_create(tenant: Annotated[str, typer.Option(help="tenant the key belongs to")],
                role: Annotated[Role, typer.Option(help="app, compliance or admin")] = Role.APP,
                label: Annotated[str, typer.Option(help="a note for operators")] = "") -> None:
    """Create a gateway key; it is printed once, as the last line."""
    from .services import open_engine

    settings = _settings()
    engine = open_engine(settings)
    try:
        issued = KeyStore(engine).create(tenant, role, label)
        _audit_key_created(settings, engine, issued.principal.key_id, tenant, role)
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    finally:
        engine.dispose()
    console.print(f"created key {issued.principal.key_id} for tenant {tenant} (role {role})")
    typer.echo(issued.secret)


def _audit_key_created(settings: Settings, engine: object, key_id: str, tenant: str,
                       role: Role) -> None:
    import asyncio
    import uuid

    from audit import AuditLog
    from audit.records import admin_record

    async def append() -> None:
        log = AuditLog(engine, settings.audit_signing_key_path,  # type: ignore[arg-type]
                       settings.audit_origin)
        try:
            await log.append(admin_record(
                "keys.create", {"role": role.value}, request_id=f"cli_{uuid.uuid4().hex}",
                method="CLI", path="/keys/create", key_id=key_id, tenant=tenant))
        finally:
            await log.aclose()

    asyncio.run(append())


@keys_app.command("list")
def keys_list() -> None:
    """List keys (ids, tenants, roles; never secrets)."""
    from .services import open_engine

    engine = open_engine(_settings())
    try:
        rows = KeyStore(engine).list()
    finally:
        engine.dispose()
    table = Table("key id", "tenant", "role", "label", "created", "revoked")
    for row in rows:
        table.add_row(row.key_id, row.tenant, row.role, row.label, str(row.created_at),
                      str(row.revoked_at or ""))
    Console().print(table)


@keys_app.command("revoke")
def keys_revoke(key_id: str) -> None:
    """Revoke a key (takes effect within 30 seconds on running gateways)."""
    from .services import open_engine

    engine = open_engine(_settings())
    try:
        revoked = KeyStore(engine).revoke(key_id)
    finally:
        engine.dispose()
    if not revoked:
        console.print(f"[red]no active key {key_id}[/red]")
        raise typer.Exit(1)
    console.print(f"revoked {key_id}")


@app.command()
def scan(text: Annotated[str | None, typer.Argument(help="text to scan")] = None,
         jsonl: Annotated[bool, typer.Option(
             "--jsonl", help="read JSON lines (strings or {\"text\": ...}) from stdin")] = False,
         ) -> None:
    """Dry run: what would be found, and what the text would become. Nothing is stored."""
    from .dryrun import DryRunTokens, load_scanner, protect_text, read_jsonl_texts

    if jsonl == (text is not None):
        console.print("[red]give either TEXT or --jsonl[/red]")
        raise typer.Exit(2)
    settings = _settings()
    scanner = load_scanner(settings)
    texts = read_jsonl_texts(sys.stdin) if jsonl else [text or ""]
    tokens = DryRunTokens()
    results = [protect_text(line, findings, tokens)
               for line, findings in zip(texts, scanner.scan_sync(texts), strict=True)]
    if jsonl:
        for result in results:
            typer.echo(json.dumps(result, ensure_ascii=False))
        return
    result = results[0]
    table = Table("type", "start", "end", "score", "action", "value")
    for entity in result["entities"]:
        table.add_row(entity["type"], str(entity["start"]), str(entity["end"]),
                      f"{entity['score']:.2f}", entity["action"],
                      (text or "")[entity["start"]:entity["end"]])
    Console().print(table)
    typer.echo(result["text"])


@app.command()
def demo(serve_after: Annotated[bool, typer.Option(
        "--serve/--no-serve", help="keep the gateway running after the scripted conversation")
        ] = True, port: int = 8080) -> None:
    """Offline demo: simulated upstream + gateway + a scripted conversation."""
    from .demo import run_demo

    raise typer.Exit(run_demo(_settings(), port=port, serve_after=serve_after))


def _mount_audit() -> None:
    from .cli_audit import audit_app

    app.add_typer(audit_app, name="audit")


_mount_audit()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
