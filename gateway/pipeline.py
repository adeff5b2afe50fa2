"""The reverse proxy's edge: a Starlette request through the stages and back.

The stages themselves are :mod:`gateway.stages` (request side) and
:mod:`gateway.answer` (answer side); this module only reads the request,
sends what the stages allow upstream, and writes the answer, whole or
streamed. One boundary catches everything: any failure becomes an
OpenAI-shaped error and an audit record, a stream ends with an error event,
and no exception reaches Starlette or uvicorn (whose logs would print its
message and traceback).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator

import anyio
import httpx
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from .answer import (
    StreamSession,
    audit_refusal,
    audited,
    recorded,
    restored_error,
    restored_whole,
    stream_error_event,
)
from .codecs.base import ObjectRef
from .context import Call, CallContext, Inbound, Outbound
from .errors import GatewayError, InternalError, PayloadTooLarge
from .listing import ListingRequest, is_tenant_listing, own_objects_only
from .services import Services
from .stages import prepare, protected
from .upstream import read_body

log = logging.getLogger("piigate.pipeline")
access_log = logging.getLogger("piigate.access")

RESPONSE_HEADERS = ("x-request-id", "openai-processing-ms", "openai-version",
                    "openai-organization")


async def handle(services: Services, request: Request, path: str) -> Response:
    call = Call(method=request.method, path=f"/v1/{path}")
    try:
        response = await _proxy(services, request, path, call)
    except Exception as exc:
        error = exc if isinstance(exc, GatewayError) else _unexpected(exc)
        call.status = error.status
        await audit_refusal(services, call)
        response = error.to_response({"x-piigate-request-id": call.request_id})
    if not isinstance(response, StreamingResponse):  # a stream logs itself when it ends
        _log_access(call)
    return response


def _unexpected(exc: Exception) -> GatewayError:
    log.error("unexpected failure outside the stages: %s", type(exc).__name__)
    return InternalError("internal gateway error; the request was not forwarded")


async def _proxy(services: Services, request: Request, path: str, call: Call) -> Response:
    inbound = Inbound(request.method, path, request.query_params.multi_items(),
                      {k.lower(): v for k, v in request.headers.items()},
                      await read_limited(request, services.settings.max_body_bytes))
    ctx = await prepare(services, inbound, call)
    outbound = await protected(services, ctx)
    upstream = await _send(services, outbound, call)
    if upstream.status_code >= 400:
        content = restored_error(ctx, upstream.status_code, await read_body(upstream))
        await audited(services, ctx)
        return _respond(content, upstream, call, "application/json")
    if upstream.headers.get("content-type", "").startswith("text/event-stream"):
        return _stream(services, upstream, ctx)
    raw = await read_body(upstream)
    if is_tenant_listing(ctx.match, call.method):
        listed = await own_objects_only(services, ctx.scope.tenant,
                                        ListingRequest(path, outbound.params, outbound.headers),
                                        raw)
        if isinstance(listed, httpx.Response):  # the provider refused a following page
            call.status = listed.status_code
            content = restored_error(ctx, listed.status_code, await read_body(listed))
            await audited(services, ctx)
            return _respond(content, listed, call, "application/json")
        raw = listed
    body, created = restored_whole(ctx, raw, upstream.headers.get("content-type", ""))
    await recorded(services, ctx, created)
    await audited(services, ctx)
    return _respond(body.content, upstream, call, body.content_type or None)


async def _send(services: Services, outbound: Outbound, call: Call) -> httpx.Response:
    started = time.perf_counter()
    upstream = await services.upstream.send(
        outbound.method, outbound.path, params=outbound.params, headers=outbound.headers,
        content=outbound.content)
    call.upstream_seconds = time.perf_counter() - started
    call.status = upstream.status_code
    call.upstream_answered = True
    return upstream


def _stream(services: Services, upstream: httpx.Response, ctx: CallContext) -> Response:
    session = StreamSession(ctx)
    call = ctx.call

    async def passed_on(data: bytes, created: list[ObjectRef]) -> bytes:
        if created:  # in the ledger before the app reads the ids (see StreamSession)
            with anyio.CancelScope(shield=True):
                await recorded(services, ctx, created)
        return data

    async def events() -> AsyncIterator[bytes]:
        try:
            async for chunk in upstream.aiter_raw():
                data = await passed_on(*session.feed(chunk))
                if data:
                    yield data
            data = await passed_on(*session.end())
            with anyio.CancelScope(shield=True):
                await audited(services, ctx)
            if data:
                yield data
        except Exception as exc:  # nothing may escape to uvicorn, which logs messages
            call.status = exc.status if isinstance(exc, GatewayError) else 502
            if not isinstance(exc, GatewayError | httpx.TransportError):
                log.error("stream failed: %s", type(exc).__name__)
            yield stream_error_event(exc)
            with anyio.CancelScope(shield=True):
                await audit_refusal(services, call)
        finally:
            _log_access(call)
            with anyio.CancelScope(shield=True):
                await upstream.aclose()

    headers = _response_headers(upstream, call)
    headers["cache-control"] = "no-cache"
    return StreamingResponse(events(), status_code=upstream.status_code, headers=headers,
                             media_type="text/event-stream")


async def read_limited(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"request body is larger than the limit of {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"request body is larger than the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _log_access(call: Call) -> None:
    """One line per call: what a reader needs, never a value (counts by type only)."""
    access_log.info(
        "%s %s %s %d %.1fms entities=%s", call.request_id, call.method, call.route,
        call.status, call.elapsed() * 1000,
        ",".join(f"{kind}:{count}" for kind, count in sorted(call.entities.items())) or "-",
        extra={"request_id": call.request_id, "route": call.route, "status": call.status,
               "tenant": call.principal.tenant if call.principal else None,
               "latency_ms": round(call.elapsed() * 1000, 1),
               "entities": dict(call.entities)})


def _response_headers(upstream: httpx.Response, call: Call) -> dict[str, str]:
    headers = {name: upstream.headers[name] for name in RESPONSE_HEADERS
               if name in upstream.headers}
    headers.update({name: value for name, value in upstream.headers.items()
                    if name.startswith("x-ratelimit-")})
    headers["x-piigate-request-id"] = call.request_id
    return headers


def _respond(content: bytes, upstream: httpx.Response, call: Call, media_type: str | None
             ) -> Response:
    return Response(content, status_code=upstream.status_code, media_type=media_type,
                    headers=_response_headers(upstream, call))
