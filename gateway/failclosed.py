"""Fail closed: a protection component's failure becomes a refusal, never a bypass."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import TypeVar

from policies import DetectionError
from vault import VaultError

from .errors import ProtectionUnavailable

log = logging.getLogger("piigate.pipeline")
T = TypeVar("T")


async def guard(awaitable: Awaitable[T]) -> T:
    """Turn a protection component's failure into a refusal (fail closed)."""
    try:
        return await awaitable
    except DetectionError as exc:
        log.error("detection failed: %s", type(exc).__name__)
        raise ProtectionUnavailable(
            "personal-data detection is unavailable; the request was not forwarded") from exc
    except VaultError as exc:
        log.error("vault failed: %s", type(exc).__name__)
        raise ProtectionUnavailable(
            "the token vault is unavailable; the request was not forwarded") from exc
