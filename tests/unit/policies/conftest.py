"""Fixtures for the policies tests.

- ``no_network``: every socket connect and DNS lookup raises and is recorded,
  so a test proves that detection makes no network call.
- ``engine`` (session): one loaded detection engine (spaCy + every default
  recognizer + the PII tagger) shared by the tests that need real models, so
  the models load once per run.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from policies.engine import Engine
from policies.settings import EngineSettings


class NetworkAttempts(list[str]):
    """Where detection tried to reach the network (should stay empty)."""


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[NetworkAttempts]:
    attempts = NetworkAttempts()

    def refuse(what: str) -> Any:
        def blocked(*args: object, **kwargs: object) -> None:
            attempts.append(what)
            raise OSError(f"network access blocked in tests ({what})")

        return blocked

    monkeypatch.setattr(socket.socket, "connect", refuse("connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", refuse("connect_ex"))
    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    yield attempts


@pytest.fixture(scope="session")
def engine() -> Engine:
    return Engine.load(EngineSettings())
