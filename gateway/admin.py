"""Admin API: endpoints for compliance officers and operators (never app keys)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from .auth import authenticate, require_role
from .keystore import Principal, Role


async def require_compliance(request: Request) -> Principal:
    services = request.app.state.services
    principal = await authenticate(services.keys, services.principals,
                                   request.headers.get("authorization"))
    return require_role(principal, Role.COMPLIANCE)


def admin_router() -> APIRouter:
    from .admin_audit import audit_router

    router = APIRouter()
    router.include_router(audit_router(require_compliance))
    return router
