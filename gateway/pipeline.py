"""The one pipeline every proxied route goes through; routes differ only by codec.

auth -> subject/scope -> codec.request_slots -> detect -> tokenize -> upstream
-> restore (whole body or SSE stream) -> ledger -> audit -> client.

Fail closed: any failure of detection, the vault or the audit log refuses the
request with an OpenAI-shaped error; nothing is forwarded raw because
something broke.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import anyio
import httpx
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from audit import AuditError, AuditRecord
from audit.records import now as audit_now
from vault import Scope

from .auth import authenticate
from .codecs.base import (
    Codec,
    ForeignIds,
    JsonCodec,
    ObjectRef,
    ProtectTexts,
    RawBody,
    dump_json,
)
from .errors import (
    Forbidden,
    GatewayError,
    NotFound,
    ProtectionUnavailable,
    error_body,
)
from .failclosed import guard
from .keystore import Principal
from .listing import ListingRequest, is_tenant_listing, maybe_json, own_objects_only
from .protect import protect
from .request_body import is_json, parse_json, protect_query, read_limited
from .restore import ScopeRestorer
from .routes import RouteMatch, match_route
from .services import Services
from .slots import Slot
from .sse import SSEDecoder, SSEEvent
from .upstream import forwarded_headers, read_body

log = logging.getLogger("piigate.pipeline")

SUBJECT_HEADER = "x-piigate-subject"
PSEUDONYMISED_FIELDS = ("user", "safety_identifier")
RESPONSE_HEADERS = ("x-request-id", "openai-processing-ms", "openai-version",
                    "openai-organization")
PASSTHROUGH_CODEC = JsonCodec()


@dataclass
class Call:
    """What the audit record of this call will say; never a personal value."""

    method: str
    path: str
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

    def record(self) -> AuditRecord:
        return AuditRecord(
            time=audit_now(), request_id=self.request_id, kind="call",
            key_id=self.principal.key_id if self.principal else None,
            tenant=self.principal.tenant if self.principal else None,
            subject=self.subject_pseudonym, method=self.method, path=self.path,
            model=self.model, status=self.status,
            latency_ms=round((time.perf_counter() - self.started) * 1000, 3),
            usage=self.usage, entities=dict(self.entities), actions=dict(self.actions),
            objects=self.objects)


async def handle(services: Services, request: Request, path: str) -> Response:
    call = Call(method=request.method, path=f"/v1/{path}")
    try:
        response = await _proxy(services, request, path, call)
    except GatewayError as exc:
        call.status = exc.status
        await _audit_quietly(services, call)
        return exc.to_response({"x-piigate-request-id": call.request_id})
    return response


async def _proxy(services: Services, request: Request, path: str, call: Call) -> Response:
    call.principal = principal = await authenticate(services, request)
    matched = match_route(services.routes, request.method, path)
    codec = _codec_for(services, matched, call)
    raw = await read_limited(request, services.settings.max_body_bytes)
    content_type = request.headers.get("content-type", "")
    body = parse_json(raw) if is_json(raw, content_type) else None
    scope = await _scope_for(services, request, principal, body, matched)
    call.subject_pseudonym = services.vault.pseudonym(scope.tenant, scope.subject)
    headers = forwarded_headers(request.headers)
    params = await protect_query(request, _text_protector(services, scope, call))
    content: bytes | None = None
    if body is not None:
        await _check_references(services, codec, body, principal)
        if isinstance(body, dict):
            model = body.get("model")
            call.model = model if isinstance(model, str) else None
            _pseudonymise_fields(services, principal, body)
        await _protect(services, codec, body, scope, call)
        content, headers["content-type"] = dump_json(body), "application/json"
    elif raw:
        protected = await codec.protect_raw(RawBody(raw, content_type),
                                            _text_protector(services, scope, call),
                                            _foreign_ids(services, principal))
        content, headers["content-type"] = protected.content, protected.content_type
    upstream = await services.upstream.send(
        request.method, path, params=params, headers=headers, content=content)
    restorer = ScopeRestorer(services.vault, scope)
    call.status = upstream.status_code
    if upstream.status_code >= 400:
        return await _upstream_error(services, upstream, restorer, call)
    if upstream.headers.get("content-type", "").startswith("text/event-stream"):
        return _stream(services, upstream, codec, body, restorer, scope, matched, call)
    raw = await read_body(upstream)
    if is_tenant_listing(matched, call.method):
        listed = await own_objects_only(services, scope.tenant,
                                        ListingRequest(path, params, headers), raw)
        if isinstance(listed, httpx.Response):  # the provider refused a following page
            call.status = listed.status_code
            return await _upstream_error(services, listed, restorer, call)
        raw = listed
    return await _whole(services, upstream, raw, codec, body, restorer, scope, matched, call)


def _codec_for(services: Services, matched: RouteMatch | None, call: Call) -> Codec:
    if matched is not None:
        return matched.route.codec
    if services.policy.routes.unknown_paths == "passthrough":
        return PASSTHROUGH_CODEC
    raise Forbidden(f"{call.method} {call.path} is not allowed by the gateway policy",
                    code="path_blocked")


async def _scope_for(services: Services, request: Request, principal: Principal, body: Any,
                     matched: RouteMatch | None) -> Scope:
    if matched is not None and matched.route.owned and matched.object_id is not None:
        entry = await guard(services.ledger.owner(principal.tenant, matched.object_id))
        if entry is None:
            raise NotFound(f"no object {matched.object_id!r} for this key's tenant")
        return entry.scope
    return Scope(principal.tenant, subject_of(request, principal, body))


def subject_of(request: Request, principal: Principal, body: Any) -> str:
    header = request.headers.get(SUBJECT_HEADER, "").strip()
    if header:
        return header
    if isinstance(body, dict):
        for name in ("safety_identifier", "user"):
            value = body.get(name)
            if isinstance(value, str) and value.strip():
                return value.strip()
    return principal.default_subject


def _pseudonymise_fields(services: Services, principal: Principal, body: dict[str, Any]) -> None:
    for name in PSEUDONYMISED_FIELDS:
        value = body.get(name)
        if isinstance(value, str) and value:
            body[name] = services.vault.pseudonym(principal.tenant, value)


async def _protect(services: Services, codec: Codec, body: Any, scope: Scope, call: Call
                   ) -> None:
    slots = codec.request_slots(body)
    result = await guard(protect(body, slots, scope, services.scanner, services.vault))
    call.entities.update(result.entities)
    call.actions.update(result.actions)


def _text_protector(services: Services, scope: Scope, call: Call) -> ProtectTexts:
    async def protect_texts(texts: Sequence[str]) -> list[str]:
        items = list(texts)
        slots = [Slot((index,), text) for index, text in enumerate(items) if text]
        result = await guard(protect(items, slots, scope, services.scanner, services.vault))
        call.entities.update(result.entities)
        call.actions.update(result.actions)
        return items

    return protect_texts


async def _check_references(services: Services, codec: Codec, body: Any, principal: Principal
                            ) -> None:
    """Objects a request builds on (previous response, conversation...) must be ours."""
    named = codec.referenced_objects(body)
    foreign = await _foreign_ids(services, principal)(named) if named else set()
    for object_id in named:
        if object_id in foreign:
            raise NotFound(f"no object {object_id!r} for this key's tenant",
                           code="object_not_found")


def _foreign_ids(services: Services, principal: Principal) -> ForeignIds:
    async def foreign_ids(ids: Sequence[str]) -> set[str]:
        return set(ids) - await guard(services.ledger.owned(principal.tenant, ids))

    return foreign_ids


async def _upstream_error(services: Services, upstream: httpx.Response, restorer: ScopeRestorer,
                          call: Call) -> Response:
    body = maybe_json(await read_body(upstream))
    if not (isinstance(body, dict) and isinstance(body.get("error"), dict)):
        body = error_body(f"the upstream provider answered with status {upstream.status_code}",
                          "upstream_error", f"upstream_{upstream.status_code}")
    body = await guard(restorer.body(body, frozenset()))
    await _audit(services, call)
    return _json_response(body, upstream, call)


async def _whole(services: Services, upstream: httpx.Response, raw: bytes, codec: Codec,
                 request_body: Any, restorer: ScopeRestorer, scope: Scope,
                 matched: RouteMatch | None, call: Call) -> Response:
    content_type = upstream.headers.get("content-type", "")
    restored = await guard(codec.restore_body(request_body, RawBody(raw, content_type),
                                               restorer))
    response_json = maybe_json(raw) if "json" in content_type else None
    _take_usage(response_json, call)
    await _ledger(services, scope, _children_of(
        matched, codec.created_objects(request_body, response_json)), call)
    deleted = matched.deleted_id if matched is not None and call.method == "DELETE" else None
    if deleted is not None:
        await guard(services.ledger.forget(scope.tenant, deleted))
    await _audit(services, call)
    return Response(restored.content, status_code=upstream.status_code,
                    media_type=restored.content_type or None,
                    headers=_response_headers(upstream, call))


def _stream(services: Services, upstream: httpx.Response, codec: Codec, request_body: Any,
            restorer: ScopeRestorer, scope: Scope, matched: RouteMatch | None,
            call: Call) -> Response:
    stream_restorer = codec.stream_restorer(request_body, restorer)
    recorded: set[ObjectRef] = set()

    async def restored(upstream_events: list[SSEEvent]) -> list[bytes]:
        """Restore events; an object they reveal is in the ledger before the app sees it.

        The app may use a streamed object's id (a thread from create-and-run) the
        moment it reads it, so recording it only when the stream ends would race.
        """
        out: list[SSEEvent] = []
        for event in upstream_events:
            out += await stream_restorer.on_event(event)
        created = [ref for ref in _children_of(matched, codec.created_objects(
            request_body, stream_restorer.result)) if ref not in recorded]
        if created:
            recorded.update(created)
            with anyio.CancelScope(shield=True):
                await _ledger(services, scope, created, call)
        return [event.encode() for event in out]

    async def events() -> AsyncIterator[bytes]:
        decoder = SSEDecoder()
        try:
            async for chunk in upstream.aiter_raw():
                for data in await restored(decoder.decode(chunk)):
                    yield data
            for data in await restored(decoder.flush()):
                yield data
            for out in await stream_restorer.finish():
                yield out.encode()
            call.usage = stream_restorer.usage or {}
            with anyio.CancelScope(shield=True):
                await _audit(services, call)
        except (httpx.TransportError, GatewayError) as exc:
            call.status = exc.status if isinstance(exc, GatewayError) else 502
            message = exc.message if isinstance(exc, GatewayError) else (
                "the upstream stream broke")
            yield SSEEvent(data=json.dumps(error_body(message, "server_error", "stream_error"))
                           ).encode()
            with anyio.CancelScope(shield=True):
                await _audit_quietly(services, call)
        finally:
            with anyio.CancelScope(shield=True):
                await upstream.aclose()

    headers = _response_headers(upstream, call)
    headers["cache-control"] = "no-cache"
    return StreamingResponse(events(), status_code=upstream.status_code, headers=headers,
                             media_type="text/event-stream")


def _take_usage(body: Any, call: Call) -> None:
    usage = body.get("usage") if isinstance(body, dict) else None
    if isinstance(usage, dict):
        call.usage = {k: v for k, v in usage.items() if isinstance(v, int)}


def _children_of(matched: RouteMatch | None, objects: list[ObjectRef]) -> list[ObjectRef]:
    """Objects created below an owned path (a conversation's new items) are its children.

    Some answers name only the objects, not their parent (the path does); a
    parent the codec found in the answer itself is kept.
    """
    parent = matched.object_id if matched is not None and matched.route.owned else None
    if parent is None:
        return objects
    return [ref if ref.parent_id is not None or ref.upstream_id == parent
            else replace(ref, parent_id=parent) for ref in objects]


async def _ledger(services: Services, scope: Scope, objects: list[ObjectRef], call: Call
                  ) -> None:
    await guard(services.ledger.record_all(
        scope, [(ref.kind, ref.upstream_id, ref.parent_id) for ref in objects]))
    call.objects.extend(ref.upstream_id for ref in objects)


async def _audit(services: Services, call: Call) -> None:
    try:
        await services.audit.append(call.record())
    except AuditError as exc:
        log.error("audit append failed: %s", type(exc).__name__)
        raise ProtectionUnavailable(
            "the audit log is unavailable; the request was refused") from exc


async def _audit_quietly(services: Services, call: Call) -> None:
    """Audit a refused or broken call; a failure here is logged, the refusal stands."""
    try:
        await services.audit.append(call.record())
    except AuditError as exc:
        log.error("audit append failed for a refused call: %s", type(exc).__name__)


def _response_headers(upstream: httpx.Response, call: Call) -> dict[str, str]:
    headers = {name: upstream.headers[name] for name in RESPONSE_HEADERS
               if name in upstream.headers}
    headers.update({name: value for name, value in upstream.headers.items()
                    if name.startswith("x-ratelimit-")})
    headers["x-piigate-request-id"] = call.request_id
    return headers


def _json_response(body: Any, upstream: httpx.Response, call: Call) -> Response:
    return Response(dump_json(body), status_code=upstream.status_code,
                    media_type="application/json", headers=_response_headers(upstream, call))

