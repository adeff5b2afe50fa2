"""The app factory: ``create_app(settings)``; nothing is built at import time."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.responses import JSONResponse, Response

from policies import Scanner

from .errors import GatewayError, error_response
from .pipeline import handle
from .services import Services, build_services
from .settings import Settings

log = logging.getLogger("piigate")

PROXIED_METHODS = ["GET", "POST", "DELETE", "PUT", "PATCH"]


def create_app(settings: Settings, *, upstream_transport: httpx.AsyncBaseTransport | None = None,
               scanner: Scanner | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = await build_services(settings, scanner=scanner,
                                        upstream_transport=upstream_transport)
        app.state.services = services
        app.state.audit = services.audit
        try:
            yield
        finally:
            await services.aclose()

    app = FastAPI(title="piigate", lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None)
    _install_error_handlers(app)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.api_route("/v1/{path:path}", methods=PROXIED_METHODS, include_in_schema=False)
    async def proxy(path: str, request: Request) -> Response:
        services: Services = request.app.state.services
        return await handle(services, request, path)

    _install_admin_routes(app)
    return app


def _install_admin_routes(app: FastAPI) -> None:
    from .admin import admin_router

    app.include_router(admin_router())


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(GatewayError)
    async def gateway_error(_: Request, exc: GatewayError) -> JSONResponse:
        return exc.to_response()

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(part) for part in first.get("loc", ()))
        return error_response(400, f"invalid request: {where}: {first.get('msg', 'invalid')}",
                              "invalid_request_error", "invalid_request")

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        # The exception text may quote request content: log its type only.
        log.error("unexpected error: %s", type(exc).__name__)
        return error_response(500, "internal gateway error", "server_error", "internal_error")
