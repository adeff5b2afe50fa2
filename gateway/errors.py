"""Errors the gateway answers with, all rendered in OpenAI's error shape.

::

    GatewayError                 status, type, code; message never holds a personal value
    ├── BadRequest               400 malformed JSON, wrong field types
    ├── Unauthorized             401 missing or unknown gateway key
    ├── Forbidden                403 role may not do this; path blocked by policy
    ├── PolicyBlocked            403 content the policy says must not leave
    ├── NotFound                 404 no such object for this tenant
    ├── PayloadTooLarge          413
    ├── UnsupportedMediaType     415 file kinds the policy refuses
    ├── ProtectionUnavailable    503 detection, vault or audit failed: fail closed
    ├── InternalError            500 a gateway bug before anything was forwarded
    ├── AnswerWithheld           500 the provider answered, but the gateway could not
    │                                finish (audit record, ledger): the answer is withheld
    ├── UpstreamUnreachable      502
    └── UpstreamTimeout          504

Errors from ``policies``, ``vault`` and ``audit`` are converted to these at the
pipeline boundary; one exception handler renders them.
"""

from __future__ import annotations

from typing import Any, ClassVar

from starlette.responses import JSONResponse


class GatewayError(Exception):
    status: ClassVar[int] = 500
    error_type: ClassVar[str] = "server_error"
    default_code: ClassVar[str] = "internal_error"

    def __init__(self, message: str, *, code: str | None = None, param: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.param = param

    def to_response(self, headers: dict[str, str] | None = None) -> JSONResponse:
        return error_response(self.status, self.message, self.error_type, self.code, self.param,
                              headers=headers)


class BadRequest(GatewayError):
    status = 400
    error_type = "invalid_request_error"
    default_code = "invalid_request"


class PolicyBlocked(GatewayError):
    status = 403
    error_type = "permission_error"
    default_code = "pii_blocked"


class Unauthorized(GatewayError):
    status = 401
    error_type = "invalid_request_error"
    default_code = "invalid_api_key"


class Forbidden(GatewayError):
    status = 403
    error_type = "permission_error"
    default_code = "forbidden"


class NotFound(GatewayError):
    status = 404
    error_type = "invalid_request_error"
    default_code = "not_found"


class PayloadTooLarge(GatewayError):
    status = 413
    error_type = "invalid_request_error"
    default_code = "payload_too_large"


class UnsupportedMediaType(GatewayError):
    status = 415
    error_type = "invalid_request_error"
    default_code = "unsupported_file_type"


class ProtectionUnavailable(GatewayError):
    status = 503
    error_type = "server_error"
    default_code = "protection_unavailable"


class InternalError(GatewayError):
    status = 500
    error_type = "server_error"
    default_code = "internal_error"


class AnswerWithheld(GatewayError):
    status = 500
    error_type = "server_error"
    default_code = "answer_withheld"


class UpstreamUnreachable(GatewayError):
    status = 502
    error_type = "server_error"
    default_code = "upstream_unreachable"


class UpstreamTimeout(GatewayError):
    status = 504
    error_type = "server_error"
    default_code = "upstream_timeout"


def error_body(message: str, error_type: str, code: str | None, param: str | None = None
               ) -> dict[str, Any]:
    return {"error": {"message": message, "type": error_type, "code": code, "param": param}}


def error_response(status: int, message: str, error_type: str, code: str | None,
                   param: str | None = None, headers: dict[str, str] | None = None
                   ) -> JSONResponse:
    return JSONResponse(error_body(message, error_type, code, param), status_code=status,
                        headers=headers)
