"""A request's query parameters and forwarded headers: each validated or scanned.

The API's paging, enum and id parameters and the few headers the gateway
forwards have narrow formats; a value that does not fit is refused with 400
(naming the parameter, never echoing the value), so no free text can ride
along in them. Every other query value, and the free-form ``Idempotency-Key``,
is scanned and tokenized like body text.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence

from .errors import BadRequest
from .upstream import QueryItem

ProtectTexts = Callable[[Sequence[str]], Awaitable[list[str]]]

_ID = re.compile(r"[a-z][a-z0-9]*[_-][A-Za-z0-9_\-.:]{1,250}")
STRUCTURAL_QUERY: Mapping[str, re.Pattern[str]] = {
    "limit": re.compile(r"[0-9]{1,6}"),
    "order": re.compile(r"asc|desc"),
    "after": _ID,
    "before": _ID,
    "run_id": _ID,
    "include": re.compile(r"[a-z_.\[\]]{1,100}"),
    "include[]": re.compile(r"[a-z_.\[\]]{1,100}"),
    "purpose": re.compile(r"[a-z_\-]{1,40}"),
    "filter": re.compile(r"[a-z_]{1,40}"),
    "api-version": re.compile(r"[0-9a-z.\-]{1,40}"),
    "stream": re.compile(r"true|false"),
}
# Forwarded headers with a fixed format; Idempotency-Key is free text, scanned.
VALIDATED_HEADERS: Mapping[str, re.Pattern[str]] = {
    "openai-organization": re.compile(r"org-[A-Za-z0-9_\-]{1,128}"),
    "openai-project": re.compile(r"proj_[A-Za-z0-9_\-]{1,128}"),
    "openai-beta": re.compile(r"[a-z0-9_=.,\-]{1,100}"),
    "x-stainless-retry-count": re.compile(r"[0-9]{1,3}"),
    "accept": re.compile(r"[a-z0-9*/+.\-;=, ]{1,200}"),
}
SCANNED_HEADERS = frozenset({"idempotency-key"})


async def protect_query(items: Sequence[tuple[str, str]], protect_texts: ProtectTexts
                        ) -> list[QueryItem]:
    """Structural parameters validated, every other value scanned like body text."""
    scanned: list[int] = []
    for index, (name, value) in enumerate(items):
        pattern = STRUCTURAL_QUERY.get(name)
        if pattern is None:
            if value:
                scanned.append(index)
        elif not pattern.fullmatch(value):
            raise BadRequest(f"query parameter {name!r} has an invalid value",
                             code="invalid_query_parameter", param=name)
    protected = await protect_texts([items[i][1] for i in scanned]) if scanned else []
    params: list[QueryItem] = list(items)
    for index, value in zip(scanned, protected, strict=True):
        params[index] = (items[index][0], value)
    return params


async def protect_headers(headers: Mapping[str, str], protect_texts: ProtectTexts
                          ) -> dict[str, str]:
    """The forwarded headers, validated or scanned; a header not listed here is dropped."""
    out: dict[str, str] = {}
    for name, value in headers.items():
        pattern = VALIDATED_HEADERS.get(name)
        if pattern is not None:
            if not pattern.fullmatch(value):
                raise BadRequest(f"header {name!r} has an invalid value",
                                 code="invalid_header", param=name)
            out[name] = value
    scanned = [name for name in SCANNED_HEADERS if headers.get(name)]
    for name, value in zip(scanned, await protect_texts([headers[n] for n in scanned])
                           if scanned else [], strict=True):
        out[name] = value
    return out
