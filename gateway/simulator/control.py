"""Control endpoints under ``/_sim`` for out-of-process use (demo, benchmark).

They mirror ``SimulatorState``'s methods over HTTP. They are never recorded
and need no key: they are the test's side of the wire, not the provider's.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.simulator.errors import ApiError
from gateway.simulator.state import CONFIG_KEYS, JsonObject, SimulatorState

_POSITIVE_OR_NONE = ("stream_piece_chars", "byte_chunk_size")


def routes() -> list[Route]:
    return [
        Route("/_sim/requests", _requests, methods=["GET"]),
        Route("/_sim/objects", _objects, methods=["GET"]),
        Route("/_sim/config", _get_config, methods=["GET"]),
        Route("/_sim/config", _set_config, methods=["POST"]),
        Route("/_sim/fail", _fail, methods=["POST"]),
        Route("/_sim/hang", _hang, methods=["POST"]),
        Route("/_sim/reset", _reset, methods=["POST"]),
    ]


def parse_config(body: Any) -> JsonObject:
    """Validate a config update: known knobs only, each with a sensible value."""
    if not isinstance(body, dict):
        raise ApiError(400, "Config must be a JSON object.")
    unknown = sorted(set(body) - set(CONFIG_KEYS))
    if unknown:
        raise ApiError(400, f"Unknown config keys: {', '.join(unknown)}.", param=unknown[0])
    for name, value in body.items():
        if name in _POSITIVE_OR_NONE:
            ok = value is None or (type(value) is int and value > 0)
        else:
            ok = isinstance(value, int | float) and not isinstance(value, bool) and value >= 0
        if not ok:
            raise ApiError(400, f"Invalid value for '{name}'.", param=name)
    return body


def _state(request: Request) -> SimulatorState:
    state: SimulatorState = request.app.state.sim
    return state


async def _body(request: Request) -> Any:
    raw = await request.body()
    if not raw:
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        raise ApiError(400, "Control request body is not JSON.") from None


def _guarded(
    handler: Callable[[Request], Awaitable[JsonObject]],
) -> Callable[[Request], Awaitable[Response]]:
    """Render a control handler's result or its ApiError as JSON."""

    async def endpoint(request: Request) -> Response:
        try:
            result: JsonObject = await handler(request)
        except ApiError as error:
            return JSONResponse(error.body(), status_code=error.status)
        return JSONResponse(result)

    return endpoint


@_guarded
async def _requests(request: Request) -> JsonObject:
    return {
        "object": "list",
        "data": [
            {
                "method": recorded.method,
                "path": recorded.path,
                "query": recorded.query,
                "headers": recorded.headers,
                "body": recorded.body.decode("utf-8", errors="replace"),
                "json": recorded.json,
            }
            for recorded in _state(request).requests
        ],
    }


@_guarded
async def _objects(request: Request) -> JsonObject:
    return {"ids": sorted(_state(request).live_ids())}


@_guarded
async def _get_config(request: Request) -> JsonObject:
    return _state(request).config()


@_guarded
async def _set_config(request: Request) -> JsonObject:
    state = _state(request)
    state.configure(parse_config(await _body(request)))
    return state.config()


@_guarded
async def _fail(request: Request) -> JsonObject:
    body = await _body(request)
    status = body.get("status") if isinstance(body, dict) else None
    if type(status) is not int or not 400 <= status <= 599:
        raise ApiError(400, "'status' must be an HTTP error status (400-599).", param="status")
    error = body.get("body")
    if error is not None and not isinstance(error, dict):
        raise ApiError(400, "'body' must be a JSON object.", param="body")
    times = body.get("times", 1)
    if type(times) is not int or times < 1:
        raise ApiError(400, "'times' must be a positive integer.", param="times")
    _state(request).fail_next(status, error, times)
    return {"ok": True}


@_guarded
async def _hang(request: Request) -> JsonObject:
    body = await _body(request)
    seconds = body.get("seconds") if isinstance(body, dict) else None
    if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds < 0:
        raise ApiError(400, "'seconds' must be a non-negative number.", param="seconds")
    _state(request).hang_next(float(seconds))
    return {"ok": True}


@_guarded
async def _reset(request: Request) -> JsonObject:
    _state(request).reset()
    return {"ok": True}
