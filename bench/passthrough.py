"""A bare pass-through proxy: the baseline the gateway's added latency is measured against.

Same upstream client settings as the gateway (pooled httpx, streaming), no
detection, no vault, no audit. For benchmarks only.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route


def create_app() -> Starlette:
    client = httpx.AsyncClient(base_url=os.environ["PASSTHROUGH_UPSTREAM"],
                               headers={"authorization": "Bearer sk-bench"},
                               limits=httpx.Limits(max_connections=512), timeout=60)

    async def forward(request: Request) -> Response:
        upstream = await client.send(client.build_request(
            request.method, request.path_params["path"], content=await request.body(),
            headers={"content-type": "application/json"}), stream=True)
        if upstream.headers.get("content-type", "").startswith("text/event-stream"):
            async def body() -> AsyncIterator[bytes]:
                try:
                    async for chunk in upstream.aiter_raw():
                        yield chunk
                finally:
                    await upstream.aclose()
            return StreamingResponse(body(), media_type="text/event-stream")
        content = await upstream.aread()
        await upstream.aclose()
        return Response(content, status_code=upstream.status_code,
                        media_type=upstream.headers.get("content-type"))

    return Starlette(routes=[Route("/v1/{path:path}", forward, methods=["GET", "POST"])])
