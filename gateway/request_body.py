"""Reading a request: size limit, JSON or not, and the query string's user text."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from .codecs.base import ProtectTexts
from .errors import BadRequest, PayloadTooLarge
from .upstream import QueryItem

# Query parameters of the OpenAI API that carry paging and enums, never user text;
# every other query value is scanned like a body string.
STRUCTURAL_QUERY = frozenset({"limit", "order", "after", "before", "include", "include[]",
                              "purpose", "filter", "run_id", "api-version", "stream"})


async def protect_query(request: Request, protect_texts: ProtectTexts) -> list[QueryItem]:
    """Query values are scanned like body strings, except the API's paging and enum names."""
    items = request.query_params.multi_items()
    scanned = [index for index, (name, value) in enumerate(items)
               if value and name not in STRUCTURAL_QUERY]
    protected = await protect_texts([items[index][1] for index in scanned]) if scanned else []
    params: list[QueryItem] = list(items)
    for index, value in zip(scanned, protected, strict=True):
        params[index] = (items[index][0], value)
    return params


def is_json(raw: bytes, content_type: str) -> bool:
    if not raw.strip():
        return False
    if "json" in content_type.lower():
        return True
    return not content_type and raw.lstrip()[:1] in (b"{", b"[")


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


def parse_json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("the request body is not valid JSON", code="invalid_json") from None
