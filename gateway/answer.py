"""Stages 7 to 9 of a call: the provider's answer restored, recorded and audited.

The restoring itself is pure (the scope was opened before the request left);
what needs I/O, the ledger and the audit log, happens here, so both edges
(reverse proxy, mitmproxy addon) share it. A stream is a :class:`StreamSession`:
``feed`` takes raw bytes cut anywhere and returns what the app may see now,
plus the objects the stream has revealed so far, which the edge must put in
the ledger before it passes those bytes on (the app may use an id the moment
it reads it).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from .codecs.base import ObjectRef, RawBody, dump_json
from .context import CallContext
from .errors import GatewayError, error_body
from .failclosed import stage
from .listing import maybe_json
from .services import Services
from .sse import SSEDecoder, SSEEvent
from .stages import children_of

log = logging.getLogger("piigate.pipeline")


def restored_error(ctx: CallContext, status: int, raw: bytes) -> bytes:
    """A provider error in OpenAI's shape, restored in the call's scope only."""
    with stage("answer", answered=True):
        body = maybe_json(raw)
        if not (isinstance(body, dict) and isinstance(body.get("error"), dict)):
            body = error_body(f"the upstream provider answered with status {status}",
                              "upstream_error", f"upstream_{status}")
        return dump_json(ctx.restorer().body(body, frozenset()))


def restored_whole(ctx: CallContext, raw: bytes, content_type: str
                   ) -> tuple[RawBody, list[ObjectRef]]:
    """The whole answer restored, and the objects it says were created."""
    with stage("answer", answered=True):
        restored = ctx.codec.restore_body(ctx.body, RawBody(raw, content_type), ctx.restorer())
        response = maybe_json(raw) if "json" in content_type else None
        _take_usage(response, ctx)
        return restored, children_of(ctx.match, ctx.codec.created_objects(ctx.body, response))


async def recorded(services: Services, ctx: CallContext, objects: list[ObjectRef]) -> None:
    """Stage 8: objects the answer created belong to the call's scope; a DELETE forgets."""
    with stage("ledger", answered=True):
        if objects:
            await services.ledger.record_all(
                ctx.scope, [(ref.kind, ref.upstream_id, ref.parent_id) for ref in objects])
            ctx.call.objects.extend(ref.upstream_id for ref in objects)
        matched = ctx.match
        deleted = matched.deleted_id if matched is not None and ctx.call.method == "DELETE" \
            else None
        if deleted is not None and 200 <= ctx.call.status < 300:
            await services.ledger.forget(ctx.scope.tenant, deleted)


async def audited(services: Services, ctx: CallContext) -> None:
    """Stage 9: the call's audit record is durable before the app gets the answer's end."""
    with stage("audit", answered=ctx.call.upstream_answered):
        await services.audit.append(ctx.call.record())


async def audit_refusal(services: Services, ctx_call: Any) -> None:
    """Audit a refused or broken call; if even that fails, the refusal still stands."""
    try:
        await services.audit.append(ctx_call.record())
    except Exception as exc:  # the refusal is already the answer; tell operators
        log.error("audit append failed for a refused call: %s", type(exc).__name__)


def _take_usage(body: Any, ctx: CallContext) -> None:
    usage = body.get("usage") if isinstance(body, dict) else None
    if isinstance(usage, dict):
        ctx.call.usage = {k: v for k, v in usage.items() if isinstance(v, int)}


class StreamSession:
    """One streamed answer: SSE bytes in, restored SSE bytes out. No I/O."""

    def __init__(self, ctx: CallContext) -> None:
        self._ctx = ctx
        self._decoder = SSEDecoder()
        self._restorer = ctx.codec.stream_restorer(ctx.body, ctx.restorer())
        self._recorded: set[ObjectRef] = set()

    def feed(self, chunk: bytes) -> tuple[bytes, list[ObjectRef]]:
        with stage("answer", answered=True):
            return self._events(self._decoder.decode(chunk))

    def end(self) -> tuple[bytes, list[ObjectRef]]:
        """The rest of the stream once the provider closed it."""
        with stage("answer", answered=True):
            out, created = self._events(self._decoder.flush())
            tail = b"".join(event.encode() for event in self._restorer.finish())
            self._ctx.call.usage = self._restorer.usage or {}
            return out + tail, created

    def _events(self, events: list[SSEEvent]) -> tuple[bytes, list[ObjectRef]]:
        out: list[SSEEvent] = []
        for event in events:
            out += self._restorer.on_event(event)
        created = [ref for ref in children_of(self._ctx.match, self._ctx.codec.created_objects(
            self._ctx.body, self._restorer.result)) if ref not in self._recorded]
        self._recorded.update(created)
        return b"".join(event.encode() for event in out), created


def stream_error_event(exc: BaseException) -> bytes:
    """The last event of a stream that broke: an OpenAI-shaped error, no traceback."""
    if isinstance(exc, GatewayError):
        body = error_body(exc.message, exc.error_type, exc.code)
    else:
        body = error_body("the upstream stream broke", "server_error", "stream_error")
    return SSEEvent(data=json.dumps(body)).encode()


__all__ = ["StreamSession", "audit_refusal", "audited", "recorded", "restored_error",
           "restored_whole", "stream_error_event"]
