"""The ASGI app: routing, recording, auth, injected faults, rendering replies.

All I/O lives here so the API families stay pure functions. Every request to
an API path is recorded before anything can refuse it, so a test can assert
on what reached the provider even when the provider answered with an error.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from gateway.simulator import (
    assistants,
    chat,
    control,
    conversations,
    files,
    misc,
    responses,
    runs,
    vector_store_files,
    vector_stores,
)
from gateway.simulator.common import Call, Endpoint, Handler, RawBody, Reply, UploadedFile
from gateway.simulator.errors import ApiError, default_error_body, error_body
from gateway.simulator.sse import EventStream, write
from gateway.simulator.state import RecordedRequest, SimulatorState

API_PREFIX = "/v1"
_ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
_FAMILIES = (
    chat,
    misc,
    responses,
    conversations,
    runs,  # before assistants: POST /threads/runs must win over /threads/{thread_id}
    assistants,
    files,
    vector_stores,
    vector_store_files,
)

AsgiEndpoint = Callable[[Request], Awaitable[Response]]


def create_simulator_app(state: SimulatorState | None = None) -> Starlette:
    """A fresh simulated provider; ``app.state.sim`` is the state tests drive."""
    routes: list[BaseRoute] = list(control.routes())
    for family in _FAMILIES:
        routes.extend(_route(endpoint) for endpoint in family.endpoints())
    routes.append(Route("/{path:path}", _wrap(_unknown_path, auth=False), methods=_ALL_METHODS))
    app = Starlette(
        routes=routes,
        exception_handlers={HTTPException: _http_error},
    )
    app.state.sim = state if state is not None else SimulatorState()
    return app


def _route(endpoint: Endpoint) -> Route:
    return Route(
        API_PREFIX + endpoint.path,
        _wrap(endpoint.handler, beta=endpoint.beta),
        methods=[endpoint.method],
    )


def _unknown_path(_state: SimulatorState, call: Call) -> Reply:
    raise ApiError(404, f"Invalid URL ({call.method} {call.path})")


def _wrap(handler: Handler, *, beta: str | None = None, auth: bool = True) -> AsgiEndpoint:
    async def endpoint(request: Request) -> Response:
        state: SimulatorState = request.app.state.sim
        body = await request.body()
        parsed, parse_error = _parse_json(request, body)
        state.record(
            RecordedRequest(
                method=request.method,
                path=request.url.path,
                query=dict(request.query_params),
                headers=_headers(request),
                body=body,
                json=parsed,
            )
        )
        try:
            await _wait(state)
            _check_access(state, request, beta, auth)
            if parse_error:
                raise ApiError(400, parse_error)
            call = Call(
                method=request.method,
                path=request.url.path,
                params=dict(request.path_params),
                query=dict(request.query_params),
                headers=_headers(request),
                body=parsed,
                form=await _form(request),
            )
            with state.lock:
                reply = handler(state, call)
        except ApiError as error:
            return _json(error.body(), error.status)
        return _render(state, reply)

    return endpoint


def _headers(request: Request) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in request.headers.items():
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers


def _parse_json(request: Request, body: bytes) -> tuple[Any, str | None]:
    content_type = request.headers.get("content-type", "")
    if not body or content_type.startswith(("multipart/", "application/x-www-form-urlencoded")):
        return None, None
    try:
        return json.loads(body), None
    except ValueError:
        return None, (
            "We could not parse the JSON body of your request. (HINT: This likely means"
            " you aren't using your HTTP library correctly.)"
        )


async def _wait(state: SimulatorState) -> None:
    pause = state.take_hang() + state.delay_seconds
    if pause > 0:
        await anyio.sleep(pause)


def _check_access(state: SimulatorState, request: Request, beta: str | None, auth: bool) -> None:
    """Refuse as OpenAI does: no key 401, then an injected fault, then a missing beta."""
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    if auth and (scheme.lower() != "bearer" or not key.strip()):
        raise ApiError(
            401,
            "You didn't provide an API key. You need to provide your API key in an"
            " Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        )
    fault = state.take_fault()
    if fault is not None:
        body = fault.body if fault.body is not None else default_error_body(fault.status)
        raise _Injected(fault.status, body)
    if beta and beta not in _beta_values(request):
        raise ApiError(
            400,
            "You must provide the 'OpenAI-Beta' header to access the Assistants API."
            f" Please try again by setting the header 'OpenAI-Beta: {beta}'.",
            code="invalid_beta",
        )


def _beta_values(request: Request) -> Iterable[str]:
    return [v.strip() for v in request.headers.get("openai-beta", "").split(",")]


class _Injected(ApiError):
    """An injected fault: its body is exactly what the test asked for."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(status, "injected fault")
        self._body = body

    def body(self) -> dict[str, Any]:
        return self._body


async def _form(request: Request) -> dict[str, str | UploadedFile]:
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        return {}
    fields: dict[str, str | UploadedFile] = {}
    async with request.form() as form:
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                fields[name] = UploadedFile(
                    filename=value.filename or "upload",
                    content=await value.read(),
                    content_type=value.content_type or "application/octet-stream",
                )
            else:
                fields[name] = value
    return fields


def _render(state: SimulatorState, reply: Reply) -> Response:
    if isinstance(reply, EventStream):
        delay = state.stream_delay_seconds

        async def pause() -> None:
            await anyio.sleep(delay)

        return StreamingResponse(
            _tracked(state, write(reply, state.byte_chunk_size, pause)),
            media_type="text/event-stream",
            headers=_common_headers(),
        )
    if isinstance(reply, RawBody):
        return Response(reply.content, media_type=reply.media_type, headers=_common_headers())
    return _json(reply, 200)


async def _tracked(state: SimulatorState, writes: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """Pass writes through, telling the state whether the stream reached its end."""
    completed = False
    try:
        async for chunk in writes:
            yield chunk
        completed = True
    finally:
        state.stream_ended(completed)


def _json(body: dict[str, Any], status: int) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=_common_headers())


def _common_headers() -> dict[str, str]:
    return {"x-request-id": "req_" + secrets.token_hex(16), "openai-processing-ms": "1"}


async def _http_error(_request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (a malformed multipart body) in OpenAI's shape."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    detail = exc.detail if isinstance(exc, HTTPException) else "Internal error."
    return _json(error_body(str(detail)), status)
