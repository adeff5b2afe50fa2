"""The stages of a proxied call, in order, each with its contract.

Both edges (the reverse proxy in :mod:`gateway.pipeline`, the mitmproxy addon)
run exactly these, each inside :func:`gateway.failclosed.stage`:

1. ``authenticate``  gateway key -> principal (tenant, role); 401 otherwise.
2. ``route``         path -> codec; an unknown path is blocked (403) or passed
                     through with every string scanned, per policy.
3. ``parse``         a JSON body is parsed (400 if it does not parse); any other
                     body stays raw for its codec.
4. ``scope``         whose values these are: the path's stored object (404 for
                     another tenant's, or another subject's unless the policy
                     allows), else the named subject, else the policy for calls
                     without one; the scope is opened once, fresh, for the call.
5. ``references``    every stored object the body builds on is the tenant's (404).
6. ``protect``       body, raw body, query and forwarded headers are scanned and
                     tokenized; the result is the :class:`Outbound` request.
   (the edge sends it)
7. ``answer``        the provider's answer, whole or streamed, is restored in the
                     call's scope (:meth:`Answer.whole`, :meth:`Answer.stream`).
8. ``ledger``        objects the answer created are recorded for the scope.
9. ``audit``         one record per call, written before the app sees the end of
                     the answer; failing that, the answer is withheld.

A stage reads what earlier ones put in the :class:`CallContext` and adds its
own part; none sends anything upstream, so a refusal at any stage before 7
means nothing was forwarded.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from policies.common_words import is_common_word
from vault import Scope
from vault.ephemeral import EphemeralScope

from .auth import authenticate
from .codecs.base import Codec, JsonCodec, ObjectRef, RawBody, dump_json
from .codecs.files import FilesCodec
from .context import Call, CallContext, Inbound, Outbound, ScopeAccess
from .errors import BadRequest, Forbidden, NotFound
from .failclosed import stage
from .keystore import Principal
from .protect import protect
from .request_meta import protect_headers, protect_query
from .routing import RouteMatch, match_route
from .services import Services
from .slots import Json, Slot, SlotKind, get_path, set_path

SUBJECT_HEADER = "x-piigate-subject"
PSEUDONYMISED_FIELDS = ("user", "safety_identifier")
# A scope of one call only (``subjects.missing: request``): the ledger owner
# of what such a call creates. Not a subject an app can name (control character).
EPHEMERAL_SUBJECT = "\x00request"
MAX_SUBJECT_LENGTH = 256
PASSTHROUGH_CODEC = JsonCodec()


async def prepare(services: Services, inbound: Inbound, call: Call) -> CallContext:
    """Stages 1 to 5: who calls, for what, in whose scope. Nothing is sent."""
    with stage("authenticate"):
        call.principal = await authenticate(services.keys, services.principals,
                                            inbound.headers.get("authorization"))
    with stage("route"):
        matched = match_route(services.routes, inbound.method, inbound.path)
        ctx = CallContext(inbound, call, _codec_for(services, matched, call), matched)
        call.route = matched.route.template if matched is not None else "passthrough"
    with stage("parse"):
        ctx.body = _parsed(inbound)
        if isinstance(ctx.body, dict) and isinstance(ctx.body.get("model"), str):
            call.model = ctx.body["model"]
    with stage("scope"):
        ctx.access = await _open_scope(services, ctx, call.principal)
        call.subject_pseudonym = services.vault.pseudonym(ctx.scope.tenant, ctx.scope.subject)
    with stage("references"):
        await _check_references(services, ctx.codec, ctx.body, call.principal)
    return ctx


async def protected(services: Services, ctx: CallContext) -> Outbound:
    """Stage 6: the request as it may leave, with tokens in place of values."""
    with stage("protect"):
        inbound, body = ctx.inbound, ctx.body
        content: bytes | None = None
        content_type: str | None = None
        if body is not None:
            if isinstance(body, dict):
                _pseudonymise_fields(services, ctx, body)
                _apply_store_policy(services, ctx, body)
            await _protect_document(services, ctx, body, ctx.codec.request_slots(body))
            content, content_type = dump_json(body), "application/json"
        elif inbound.body:
            raw = await ctx.codec.protect_raw(RawBody(inbound.body, inbound.content_type),
                                              _Protector(services, ctx))
            content, content_type = raw.content, raw.content_type
        texts = _Protector(services, ctx).texts
        params = await protect_query(inbound.query, texts)
        headers = await protect_headers(inbound.headers, texts)
        if content_type is not None:
            headers["content-type"] = content_type
        return Outbound(inbound.method, inbound.path, params, headers, content)


def _codec_for(services: Services, matched: RouteMatch | None, call: Call) -> Codec:
    if matched is not None:
        return matched.route.codec
    if services.policy.routes.unknown_paths == "passthrough":
        return PASSTHROUGH_CODEC
    raise Forbidden(f"{call.method} {call.path} is not allowed by the gateway policy",
                    code="path_blocked")


def _parsed(inbound: Inbound) -> Json:
    raw = inbound.body
    if not raw.strip():
        return None
    content_type = inbound.content_type.lower()
    if "json" not in content_type and (content_type or raw.lstrip()[:1] not in (b"{", b"[")):
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("the request body is not valid JSON", code="invalid_json") from None


def named_subject(inbound: Inbound, body: Json) -> str | None:
    """The data subject the app names: the header, else ``safety_identifier`` or ``user``."""
    candidates: list[Any] = [inbound.headers.get(SUBJECT_HEADER)]
    if isinstance(body, dict):
        candidates += [body.get("safety_identifier"), body.get("user")]
    for value in candidates:
        if isinstance(value, str) and value.strip():
            subject = value.strip()
            if len(subject) > MAX_SUBJECT_LENGTH or not subject.isprintable():
                raise BadRequest("the data subject must be at most 256 printable characters",
                                 code="invalid_subject")
            return subject
    return None


async def _open_scope(services: Services, ctx: CallContext, principal: Principal | None
                      ) -> ScopeAccess:
    assert principal is not None  # authenticate ran first
    policy = services.policy.subjects
    subject = named_subject(ctx.inbound, ctx.body)
    if subject is None and policy.missing == "key":
        subject = principal.default_subject
    matched = ctx.match
    if matched is not None and matched.route.owned and matched.object_id is not None:
        entry = await services.ledger.owner(principal.tenant, matched.object_id)
        if entry is None:
            raise NotFound(f"no object {matched.object_id!r} for this key's tenant")
        owner = entry.scope
        if owner.subject == EPHEMERAL_SUBJECT:  # its values lived for one call: none remain
            return ScopeAccess(owner, EphemeralScope())
        if (policy.reads == "same-subject" and not matched.route.shared
                and subject != owner.subject):
            raise NotFound(f"no object {matched.object_id!r} for this data subject")
        return ScopeAccess(owner, await services.vault.open(owner))
    if subject is None:
        if policy.missing == "required":
            raise BadRequest("this gateway needs the data subject of every call: send the "
                             "X-Piigate-Subject header (or safety_identifier / user)",
                             code="subject_required")
        return ScopeAccess(Scope(principal.tenant, EPHEMERAL_SUBJECT), EphemeralScope())
    scope = Scope(principal.tenant, subject)
    return ScopeAccess(scope, await services.vault.open(scope))


async def _check_references(services: Services, codec: Codec, body: Json,
                            principal: Principal | None) -> None:
    """Objects a request builds on (previous response, conversation...) must be ours."""
    assert principal is not None
    named = codec.referenced_objects(body) if body is not None else []
    if not named:
        return
    owned = await services.ledger.owned(principal.tenant, named)
    for object_id in named:
        if object_id not in owned:
            raise NotFound(f"no object {object_id!r} for this key's tenant",
                           code="object_not_found")


def _pseudonymise_fields(services: Services, ctx: CallContext, body: dict[str, Any]) -> None:
    for name in PSEUDONYMISED_FIELDS:
        value = body.get(name)
        if isinstance(value, str) and value:
            body[name] = services.vault.pseudonym(ctx.scope.tenant, value)


def _apply_store_policy(services: Services, ctx: CallContext, body: dict[str, Any]) -> None:
    """Fewer objects at the provider, fewer to erase (``routes.store``)."""
    mode = services.policy.routes.store
    if mode == "as_sent" or ctx.match is None or not ctx.match.route.stores:
        return
    if body.get("store") is True and mode == "never":
        raise Forbidden("the gateway policy does not let the provider store responses "
                        "(routes.store: never); send store: false", code="store_refused",
                        param="store")
    body.setdefault("store", False)


async def _protect_document(services: Services, ctx: CallContext, document: Json,
                            slots: Sequence[Slot]) -> None:
    assert ctx.access is not None
    policy = services.policy
    inline = [slot for slot in slots if slot.kind is SlotKind.DATA_URL]
    if inline:
        await _protect_inline_files(services, ctx, document, inline)
        slots = [slot for slot in slots if slot.kind is not SlotKind.DATA_URL]
    result = await protect(
        document, slots, ctx.access.view, services.scanner,
        action_of=lambda kind: policy.rule_for(kind).action, common_word=is_common_word,
        spellings=ctx.spellings, refuse_numbers=policy.routes.numbers == "refuse")
    ctx.call.entities.update(result.entities)
    ctx.call.actions.update(result.actions)


async def _protect_inline_files(services: Services, ctx: CallContext, document: Json,
                                inline: Sequence[Slot]) -> None:
    """Files sent inline (``file_data``) are protected exactly as uploads of them."""
    routes = services.policy.routes
    files = FilesCodec(pdf_files=routes.pdf_files, binary_files=routes.binary_files)
    for slot in inline:
        sibling = get_path(document, slot.path[:-1]) if len(slot.path) > 1 else None
        filename = sibling.get("filename") if isinstance(sibling, dict) else None
        protected = await files.protect_data_url(
            slot.text, filename if isinstance(filename, str) else None, _Protector(services, ctx))
        if protected != slot.text:
            set_path(document, slot.path, protected)


class _Protector:
    """The call's protection for codecs that walk their own bodies (uploads, batches)."""

    def __init__(self, services: Services, ctx: CallContext) -> None:
        self._services = services
        self._ctx = ctx

    async def texts(self, texts: Sequence[str]) -> list[str]:
        items = list(texts)
        await self.document(items, [Slot((index,), text) for index, text in enumerate(items)
                                    if text])
        return items

    async def document(self, document: Json, slots: Sequence[Slot]) -> None:
        await _protect_document(self._services, self._ctx, document, slots)

    async def foreign_ids(self, ids: Sequence[str]) -> set[str]:
        principal = self._ctx.call.principal
        assert principal is not None
        return set(ids) - await self._services.ledger.owned(principal.tenant, ids)


def children_of(matched: RouteMatch | None, objects: list[ObjectRef]) -> list[ObjectRef]:
    """Objects created below an owned path (a conversation's new items) are its children.

    Some answers name only the objects, not their parent (the path does); a
    parent the codec found in the answer itself is kept.
    """
    parent = matched.object_id if matched is not None and matched.route.owned else None
    if parent is None:
        return objects
    return [ref if ref.parent_id is not None or ref.upstream_id == parent
            else replace(ref, parent_id=parent) for ref in objects]


__all__ = ["EPHEMERAL_SUBJECT", "children_of", "named_subject", "prepare", "protected"]

