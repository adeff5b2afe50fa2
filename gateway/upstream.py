"""The one client for the upstream provider: pooled, streaming, transport injectable.

Only an allow-list of request headers is forwarded: the gateway key, the
gateway's own ``X-Piigate-*`` headers, cookies and anything else the app sent
stay here. The provider key is added here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from .errors import UpstreamTimeout, UpstreamUnreachable

QueryItem = tuple[str, str | int | float | bool | None]
FORWARDED_HEADERS = frozenset({
    "openai-beta", "openai-organization", "openai-project", "idempotency-key", "accept",
    "content-type", "x-stainless-retry-count",
})


def forwarded_headers(incoming: Mapping[str, str]) -> dict[str, str]:
    return {name: value for name, value in incoming.items() if name.lower() in FORWARDED_HEADERS}


class Upstream:
    def __init__(self, base_url: str, api_key: str | None, *, timeout: float,
                 connect_timeout: float, transport: httpx.AsyncBaseTransport | None = None
                 ) -> None:
        headers = {"accept-encoding": "identity"}
        if api_key:
            headers["authorization"] = f"Bearer {api_key}"
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/",
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            limits=httpx.Limits(max_connections=512, max_keepalive_connections=128),
            transport=transport,
        )

    async def send(self, method: str, path: str, *, params: list[QueryItem],
                   headers: dict[str, str], content: bytes | None) -> httpx.Response:
        """Send and return the response with its body still unread (streamed)."""
        request = self._client.build_request(method, path.lstrip("/"), params=params,
                                             headers=headers, content=content)
        try:
            return await self._client.send(request, stream=True)
        except httpx.TimeoutException as exc:
            raise UpstreamTimeout("the upstream provider did not answer in time") from exc
        except httpx.TransportError as exc:
            raise UpstreamUnreachable(
                f"the upstream provider could not be reached ({type(exc).__name__})") from exc

    async def aclose(self) -> None:
        await self._client.aclose()


async def read_body(response: httpx.Response) -> bytes:
    """Read a streamed response body, mapping transport failures like :meth:`send`."""
    try:
        return await response.aread()
    except httpx.TimeoutException as exc:
        raise UpstreamTimeout("the upstream provider did not finish in time") from exc
    except httpx.TransportError as exc:
        raise UpstreamUnreachable("the upstream connection broke mid-answer") from exc
    finally:
        await response.aclose()
