"""Fail closed: any failure inside a stage becomes a clear refusal, never a bypass.

Every stage of a call runs inside :func:`stage`. Whatever it raises leaves as
a :class:`~gateway.errors.GatewayError`: the protection components' own
errors say which component failed, anything else is an internal error. Logs
get the stage and the exception's type, never its message: an exception
raised over user data may quote it.

Before the provider is called a failure means nothing was forwarded. After
it answered, the work is done upstream; a failure then withholds the answer
and says so, so that the app does not retry a create blindly.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from audit import AuditError
from policies import DetectionError
from vault import VaultError

from .errors import AnswerWithheld, GatewayError, InternalError, ProtectionUnavailable

log = logging.getLogger("piigate.pipeline")
T = TypeVar("T")

_COMPONENTS: tuple[tuple[type[Exception], str], ...] = (
    (DetectionError, "personal-data detection"),
    (VaultError, "the token vault"),
    (AuditError, "the audit log"),
)


@contextmanager
def stage(name: str, *, answered: bool = False) -> Iterator[None]:
    """Map whatever the stage ``name`` raises to a GatewayError (see the module docstring)."""
    try:
        yield
    except GatewayError:
        raise
    except Exception as exc:
        component = next((label for kind, label in _COMPONENTS if isinstance(exc, kind)), None)
        if answered:
            log.critical("stage %s failed after the provider answered: %s; the answer was "
                         "withheld", name, type(exc).__name__)
            raise AnswerWithheld(
                f"the provider carried out the request, but {component or 'the gateway'} "
                "failed while handling its answer, so the answer is withheld; the call may "
                "have taken effect upstream: check before retrying it",
                code="audit_unavailable" if isinstance(exc, AuditError) else None,
            ) from None
        log.error("stage %s failed: %s", name, type(exc).__name__)
        if component is not None:
            raise ProtectionUnavailable(
                f"{component} is unavailable; the request was not forwarded") from None
        raise InternalError(
            f"internal gateway error (in {name}); the request was not forwarded") from None


async def guard(awaitable: Awaitable[T], name: str = "storage") -> T:
    """Await inside :func:`stage`: for single protection calls outside the stage list."""
    with stage(name):
        return await awaitable
