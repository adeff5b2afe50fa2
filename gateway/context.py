"""What one proxied call carries through the stages, whichever edge received it.

The reverse proxy (Starlette) and the forward proxy (mitmproxy) both turn
what they received into an :class:`Inbound`, run the same stages
(:mod:`gateway.stages`) over one :class:`CallContext`, send the
:class:`Outbound` they are given, and hand the answer back to the stages.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from audit import AuditRecord
from audit.records import now as audit_now
from vault import Scope

from .codecs.base import Codec
from .keystore import Principal
from .restore import Restorer
from .routing import RouteMatch
from .slots import Json
from .spellings import Spellings
from .upstream import QueryItem


@dataclass(frozen=True, slots=True)
class Inbound:
    """A request as the app sent it. ``path`` is relative to ``/v1/``."""

    method: str
    path: str
    query: list[tuple[str, str]]
    headers: Mapping[str, str]  # lower-case names
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


@dataclass(slots=True)
class Outbound:
    """What goes to the provider: only tokens, only the headers the gateway allows."""

    method: str
    path: str
    params: list[QueryItem]
    headers: dict[str, str]
    content: bytes | None


@dataclass
class Call:
    """What the audit record of this call will say; never a personal value."""

    method: str
    path: str
    # The route's template ("responses/{id}"): what logs and metrics name, never a raw id.
    route: str = "unrouted"
    request_id: str = field(default_factory=lambda: f"req_{uuid.uuid4().hex}")
    started: float = field(default_factory=time.perf_counter)
    principal: Principal | None = None
    subject_pseudonym: str | None = None
    model: str | None = None
    status: int = 0
    usage: dict[str, int] = field(default_factory=dict)
    entities: Counter[str] = field(default_factory=Counter)
    actions: Counter[str] = field(default_factory=Counter)
    objects: list[str] = field(default_factory=list)
    upstream_seconds: float = 0.0
    # Set once the provider answered: a failure after that is no refusal, the work was done.
    upstream_answered: bool = False

    def record(self) -> AuditRecord:
        return AuditRecord(
            time=audit_now(), request_id=self.request_id, kind="call",
            key_id=self.principal.key_id if self.principal else None,
            tenant=self.principal.tenant if self.principal else None,
            subject=self.subject_pseudonym, method=self.method, path=self.path,
            model=self.model, status=self.status,
            latency_ms=round(self.elapsed() * 1000, 3),
            usage=self.usage, entities=dict(self.entities), actions=dict(self.actions),
            objects=self.objects)

    def elapsed(self) -> float:
        return time.perf_counter() - self.started


class ScopeAccess:
    """The scope a call reads and writes values in, once opened for this call."""

    __slots__ = ("scope", "view")

    def __init__(self, scope: Scope, view: Any) -> None:
        self.scope = scope
        self.view = view  # vault.ScopeView or vault.ephemeral.EphemeralScope


@dataclass
class CallContext:
    """One call's state through the stages; each stage fills in what it owns."""

    inbound: Inbound
    call: Call
    codec: Codec
    match: RouteMatch | None = None
    body: Json = None  # the parsed JSON body, None for raw or empty bodies
    access: ScopeAccess | None = None
    spellings: Spellings = field(default_factory=Spellings)

    @property
    def scope(self) -> Scope:
        if self.access is None:
            raise RuntimeError("the scope is not open yet")
        return self.access.scope

    def restorer(self) -> Restorer:
        if self.access is None:
            raise RuntimeError("the scope is not open yet")
        return Restorer(self.access.view, self.spellings)
