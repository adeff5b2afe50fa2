"""End-to-end fixtures: a real uvicorn-served gateway in front of the simulated
provider, driven by the real ``openai`` SDK.

The detection models load once per session (one shared Scanner); the provider
and the gateway run once per session too, each test starting from a reset
simulator. Every test can read what the provider received from ``provider``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import openai
import pytest
from fastapi import FastAPI

from gateway.app import create_app
from gateway.keystore import KeyStore, Role
from gateway.server_thread import ServerThread
from gateway.services import Services, open_engine
from gateway.settings import Settings
from gateway.simulator import SimulatorState, create_simulator_app
from policies import Scanner, load_policy
from vault import Ledger, LedgerEntry


@dataclass
class Gateway:
    url: str
    settings: Settings
    app_key: str
    other_tenant_key: str
    compliance_key: str
    app: FastAPI

    @property
    def services(self) -> Services:
        services: Services = self.app.state.services
        return services

    def client(self, subject: str | None = "customer-42", key: str | None = None,
               **kwargs: object) -> openai.OpenAI:
        headers = {"X-Piigate-Subject": subject} if subject else {}
        return openai.OpenAI(base_url=f"{self.url}/v1", api_key=key or self.app_key,
                             default_headers=headers, max_retries=0, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def scanner() -> Iterator[Scanner]:
    scanner = Scanner.create(load_policy(None), workers=0)
    yield scanner


@pytest.fixture(scope="session")
def provider_state() -> SimulatorState:
    return SimulatorState()


@pytest.fixture(scope="session")
def provider_url(provider_state: SimulatorState) -> Iterator[str]:
    with ServerThread(create_simulator_app(provider_state)) as server:
        yield server.url


def make_settings(data_dir: Path, provider_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": data_dir, "upstream_base_url": f"{provider_url}/v1",
        "upstream_api_key": "sk-upstream-secret", "upstream_timeout_seconds": 5.0,
        "max_body_bytes": 2 * 1024 * 1024, "audit_checkpoint_every": 50,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def issue_keys(settings: Settings) -> tuple[str, str, str]:
    engine = open_engine(settings)
    store = KeyStore(engine)
    keys = (store.create("acme").secret, store.create("globex").secret,
            store.create("acme", Role.COMPLIANCE).secret)
    engine.dispose()
    return keys


@contextmanager
def running_gateway(data_dir: Path, provider_url: str, scanner: Scanner,
                    **overrides: object) -> Iterator[Gateway]:
    settings = make_settings(data_dir, provider_url, **overrides)
    app_key, other_key, compliance_key = issue_keys(settings)
    app = create_app(settings, scanner=scanner)
    with ServerThread(app) as server:
        yield Gateway(server.url, settings, app_key, other_key, compliance_key, app)


@pytest.fixture(scope="session")
def gateway(tmp_path_factory: pytest.TempPathFactory, provider_url: str,
            scanner: Scanner) -> Iterator[Gateway]:
    with running_gateway(tmp_path_factory.mktemp("gateway"), provider_url, scanner) as running:
        yield running


@pytest.fixture(scope="session")
def ledger(gateway: Gateway) -> Iterator[Ledger]:
    """The shared gateway's resource ledger, read directly from its database."""
    engine = open_engine(gateway.settings)
    yield Ledger(engine, gateway.settings.load_master_key())
    engine.dispose()


def ledger_owner(ledger: Ledger, upstream_id: str, tenant: str = "acme") -> LedgerEntry | None:
    return asyncio.run(ledger.owner(tenant, upstream_id))


@pytest.fixture
def make_gateway(tmp_path: Path, provider_url: str, scanner: Scanner
                 ) -> Callable[..., AbstractContextManager[Gateway]]:
    """A gateway of the test's own, with settings overridden (timeouts, limits, policy)."""
    def make(**overrides: object) -> AbstractContextManager[Gateway]:
        return running_gateway(tmp_path / "gw", overrides.pop("provider_url", provider_url),  # type: ignore[arg-type]
                               scanner, **overrides)
    return make


@pytest.fixture
def provider(provider_state: SimulatorState) -> Iterator[SimulatorState]:
    provider_state.reset()
    yield provider_state
    provider_state.reset()
