"""Everything a request needs, built once per app in its lifespan (no globals)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import httpx
from sqlalchemy import Engine

import audit
import vault
from audit import AuditLog
from policies import Policy, Scanner, load_policy
from policies.common_words import warm_up as warm_up_common_words
from vault import Ledger, Vault
from vault.db import create_engine

from .auth import PrincipalCache
from .keystore import KeyStore
from .keystore import migrate as migrate_gateway
from .routes import Route, build_routes
from .settings import Settings
from .upstream import Upstream


@dataclass
class Services:
    settings: Settings
    engine: Engine
    policy: Policy
    scanner: Scanner
    vault: Vault
    ledger: Ledger
    audit: AuditLog
    keys: KeyStore
    upstream: Upstream
    routes: list[Route]
    principals: PrincipalCache = field(default_factory=PrincipalCache)
    owns_scanner: bool = True

    async def aclose(self) -> None:
        await self.upstream.aclose()
        if self.owns_scanner:
            await self.scanner.aclose()
        await self.audit.aclose()
        self.engine.dispose()


def open_engine(settings: Settings) -> Engine:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_engine(settings.resolved_database_url)
    vault.migrate(engine)
    audit.migrate(engine)
    migrate_gateway(engine)
    return engine


async def build_services(settings: Settings, *, scanner: Scanner | None = None,
                         upstream_transport: httpx.AsyncBaseTransport | None = None
                         ) -> Services:
    """Open storage, load the policy and models; any failure stops start-up."""
    policy = load_policy(settings.policy_file)
    master_key = settings.load_master_key()
    engine = await asyncio.to_thread(open_engine, settings)
    owns_scanner = scanner is None
    await asyncio.to_thread(warm_up_common_words)
    if scanner is None:
        scanner = await asyncio.to_thread(
            Scanner.create, policy, spacy_model=settings.spacy_model,
            workers=settings.resolved_detection_workers, cache_size=settings.detection_cache_size)
    api_key = settings.upstream_api_key.get_secret_value() if settings.upstream_api_key else None
    return Services(
        settings=settings,
        engine=engine,
        policy=policy,
        scanner=scanner,
        vault=Vault(engine, master_key),
        ledger=Ledger(engine, master_key),
        audit=AuditLog(engine, settings.audit_signing_key_path, settings.audit_origin,
                       checkpoint_every=settings.audit_checkpoint_every,
                       checkpoint_seconds=settings.audit_checkpoint_seconds),
        keys=KeyStore(engine),
        routes=build_routes(policy),
        upstream=Upstream(settings.upstream_base_url, api_key,
                          timeout=settings.upstream_timeout_seconds,
                          connect_timeout=settings.upstream_connect_timeout_seconds,
                          transport=upstream_transport),
        owns_scanner=owns_scanner,
    )
