"""Errors the simulated upstream raises, and why each exists.

::

    SimulatorError            anything the simulator refuses
    └── ApiError              rendered as OpenAI's error body
                              ``{"error": {"message", "type", "code", "param"}}``
                              with its HTTP status; handlers raise it so that
                              every failure reaches the client in the one shape
                              the gateway has to pass through and restore

Handlers never build error responses themselves: raising keeps them pure
functions of (state, call) and keeps the error shape in one place.
"""

from __future__ import annotations

from typing import Any


class SimulatorError(Exception):
    """Base class for everything the simulator raises on purpose."""


class ApiError(SimulatorError):
    """An OpenAI-shaped error answer: status plus the four error fields."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type_: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type_
        self.code = code
        self.param = param

    def body(self) -> dict[str, Any]:
        """The JSON body OpenAI sends for this error."""
        return error_body(self.message, type_=self.type, code=self.code, param=self.param)


def error_body(
    message: str,
    *,
    type_: str = "invalid_request_error",
    code: str | None = None,
    param: str | None = None,
) -> dict[str, Any]:
    """OpenAI's error envelope; all four keys are always present."""
    return {"error": {"message": message, "type": type_, "code": code, "param": param}}


def default_error_body(status: int) -> dict[str, Any]:
    """What OpenAI answers for a status when a test injects one without a body."""
    if status == 401:
        return error_body("Incorrect API key provided.", code="invalid_api_key")
    if status == 404:
        return error_body("The requested resource was not found.", code="not_found")
    if status == 429:
        return error_body(
            "Rate limit reached for requests. Please try again later.",
            type_="requests",
            code="rate_limit_exceeded",
        )
    if status >= 500:
        return error_body(
            "The server had an error while processing your request. Sorry about that!",
            type_="server_error",
            code="server_error",
        )
    return error_body(f"Simulated error with status {status}.")


def not_found(kind: str, object_id: str, *, param: str | None = None) -> ApiError:
    """404 for an object id the simulator does not hold (deleted or never made)."""
    return ApiError(404, f"No {kind} found with id '{object_id}'.", param=param)


def missing(param: str) -> ApiError:
    """400 for a required field the request left out."""
    return ApiError(
        400,
        f"Missing required parameter: '{param}'.",
        code="missing_required_parameter",
        param=param,
    )


def invalid(param: str, message: str) -> ApiError:
    """400 for a field with a value OpenAI would reject."""
    return ApiError(400, message, code="invalid_value", param=param)
